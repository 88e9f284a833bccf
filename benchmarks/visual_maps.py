"""Which visual map lets the demo STAN name real videos, and what does it cost the demo's where/when scores?

The demo classes are each learned from one or two drawn cut-outs, so a map whose channels only the demo gave meaning
to (the stride-16 block) does not carry them to real photos (benchmarks/real_photo_probe.py). The ``concepts`` map
keeps ImageNet's meaning: EfficientNet's own classifier on each cell, its probabilities summed over ImageNet's
neighbourhoods of the demo's things (``IMAGENET_CONCEPTS``). Each row trains the demo STAN (the recipe's options,
checkpoints picked as the recipe picks them) on one map, and scores it on test seed 5 (used by nothing else, as in
benchmarks/demo_levers.py) and on the real test videos (``explorer.demo.real``): their top class on the ten of known
classes, and the highest probability on the three the demo does not know (under 0.5 is what the app calls unsure).
The first row is the committed STAN (the recipe's map, ``stride16+concepts@16``), not retrained. Prints Markdown;
``--json`` keeps every number.

    python benchmarks/visual_maps.py stride16 concepts@16 "stride16+concepts@16*1" "stride16+concepts@16*10" \
        --json reports/demo/visual_maps.json
"""

from __future__ import annotations

import argparse
import json
import time

import torch
from demo_levers import SPLIT_SIZES, TEST_SEED, TRAIN_SEED, TVD_DRAWS, VAL_SEED, mask_statistics

from explorer.demo.real import REAL_VIDEOS, UNSURE_BELOW, VIDEOS_DIR
from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import FULL, extract_splits, train_model
from explorer.encoders import create_encoder
from explorer.evaluation import evaluate_model, json_ready
from explorer.explain import checkpoint_encoder, perturbation_curves
from explorer.media import load_clip
from explorer.models import load_checkpoint
from explorer.paths import REPO_ROOT

COMMITTED = "committed"


def map_encoder(spec: str):
    """``LAYER[@OUTPUT_STRIDE][*CONCEPT_GAIN]`` → the recipe's audio + EfficientNet-Lite0 pair with that visual map."""
    spec, _, gain = spec.partition("*")
    layer, _, stride = spec.partition("@")
    config = {"frames_per_segment": FULL.encoder_config["frames_per_segment"], "layer": layer}
    if stride:
        config["output_stride"] = int(stride)
    if gain:
        config["concept_gain"] = float(gain)
    return create_encoder(f"{FULL.audio_encoder}+{FULL.visual_encoder}", **config)


def real_video_scores(model, encoder) -> dict:
    """Top class right on the known-class videos; highest probability on the unknown ones."""
    answers = {}
    for video in REAL_VIDEOS:
        audio, visual = encoder.encode(load_clip(VIDEOS_DIR / f"{video.name}.mp4"))
        with torch.no_grad():
            probs = model(audio[None], visual[None]).probs[0]
        answers[video.name] = (video.expected, CLASS_NAMES[int(probs.argmax())], float(probs.max()))
    known = [answer for answer in answers.values() if answer[0]]
    unknown = [answer for answer in answers.values() if not answer[0]]
    return {
        "real_right": sum(expected == top for expected, top, _ in known),
        "real_right_sure": sum(expected == top and p >= UNSURE_BELOW for expected, top, p in known),
        "real_known": len(known),
        "unknown_max_probability": max(p for *_, p in unknown),
        "real_answers": {name: f"{top} {p:.2f}" for name, (_, top, p) in answers.items()},
    }


def run(spec: str) -> dict:
    started = time.perf_counter()
    if spec == COMMITTED:
        model = load_checkpoint(REPO_ROOT / "checkpoints" / "demo" / "stan")
        encoder = checkpoint_encoder(model)
        (test,) = extract_splits([encoder], SPLIT_SIZES["test"], TEST_SEED, FULL.object_scale, progress=False)
    else:
        encoder = map_encoder(spec)
        train, val, test = (
            extract_splits([encoder], SPLIT_SIZES[kind], seed, FULL.object_scale, progress=False)[0]
            for kind, seed in (("train", TRAIN_SEED), ("val", VAL_SEED), ("test", TEST_SEED))
        )
        torch.manual_seed(0)
        model, _, _ = train_model("stan", train, val, FULL)
    metrics = evaluate_model(model.eval(), test.dataset(), list(test.time_masks), list(test.event_masks))
    curves = perturbation_curves(model, (test.audio, test.visual), [1.0], TVD_DRAWS, sampling="fast")
    metrics["tvd_ratio"] = float(curves["relevant"][0] / curves["irrelevant"][0])
    metrics["visual_std"] = float(test.visual.std(dim=(0, 1, 2, 3)).mean())
    metrics.update(real_video_scores(model, encoder.eval()))
    metrics["object_share"] = mask_statistics(test)
    metrics["grid"] = list(encoder.grid)
    metrics["seconds"] = time.perf_counter() - started
    return json_ready(metrics)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("maps", nargs="+", help="visual maps: LAYER[@OUTPUT_STRIDE][*CONCEPT_GAIN], e.g. concepts@16*1")
    parser.add_argument("--json", help="write every number here")
    args = parser.parse_args()
    rows = {spec: run(spec) for spec in [COMMITTED, *args.maps]}
    print(f"Test seed {TEST_SEED}, {SPLIT_SIZES['test']} clips; real videos: {len(REAL_VIDEOS)}.")
    print(
        "| map | grid | top-1 | F | A^t MAE (every second) | CAV MAE | A^s hit | CAM hit | centre / random | TVD ratio "
        "| real known right (sure) | unknown max p | object share |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for spec, m in rows.items():
        print(
            f"| {spec} | {m['grid'][0]}×{m['grid'][1]} | {m['top1']:.1f} | {m['f_score']:.1f} | "
            f"{m['pointing_mae_soft']:.3f} ({m['baseline_mae_every_second']:.3f}) | {m['cav_mae_soft']:.3f} | "
            f"{m['spatial_hit_rate']:.3f} | {m['cam_hit_rate']:.3f} | "
            f"{m['baseline_hit_centre']:.3f} / {m['baseline_hit_random']:.3f} | {m['tvd_ratio']:.2f} | "
            f"{m['real_right']}/{m['real_known']} ({m['real_right_sure']}) | {m['unknown_max_probability']:.2f} | "
            f"{m['object_share']} |"
        )
    for spec, m in rows.items():
        print(f"\n{spec}: " + "; ".join(f"{name} → {answer}" for name, answer in m["real_answers"].items()))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
