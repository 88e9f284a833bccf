"""What makes STAN's demo explanations explain: each lever alone, on a test seed no training or card uses.

Features come from the demo feature cache (rendered once, encoded once per encoder), so each row costs one STAN
training on frozen features. Every row changes one thing against the base setting: the demo recipe (EfficientNet-Lite0
stride-16 14×14 map, aiSFX, object scale 1, normalised pooling, the demo STAN's options before the seventh pass added
the contrast (``LEVER_BASE``), 1000 training clips) with checkpoints picked on val mAP, as the demo STAN was until it
picked them on its class maps' where/when score (a row of the fourth pass). A row that names STAN options (the
pooling and gate passes) builds them on the paper's gates instead. It reports recognition, the gates (A^t MAE, A^s
hit), STAN's own class maps (top class's CAV MAE and CAM hit), the TVD ratio and the trivial references on the same
clips. The recipe's options are chosen on these rows, so the card's seed 3 and the test floors' seed 9001 are what
check them. Prints Markdown; ``--json`` keeps every number.

    python benchmarks/demo_levers.py --json reports/demo/levers.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from functools import lru_cache

import numpy as np
import torch

from explorer.demo.scene import OBJECT_SCALE
from explorer.demo.training import FULL, FeatureSplit, extract_splits, train_model
from explorer.encoders import create_encoder
from explorer.evaluation import evaluate_model, json_ready
from explorer.explain import perturbation_curves

TRAIN_SEED, VAL_SEED, TEST_SEED = 1, 2, 5  # seed 5 is used by nothing else: not training, not the card, not samples
SPLIT_SIZES = {"train": FULL.train_clips, "val": FULL.val_clips, "test": 150}
LARGE_SCALE = 1.6
TVD_DRAWS = 20  # noise draws at σ² = 1 for the relevant / irrelevant TVD ratio
# The rows build on the demo STAN as it was before the seventh pass added the contrast, so that every documented row
# reruns as it was measured; the eighth pass's kept row (both contrasts at 3) is the recipe's STAN of today.
LEVER_BASE = {**FULL.stan_config, "space_contrast": 1.0, "time_contrast": 1.0}


@lru_cache(maxsize=None)
def split(seed: int, visual: str, audio: str, scale: float, frames: int, clips: int) -> FeatureSplit:
    """The first ``clips`` of one seed encoded by ``audio`` + EfficientNet-Lite0's ``visual`` map, as
    ``demo_encoder`` builds the pair, its visual map the mean over ``frames`` frames a second."""
    config = {**FULL.encoder_config, "layer": visual, "frames_per_segment": frames}
    pair = create_encoder(f"{audio}+{FULL.visual_encoder}", **config)
    return extract_splits([pair], clips, seed, scale, progress=False)[0]


def mask_statistics(test: FeatureSplit) -> str:
    """The event objects' share of the frame over the test segments: mean and quartiles."""
    shares = test.event_masks.reshape(*test.event_masks.shape[:2], -1).mean(axis=2).ravel()
    shares = shares[shares > 0]
    q1, median, q3 = np.percentile(shares, [25, 50, 75])
    return f"{100 * shares.mean():.1f}% (quartiles {100 * q1:.1f} / {100 * median:.1f} / {100 * q3:.1f})"


def run(setting: dict, test_seed: int = TEST_SEED) -> dict:
    visual = setting.get("visual", FULL.encoder_config["layer"])
    audio, scale = setting.get("audio", FULL.audio_encoder), setting.get("scale", FULL.object_scale)
    frames = setting.get("frames", FULL.encoder_config["frames_per_segment"])
    sizes = {**SPLIT_SIZES, "train": setting.get("train_clips", SPLIT_SIZES["train"])}
    if test_seed == VAL_SEED:  # scored on the seed the checkpoints are picked on: all of it, as validation sees it
        sizes["test"] = sizes["val"]
    seeds = {"train": TRAIN_SEED, "val": VAL_SEED, "test": test_seed}
    train, val, test = (split(seeds[kind], visual, audio, scale, frames, sizes[kind]) for kind in seeds)
    recipe = replace(
        FULL,
        **{key: value for key, value in setting.items() if key in ("epochs", "patience")},
        model_config={**FULL.model_config, **setting.get("model_config", {})},
        # A row that names STAN options builds them on the paper's gates, not on the demo STAN's own options;
        # "stan_config" changes some of the demo STAN's.
        stan_config={} if "model_config" in setting else {**LEVER_BASE, **setting.get("stan_config", {})},
    )
    # The gate passes were measured with checkpoints picked on val mAP; other rows pick as they say, else as the recipe.
    selection = setting.get("select", "map" if "model_config" in setting else None)
    started = time.perf_counter()
    torch.manual_seed(0)
    model, trained, _ = train_model(setting.get("model", "stan"), train, val, recipe, selection=selection)
    metrics = evaluate_model(model, test.dataset(), list(test.time_masks), list(test.event_masks))
    curves = perturbation_curves(model, (test.audio, test.visual), [1.0], TVD_DRAWS, sampling="fast")
    metrics["tvd_ratio"] = float(curves["relevant"][0] / curves["irrelevant"][0])
    metrics["seconds"] = time.perf_counter() - started
    metrics["best_epoch"] = trained.best_epoch
    metrics["object_share"] = mask_statistics(test)
    return json_ready(metrics)


def stacked(steps: list[tuple[str, str, dict]]) -> list[tuple[str, str, dict]]:
    """Lever rows that each add their model options to those of the row before (the first to the base)."""
    rows, options = [], {}
    for lever, label, added in steps:
        options = {**options, **added}
        rows.append((lever, label, {"model_config": dict(options)}))
    return rows


# The second and third passes: from the agreement time gate, one STAN option more per row, each measured alone.
KEPT_OPTIONS = stacked(
    [
        ("time gate", "agreement: max_k σ(a_tk)·σ(v_tk)", {"time_gating": "agreement"}),
        ("space gate", "agreement: A^s = max_k σ(v_thwk)·σ(a_tk)", {"space_gating": "agreement"}),
        ("auxiliary pooling", "L_CAM / L_CAV on the attention-weighted CAM / CAV", {"aux_pooling": "attention"}),
        ("audio context", "each second's audio without the clip's mean ā", {"audio_context": "none"}),
        ("space sharpness", "A^s raised to γ = 2", {"space_sharpness": 2.0}),
    ]
)
LAST_KEPT = KEPT_OPTIONS[-1][2]["model_config"]
THIRD_PASS = [
    *KEPT_OPTIONS,
    (
        "time sharpness",
        "A^t raised to γ = 2 (on the space-sharpness row)",
        {"model_config": {**LAST_KEPT, "time_sharpness": 2.0}},
    ),
    (
        "time sharpness",
        "A^t raised to γ = 0.5 (on the space-sharpness row)",
        {"model_config": {**LAST_KEPT, "time_sharpness": 0.5}},
    ),
]

LEVERS: list[tuple[str, str, dict]] = [
    (
        "base",
        "the demo recipe: stride-16 14×14×112, aiSFX, scale 1, 1000 clips (checkpoints on val mAP)",
        {"select": "map"},
    ),
    ("coarser map", "head 7×7×1280", {"visual": "head"}),
    ("audio encoder", "SoundNet pool5", {"audio": "soundnet"}),
    ("object scale", f"×{LARGE_SCALE}", {"scale": LARGE_SCALE}),
    ("pooling", "paper's mean (Eq. 6)", {"model_config": {"pooling": "mean"}}),
    ("pooling", "factored", {"model_config": {"pooling": "factored"}}),
    *THIRD_PASS,
    # The fourth pass: on the demo STAN (the last row's options), the data, the training length, the selection.
    ("data", "250 training clips", {"train_clips": 250, "select": "map"}),
    ("data", "500 training clips", {"train_clips": 500, "select": "map"}),
    ("training length", "15 epochs at most", {"epochs": 15, "select": "map"}),
    ("training length", "30 epochs at most", {"epochs": 30, "select": "map"}),
    ("training length", "40 epochs at most", {"epochs": 40, "select": "map"}),
    ("checkpoint selection", "val CAM hit − CAV MAE (the demo recipe's)", {"select": "class_maps"}),
    ("checkpoint selection", "val A^s hit − A^t MAE", {"select": "gates"}),
    ("checkpoint selection", "val CAM hit − CAV MAE, 30 epochs at most", {"select": "class_maps", "epochs": 30}),
    # The visual half of the TVD ratio: noise on the ~99% of cells under half the peak still moves the pooled feature.
    ("space sharpness", "A^s raised to γ = 3", {"stan_config": {"space_sharpness": 3.0}, "select": "map"}),
    ("space sharpness", "A^s raised to γ = 4", {"stan_config": {"space_sharpness": 4.0}, "select": "map"}),
    # The second pass's base: the paper's gates with the demo's pooling (what row 6's agreement time gate changes).
    ("time gate", "the paper's MLP gate over the CAV", {"model_config": {}}),
    # The fifth pass: the frame rate the visual map averages (the paper's segments average their frames, §3.1), and
    # twice the data.
    ("frames per second", "2 frames a second, their maps averaged", {"frames": 2, "select": "map"}),
    ("data", "2000 training clips", {"train_clips": 2000, "select": "map"}),
    (
        "data",
        "2000 training clips, val CAM hit − CAV MAE (the demo recipe's)",
        {"train_clips": 2000, "select": "class_maps"},
    ),
    # The sixth pass: the visual half of the TVD ratio again, by cutting the attention under a floor to exactly 0,
    # so that the cells (seconds) the attention rates irrelevant hold no weight at all.
    ("space floor", "A^s cut to 0 under 0.1 of its peak", {"stan_config": {"space_floor": 0.1}, "select": "map"}),
    ("space floor", "A^s cut to 0 under 0.25 of its peak", {"stan_config": {"space_floor": 0.25}, "select": "map"}),
    (
        "space and time floor",
        "A^s and A^t cut to 0 under 0.1 of their peaks",
        {"stan_config": {"space_floor": 0.1, "time_floor": 0.1}, "select": "map"},
    ),
    # The seventh pass: contrast about half the peak, A^c / (A^c + (1 − A)^c), so that the weight moves onto what the
    # perturbation test calls relevant and off what it calls irrelevant, and half the peak stays where it is.
    ("space contrast", "A^s with contrast c = 2", {"stan_config": {"space_contrast": 2.0}, "select": "map"}),
    ("space contrast", "A^s with contrast c = 4", {"stan_config": {"space_contrast": 4.0}, "select": "map"}),
    (
        "space and time contrast",
        "A^s and A^t with contrast c = 2",
        {"stan_config": {"space_contrast": 2.0, "time_contrast": 2.0}, "select": "map"},
    ),
    ("time contrast", "A^t with contrast c = 2", {"stan_config": {"time_contrast": 2.0}, "select": "map"}),
    (
        "space and time contrast",
        "A^s and A^t with contrast c = 2, val CAM hit − CAV MAE (the demo recipe's selection)",
        {"stan_config": {"space_contrast": 2.0, "time_contrast": 2.0}, "select": "class_maps"},
    ),
    (
        "space and time contrast",
        "A^s with contrast c = 4, A^t with c = 2",
        {"stan_config": {"space_contrast": 4.0, "time_contrast": 2.0}, "select": "map"},
    ),
    (
        "space and time contrast",
        "A^s with contrast c = 4, A^t with c = 2, val CAM hit − CAV MAE (the demo recipe's selection)",
        {"stan_config": {"space_contrast": 4.0, "time_contrast": 2.0}, "select": "class_maps"},
    ),
    # The eighth pass: between the kept row and the stronger one, with the recipe's selection.
    *(
        (
            "space and time contrast",
            f"A^s with contrast c = {space:g}, A^t with c = {time:g}, val CAM hit − CAV MAE (the recipe's selection)",
            {"stan_config": {"space_contrast": space, "time_contrast": time}, "select": "class_maps"},
        )
        for space, time in ((3.0, 2.0), (2.0, 4.0), (3.0, 3.0))
    ),
]


def row(lever: str, label: str, metrics: dict) -> str:
    def cell(key, scale=1.0, digits=3):
        value = metrics.get(key)
        return "–" if value is None else f"{value * scale:.{digits}f}"

    return (
        f"| {lever} | {label} | {cell('top1', 1, 1)} | {cell('f_score', 1, 1)} | {cell('pointing_mae_soft')} | "
        f"{cell('cav_mae_soft')} | {cell('baseline_mae_every_second')} | {cell('spatial_hit_rate')} / "
        f"{cell('spatial_hit_rate_strict')} | {cell('cam_hit_rate')} / {cell('cam_hit_rate_strict')} | "
        f"{cell('baseline_hit_centre')} / {cell('baseline_hit_random')} | {cell('tvd_ratio', 1, 2)} | "
        f"{metrics['object_share']} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", help="write every number here")
    parser.add_argument("--only", help="comma-separated lever rows by index, e.g. 0,4")
    parser.add_argument(
        "--test-seed",
        type=int,
        default=TEST_SEED,
        help=f"the seed the rows are scored on (default {TEST_SEED}; {VAL_SEED}: the validation seed, all of it)",
    )
    args = parser.parse_args()
    indices = [int(index) for index in args.only.split(",") if index.strip().isdigit()] if args.only else []
    if args.only and (len(indices) != len(args.only.split(",")) or max(indices) >= len(LEVERS)):
        parser.error(f"--only takes row indices from 0 to {len(LEVERS) - 1}, comma-separated; got {args.only!r}")
    chosen = [LEVERS[index] for index in indices] if args.only else LEVERS
    print(
        f"train {SPLIT_SIZES['train']} clips of seed {TRAIN_SEED}, val {SPLIT_SIZES['val']} of seed {VAL_SEED}, "
        f"test seed {args.test_seed}; default object scale {OBJECT_SCALE}\n"
    )
    print(
        "| lever | setting | top-1 | F | MAE A^t | MAE CAV | MAE every second | hit A^s (15 px / strict) | "
        "hit CAM (15 px / strict) | hit centre / random (15 px) | TVD ratio at σ² = 1 | event object share |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    results = []
    for lever, label, setting in chosen:
        metrics = run(setting, args.test_seed)
        results.append({"lever": lever, "setting": label, "config": setting, "metrics": metrics})
        print(row(lever, label, metrics), flush=True)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
