"""Checkpoints and model cards as people read them (no streamlit)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from explorer.errors import ExplorerError
from explorer.models import model_label, read_checkpoint_description

# The card's metric keys, in reading order, with their labels and units.
METRIC_LABELS = {
    "top1": "top-1 accuracy (%)",
    "map": "mAP (%)",
    "class_map": "class mAP (%)",
    "f_score": "F-score (%)",
    "pointing_mae_soft": "pointing MAE, soft (lower is better)",
    "pointing_mae_binary": "pointing MAE, binary (lower is better)",
    "cav_mae_soft": "pointing MAE of the top class's CAV",
    "baseline_mae_every_second": "pointing MAE of “every second” (reference)",
    "spatial_hit_rate": "spatial hit rate of A^s (15 px)",
    "spatial_hit_rate_strict": "spatial hit rate of A^s (inside the mask)",
    "cam_hit_rate": "spatial hit rate of the top class's CAM (15 px)",
    "baseline_hit_centre": "spatial hit rate of the centre point (reference)",
    "baseline_hit_random": "spatial hit rate of a random point (reference)",
    "tvd_ratio_at_sigma2_1": "TVD relevant / irrelevant at σ² = 1",
}
# Comparisons the app opens with: the paper's model against its closest rivals.
COMPARISON_DEFAULTS = ("stan", "av_abn")
PERTURBATION_DEFAULTS = ("stan", "abn", "av_abn")


def checkpoint_label(path: str | os.PathLike, root: str | os.PathLike) -> str:
    """A checkpoint as the pickers show it: its model's name (its preset's, if any), plus its folder when that is not
    the demo one. A checkpoint whose JSON cannot be read is shown by its file name; opening it names the problem."""
    path = Path(path)
    try:
        description = read_checkpoint_description(path)
        name = model_label(description["model"], description.get("preset"))
    except ExplorerError:
        name = path.name
    folder = os.path.relpath(path.parent, root)
    return name if folder in ("demo", ".") else f"{name} · {folder}"


def pick_defaults(paths: Sequence[str], names: Sequence[str]) -> list[str]:
    """The paths whose file name is in ``names``, in the order of ``names`` (first match of each)."""
    chosen = []
    for name in names:
        match = next((path for path in paths if Path(path).name == name and path not in chosen), None)
        if match is not None:
            chosen.append(match)
    return chosen


def _number(value: float) -> str:
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}" if abs(value) < 1e4 else f"{value:.2e}"


def metric_rows(card: dict) -> list[dict]:
    """The card's headline metrics as a small table (labels, not raw keys)."""
    metrics = card.get("metrics") or {}
    return [
        {"metric": label, "value": _number(float(metrics[key]))}
        for key, label in METRIC_LABELS.items()
        if isinstance(metrics.get(key), (int, float))
    ]


def _relation(text: str) -> str:
    """``>= 90`` as ``≥ 90``: readable, and a leading ``>`` would otherwise render as a Markdown quote."""
    return text.replace(">=", "≥").replace("<=", "≤")


def target_rows(card: dict) -> list[dict]:
    """Whether the demo targets are met, when the card records them."""
    targets = card.get("targets") or {}
    return [
        {
            "metric": METRIC_LABELS.get(key, key),
            "target": _relation(str(entry.get("target", ""))),
            "value": _number(float(entry["value"])),
            "met": "yes" if entry.get("met") else "no",
        }
        for key, entry in targets.items()
        if isinstance(entry, dict) and "value" in entry
    ]


def encoder_summary(card: dict) -> str:
    """One line on the encoder the model was trained on."""
    details = card.get("encoder") if isinstance(card.get("encoder"), dict) else {}
    name = details.get("name") or "unknown"
    parts = [f"`{name}`"]
    if details.get("audio_dim") and details.get("visual_dim"):
        parts.append(f"{details['audio_dim']}-d audio, {details['visual_dim']}-d visual features")
    if details.get("grid"):
        parts.append("{}×{} grid".format(*details["grid"]))
    return ", ".join(parts)


def leads_with_class_maps(card: dict | None, view: str) -> bool:
    """Whether the card says that for ``view`` ("space" or "time") the model's class map (CAM, CAV) explains better
    than its gate (A^s, A^t): then that view opens on it, labelled as such."""
    lead = (card or {}).get("lead_with")
    return isinstance(lead, dict) and lead.get(view) == "class maps"


def lead_reason(card: dict | None) -> str:
    lead = (card or {}).get("lead_with")
    return str(lead.get("why", "")) if isinstance(lead, dict) else ""
