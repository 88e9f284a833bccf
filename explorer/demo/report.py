"""The demo report: the paper's Tables 1-3, Figures 3 and 4 and a spatial pointing game, on unseen demo clips.

``write_report`` draws it from trained models and an evaluated test split; ``build_report`` first loads the
committed checkpoints and generates a fresh test split (what ``explorer report`` runs).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # no pyplot: figures go to files, never to a display

from explorer.demo.scoring import check_targets, evaluate_demo_model
from explorer.demo.tables import (
    feature_scale_table,
    methods_reading,
    methods_table,
    pointing_table,
    pooling_table,
    recognition_table,
    saturation_note,
    spatial_table,
    statistics_table,
    targets_table,
)
from explorer.demo.training import DEMO_CHECKPOINTS, FULL, PRESET_CHECKPOINTS, FeatureSplit, Recipe, extract_features
from explorer.demo.workers import run_jobs
from explorer.errors import CheckpointError, DataError
from explorer.evaluation import annotated_clips, evaluate_methods, json_ready
from explorer.explain import checkpoint_encoder, overlay_on_image, upsample_space
from explorer.explain.methods import list_methods
from explorer.explain.pointing import POINTING_TOLERANCE_PX, pointing_game, trivial_spatial_hits
from explorer.models import PAPER_TABLES, AVModel, load_checkpoint, table_models
from explorer.paths import make_folder
from explorer.training import predict

FIGURE4_CLIPS = 3  # test clips kept with their media for the attention figure
# The explanation methods are scored on the paper's model, its two intrinsic rivals and two fusion learners that have
# no attention of their own (where only post-hoc methods can explain).
METHOD_MODELS = ("stan", "abn", "av_abn", "film", "attention_fusion")

PERTURBATION_MODELS = ("stan", "abn", "av_abn")  # Figure 3
POOLING_TEXT = (
    "Eq. 6 averages A^st·x^st over a fixed T×H×W positions, so the classification loss gains from scaling every "
    "position up, and on the demo both gates run to ~1. The demo's STAN models divide by the total attention "
    "instead, so that only the relative weights reach the classifier (the same terms, L_BCE + L_CAM + L_CAV, and no "
    "where or when supervision); their attention is shown divided by its maximum, a rescaling the model ignores. "
    "The demo STAN also gates and pools as its card says (agreement gates, L_CAM / L_CAV where it looks, no clip-mean "
    "audio; docs/DEMO.md measures each). `stan_mean_pooling` is STAN trained the same way with the paper's pooling "
    "and gates."
)


def feature_scale(test: FeatureSplit) -> dict:
    """Per-dimension standard deviation of the input features over the test clips (every second, every cell), so
    that the perturbation test's σ² reads as something: σ² = 1 adds noise of std 1 to each dimension."""
    scale = {}
    for name, features in (("audio", test.audio), ("visual", test.visual)):
        flat = features.reshape(-1, features.shape[-1]).double()
        if flat.shape[1]:
            std = flat.std(dim=0)
            scale[name] = {
                "dims": int(flat.shape[1]),
                "median_std": float(std.median()),
                "mean_std": float(std.mean()),
                "max_std": float(std.max()),
            }
    return scale


def attention_statistics(models: dict[str, AVModel], test: FeatureSplit) -> dict:
    """Mean, spread and share ≥ 0.5 of each attention on the test clips: saturated attention explains nothing."""
    statistics = {}
    for name, model in models.items():
        predictions = predict(model, test.dataset())
        for kind in ("time_attention", "space_attention"):
            values = getattr(predictions, kind)
            if values is not None:
                statistics[f"{name} {kind.replace('_', ' ')}"] = {
                    "mean": values.mean().item(),
                    "std": values.std().item(),
                    "share_relevant": (values >= 0.5).float().mean().item(),
                }
    return statistics


def figure3(results: dict, path: Path) -> None:
    """TVD vs σ² when perturbing (a) relevant and (b) irrelevant features, as the paper's Figure 3."""
    figure = Figure(figsize=(9, 3.6))
    axes = figure.subplots(1, 2, sharey=True)
    for panel, (kind, title) in enumerate((("relevant", "(a) relevant"), ("irrelevant", "(b) irrelevant"))):
        axis = axes[panel]
        for name, marker in zip(PERTURBATION_MODELS, "os^"):
            if name in results and results[name]["tvd_relevant"]:
                axis.plot(results[name]["sigma2"], results[name][f"tvd_{kind}"], marker=marker, label=name)
        axis.set_title(title)
        axis.set_xlabel("σ²")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("TVD")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def figure4(model: AVModel, test: FeatureSplit, path: Path) -> None:
    """STAN's space attention on each segment's middle frame (true object outlined) and its time attention
    over the waveform (true event seconds shaded), for the test clips kept with their media."""
    import torch

    clips = test.clips or []
    if not clips:
        raise DataError("Figure 4 needs test clips kept with their frames; extract the test split with keep_clips.")
    with torch.no_grad():
        result = model(test.audio[: len(clips)].float(), test.visual[: len(clips)].float())
    segments = clips[0].num_segments
    figure = Figure(figsize=(segments * 1.2, 2.6 * len(clips)))
    grid = figure.add_gridspec(2 * len(clips), segments, height_ratios=[1, 0.8] * len(clips))
    for row, clip in enumerate(clips):
        for t in range(segments):
            frame = clip.middle_frame(t)
            attention = upsample_space(result.space_attention[row, t].numpy(), frame.shape[:2])
            axis = figure.add_subplot(grid[2 * row, t])
            axis.imshow(overlay_on_image(frame.astype(np.float32) / 255, attention))
            if test.event_masks is not None and test.event_masks[row, t].any():
                axis.contour(test.event_masks[row, t], levels=[0.5], colors="white", linewidths=0.8)
            axis.set_title(f"{t} s", fontsize=7)
            axis.axis("off")
        wave = figure.add_subplot(grid[2 * row + 1, :])
        seconds = np.arange(clip.audio.size) / clip.sample_rate
        wave.plot(seconds, clip.audio, color="0.6", linewidth=0.3)
        for t in np.flatnonzero(test.time_masks[row]):
            wave.axvspan(t, t + 1, color="tab:green", alpha=0.15, linewidth=0)
        attention_axis = wave.twinx()
        attention_axis.step(
            np.arange(segments + 1),
            np.append(result.time_attention[row].numpy(), result.time_attention[row, -1].item()),
            where="post",
            color="tab:red",
        )
        attention_axis.set_ylim(0, 1.05)
        attention_axis.set_ylabel("A^t", fontsize=7)
        wave.set_xlim(0, segments)
        wave.set_title(f"{test.video_ids[row]}: waveform, time attention (red), true event seconds (green)", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def write_report(
    models: dict[str, AVModel],
    test: FeatureSplit,
    results: dict,
    out: Path,
    recipe: Recipe,
    source: str,
    workers: int = 1,
) -> dict:
    """README.md (tables), report.json (every number), figure3.png and figure4.png in ``out``; ``workers``
    processes score the explanation methods, one model each."""
    out = make_folder(Path(out), "report")
    targets = check_targets(results["stan"]) if "stan" in results else {}
    figure3(results, out / "figure3.png")
    if "stan" in models:
        figure4(models["stan"], test, out / "figure4.png")
    statistics = attention_statistics(models, test)
    scale = feature_scale(test)
    methods, references = method_scores(models, test, recipe, workers)
    report = {
        "test_set": {"clips": len(test.labels), "source": source},
        "recipe": recipe.describe(),
        "stan_targets": targets,
        "attention_statistics": statistics,
        "feature_scale": scale,
        "metrics": results,
        "methods": {"clips": min(recipe.method_clips, len(test.labels)), "scores": methods, "references": references},
    }
    (out / "report.json").write_text(json.dumps(json_ready(report), indent=1) + "\n", encoding="utf-8")
    sections = [
        "# STAN Explorer demo report",
        f"Models from `checkpoints/demo`, evaluated on {len(test.labels)} freshly generated demo clips ({source}), "
        "never seen in training. Regenerate with `explorer report --out reports/demo`; retrain everything with "
        "`explorer demo reproduce`. Every number is also in `report.json`.",
        *(f"## {title}\n\n" + recognition_table(results, table_models(table)) for table, title in PAPER_TABLES.items()),
        "## Table 3: temporal pointing game (MAE between time attention and the true event seconds)\n\n"
        + pointing_table(results),
        "## Spatial pointing game\n\n" + spatial_table(results),
        f"## Figure 3: perturbation test ({recipe.tvd_draws} draws per level on the first "
        f"{min(recipe.tvd_clips, len(test.labels))} clips)\n\n![Figure 3](figure3.png)",
        "## Feature scale (what σ² = 1 means)\n\nThe perturbation test adds N(0, σ²) to each feature dimension; "
        "beside each dimension's spread over the test clips, σ² = 1 is noise of std 1.\n\n"
        + feature_scale_table(scale),
        "## Figure 4: STAN's space and time attention\n\n![Figure 4](figure4.png)",
        "## Attention statistics on the test clips\n\n" + statistics_table(statistics),
    ]
    if any(name in results for name in PRESET_CHECKPOINTS):
        sections.append(
            "## STAN's pooling: the paper's mean (Eq. 6) against the demo's\n\n"
            + POOLING_TEXT
            + "\n\n"
            + pooling_table(results, statistics)
        )
    if methods:
        sections.append(
            f"## Explanation methods (first {report['methods']['clips']} test clips)\n\n"
            "Each method explains the clip's true class; its maps are scored against the annotations (docs/METHODS.md "
            "says how each is computed and reduced to per-second and per-location maps).\n\n"
            + methods_table(methods, references)
            + "\n\n"
            + methods_reading(methods, references)
        )
    if targets:
        sections.append("## STAN targets\n\n" + targets_table(targets) + saturation_note(statistics))
    (out / "README.md").write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return report


def method_scores(
    models: dict[str, AVModel], test: FeatureSplit, recipe: Recipe, workers: int = 1
) -> tuple[dict, dict]:
    """Every explanation method on METHOD_MODELS over the first ``recipe.method_clips`` test clips, and the trivial
    references on those clips: the centre point's hit rate, a uniform map's energy in the mask, "every second"."""
    split = test.head(recipe.method_clips)
    items = [split.dataset()[index] for index in range(len(split.labels))]
    masks = None if split.event_masks is None else list(split.event_masks)
    clips = annotated_clips(items, list(split.time_masks), masks)
    names = [name for name in METHOD_MODELS if name in models]

    def score(name: str) -> dict:
        return evaluate_methods(
            models[name], clips, recipe.methods or list_methods(), draws=recipe.tvd_draws, seed=recipe.seed
        )

    scores = dict(zip(names, run_jobs(score, names, workers)))
    segment_masks = [clip.space_masks for clip in clips if clip.space_masks is not None]
    time_masks = [clip.time_mask for clip in clips if clip.time_mask is not None]
    areas = [mask.mean() for masks in segment_masks for mask in masks if mask.any()]
    references = {
        "hit_centre": trivial_spatial_hits(segment_masks, POINTING_TOLERANCE_PX)["centre"] if segment_masks else None,
        "energy_uniform": float(np.mean(areas)) if areas else None,
        "mae_every_second": pointing_game([np.ones(len(mask)) for mask in time_masks], time_masks)
        if time_masks
        else None,
    }
    return scores, references


def load_demo_models(checkpoints: Path) -> dict[str, AVModel]:
    """Every model of the paper's tables that ``checkpoints`` holds, in table order."""
    models = {
        name: load_checkpoint(checkpoints / name)
        for name in DEMO_CHECKPOINTS
        if (checkpoints / f"{name}.json").is_file()
    }
    if not models:
        raise CheckpointError(
            f"{checkpoints} holds none of the demo models ({', '.join(DEMO_CHECKPOINTS)}); "
            "run `explorer demo reproduce` or pass the right --checkpoints folder."
        )
    return models


def build_report(
    checkpoints: Path,
    out: Path,
    n: int,
    seed: int,
    draws: int,
    methods: list[str] | None = None,
    method_clips: int = FULL.method_clips,
    progress: bool = True,
) -> dict:
    """Load the checkpoints and their encoder, generate ``n`` test clips of ``seed``, evaluate and write."""
    checkpoints = Path(checkpoints)
    if not checkpoints.is_dir():
        raise CheckpointError(f"The checkpoints folder {checkpoints} does not exist; run `explorer demo reproduce`.")
    out = make_folder(Path(out), "report")
    models = load_demo_models(checkpoints)
    encoder = checkpoint_encoder(next(iter(models.values())))  # the demo models share the encoder their cards name
    recipe = replace(
        FULL, test_clips=n, test_seed=seed, tvd_draws=draws, methods=tuple(methods or ()), method_clips=method_clips
    )
    test = extract_features(
        encoder, n, seed, object_scale=recipe.object_scale, keep_clips=min(FIGURE4_CLIPS, n), progress=progress
    )
    results = {name: evaluate_demo_model(model, test, recipe) for name, model in models.items()}
    return write_report(models, test, results, out, recipe, source=f"seed {seed}")
