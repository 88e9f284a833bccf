"""The demo report's Markdown tables: recognition (Tables 1 and 2), pointing games (Table 3 and spatial), targets,
pooling, feature scale and attention statistics. Each takes the evaluated metrics and returns one table."""

from __future__ import annotations

from explorer.demo.training import PRESET_CHECKPOINTS

POINTING_MODELS = ("stan_audio", "stan")  # Table 3
SATURATED_SHARE = 0.99  # attention rating this share of features relevant (≥ 0.5) is saturated
TVD_KEYS = ("tvd_relevant", "tvd_irrelevant")


def _cell(value: float | None, digits: int = 1, scale: float = 1.0) -> str:
    return "n/a" if value is None else f"{value * scale:.{digits}f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def recognition_table(results: dict, names: tuple[str, ...]) -> str:
    rows = [
        [name, _cell(results[name]["top1"]), _cell(results[name]["map"]), _cell(results[name]["f_score"])]
        for name in names
        if name in results
    ]
    return _table(["model", "top-1 (%)", "mAP (%)", "F-score (%)"], rows)


def pointing_table(results: dict) -> str:
    """Table 3 with the top class's CAV beside the gate and the trivial answer "every second" as a row."""
    rows = [
        [
            name,
            _cell(results[name]["pointing_mae_soft"], 3),
            _cell(results[name]["pointing_mae_binary"], 3),
            _cell(results[name].get("cav_mae_soft"), 3),
        ]
        for name in POINTING_MODELS
        if name in results
    ]
    reference = next((metrics.get("baseline_mae_every_second") for metrics in results.values()), None)
    rows.append(["reference: “every second”", _cell(reference, 3), _cell(reference, 3), "–"])
    return _table(["model", "A^t MAE soft (lower is better)", "A^t MAE binary", "top class's CAV MAE (min-max)"], rows)


def spatial_table(results: dict) -> str:
    """Peak of A^s and of the top class's CAM against the object mask: within 15 px at 224 (the field's pointing
    game) and strictly inside, with the centre point and a random point as rows."""
    rows = [
        [
            name,
            _cell(metrics.get("spatial_hit_rate"), 1, 100.0),
            _cell(metrics.get("spatial_hit_rate_strict"), 1, 100.0),
            _cell(metrics.get("cam_hit_rate"), 1, 100.0),
            _cell(metrics.get("cam_hit_rate_strict"), 1, 100.0),
        ]
        for name, metrics in results.items()
        if metrics.get("spatial_hit_rate") is not None or metrics.get("cam_hit_rate") is not None
    ]
    any_metrics = next(iter(results.values()), {})
    for label, key in (
        ("reference: the centre point", "baseline_hit_centre"),
        ("reference: a uniformly random point", "baseline_hit_random"),
    ):
        rows.append(
            [label, _cell(any_metrics.get(key), 1, 100.0), _cell(any_metrics.get(key + "_strict"), 1, 100.0), "–", "–"]
        )
    return _table(
        ["model", "A^s hit, 15 px (%)", "A^s hit, strict (%)", "CAM hit, 15 px (%)", "CAM hit, strict (%)"], rows
    )


def targets_table(targets: dict) -> str:
    rows = [
        [name, spec["target"], _cell(spec["value"], 3), "met" if spec["met"] else "**missed**"]
        for name, spec in targets.items()
    ]
    return _table(["STAN target", "bound", "measured", ""], rows)


def pooling_table(results: dict, statistics: dict) -> str:
    """STAN beside its variants (the paper's mean pooling) on every metric, attention spread included."""

    def spread(name: str, kind: str) -> str:
        row = statistics.get(f"{name} {kind} attention")
        return "n/a" if row is None else f"{row['mean']:.2f} ± {row['std']:.2f}"

    rows = []
    for name in ("stan", *PRESET_CHECKPOINTS):
        if name in results:
            metrics = results[name]
            tvd = [_cell(metrics[key][-1], 3) if metrics.get(key) else "n/a" for key in TVD_KEYS]
            rows.append(
                [
                    name,
                    _cell(metrics["top1"]),
                    _cell(metrics["f_score"]),
                    _cell(metrics["pointing_mae_soft"], 3),
                    _cell(metrics["pointing_mae_binary"], 3),
                    _cell(metrics["spatial_hit_rate"], 1, 100.0),
                    *tvd,
                    spread(name, "time"),
                    spread(name, "space"),
                ]
            )
    return _table(
        [
            "model",
            "top-1 (%)",
            "F-score (%)",
            "MAE soft",
            "MAE binary",
            "spatial hit (%)",
            "TVD relevant σ²=1",
            "TVD irrelevant σ²=1",
            "A^t mean ± std",
            "A^s mean ± std",
        ],
        rows,
    )


def feature_scale_table(scale: dict) -> str:
    rows = [
        [name, str(row["dims"]), _cell(row["median_std"], 3), _cell(row["mean_std"], 3), _cell(row["max_std"], 3)]
        for name, row in scale.items()
    ]
    return _table(["features", "dimensions", "median per-dim std", "mean", "max"], rows)


def statistics_table(statistics: dict) -> str:
    rows = [
        [name, _cell(row["mean"], 3), _cell(row["std"], 3), _cell(row["share_relevant"], 1, 100.0)]
        for name, row in statistics.items()
    ]
    return _table(["attention", "mean", "std", "share ≥ 0.5 (%)"], rows)


def saturation_note(statistics: dict) -> str:
    """A caveat, when STAN rates nearly every feature relevant: then the irrelevant set is nearly empty and the TVD
    ratio is large whatever the attention means."""
    shares = [row["share_relevant"] for name, row in statistics.items() if name.startswith("stan ")]
    if not shares or min(shares) < SATURATED_SHARE:
        return ""
    return (
        f"\n\nCaveat: STAN rates at least {100 * min(shares):.1f}% of its input features relevant (see the "
        "attention statistics), so almost nothing is perturbed in the irrelevant test "
        "and the TVD ratio says little."
    )


METHOD_COLUMNS = {  # score key -> column title; "↓" marks the scores where lower is better
    "spatial_hit_rate": "hit rate (15 px)",
    "spatial_energy_in_mask": "energy in mask",
    "pointing_mae_soft": "time MAE ↓",
    "tvd_relevant": "TVD relevant",
    "tvd_irrelevant": "TVD irrelevant ↓",
    "deletion_auc": "deletion AUC ↓",
    "deletion_auc_random": "random deletion AUC",
}


def methods_table(scores: dict, references: dict) -> str:
    """Models × methods, every score beside the trivial references on the same clips."""
    rows = []
    for model, by_method in scores.items():
        for method, values in by_method.items():
            if "unavailable" in values:
                rows.append([model, method, *["n/a"] * len(METHOD_COLUMNS)])
                continue
            rows.append([model, method, *(_cell(values[key], 3) for key in METHOD_COLUMNS)])
    reference = [
        _cell(references["hit_centre"], 3),
        _cell(references["energy_uniform"], 3),
        _cell(references["mae_every_second"], 3),
    ]
    rows.append(["reference", "centre point / uniform map / every second", *reference, "", "", "", ""])
    return _table(["model", "method", *METHOD_COLUMNS.values()], rows)


def methods_reading(scores: dict, references: dict) -> str:
    """What the table says, computed from it: for each score, the best (model, method), whether it beats the trivial
    reference, and where STAN's own attention ranks among the methods on STAN. STAN's attention is not assumed to
    win."""
    lower = {"pointing_mae_soft", "tvd_irrelevant", "deletion_auc"}
    reference_of = {
        "spatial_hit_rate": ("the centre point", "hit_centre"),
        "spatial_energy_in_mask": ("a uniform map", "energy_uniform"),
        "pointing_mae_soft": ("answering “every second”", "mae_every_second"),
    }
    lines = []
    for key, title in METHOD_COLUMNS.items():
        if key == "deletion_auc_random":
            continue
        found = [
            (values[key], model, method)
            for model, by_method in scores.items()
            for method, values in by_method.items()
            if values.get(key) is not None
        ]
        if not found:
            continue
        value, model, method = (min if key in lower else max)(found)
        line = f"- **{title.rstrip(' ↓')}**: best is {method} on {model} ({value:.3f})"
        if key in reference_of and references.get(reference_of[key][1]) is not None:
            name, reference = reference_of[key][0], references[reference_of[key][1]]
            beaten = value < reference if key in lower else value > reference
            verdict = "level with" if f"{value:.3f}" == f"{reference:.3f}" else "beating" if beaten else "not beating"
            line += f", {verdict} {name} ({reference:.3f})"
        on_stan = sorted(((v, m) for v, mod, m in found if mod == "stan"), reverse=key not in lower)
        if any(m == "attention" for _, m in on_stan):
            rank = [m for _, m in on_stan].index("attention") + 1
            line += f"; on STAN its own attention ranks {rank} of {len(on_stan)} methods"
        lines.append(line + ".")
    return "\n".join(lines)
