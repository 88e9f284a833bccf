"""How much the demo STAN moves between retrains of one recipe: the recipe's STAN trained with several training seeds.

Each row is the recipe of ``explorer demo reproduce`` with only ``Recipe.seed`` (initialisation, batch order, the
TVD's noise) changed, on the same cached features. Scored as the card scores (``evaluate_demo_model`` on the card's
300 clips of seed 3) and on the 13 real videos (known classes right, right and sure, unknown classes unsure). Nothing
is picked on these rows: they say how far one retrain's numbers can be trusted, and whether the validation
where/when score that picks the epoch (``val score``: the class maps' hit minus MAE on seed 2) would also tell the
better draws apart. Prints Markdown; ``--json`` keeps
every number.

    python benchmarks/retrain_noise.py --seeds 0,1,2,3 --json reports/demo/retrain_noise.json
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

import torch

from explorer.demo.real import REAL_VIDEOS, UNSURE_BELOW, VIDEOS_DIR
from explorer.demo.scoring import evaluate_demo_model
from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import FULL, demo_encoder, extract_splits, train_model
from explorer.demo.workers import default_workers, run_jobs
from explorer.evaluation import json_ready
from explorer.media import load_clip


def real_video_features(encoder) -> dict:
    """Each shipped real video's features, decoded as the app decodes an upload."""
    return {video.name: encoder.encode(load_clip(VIDEOS_DIR / f"{video.name}.mp4")) for video in REAL_VIDEOS}


def real_video_scores(model, real_features) -> dict:
    """Known classes right (and right with p ≥ UNSURE_BELOW), unknown classes kept under the bar, and each answer."""
    answers, right, sure, unsure = {}, 0, 0, 0
    for video in REAL_VIDEOS:
        audio, visual = real_features[video.name]
        with torch.no_grad():
            probs = model(audio[None], visual[None]).probs[0]
        top = int(probs.argmax())
        answers[video.name] = f"{CLASS_NAMES[top]} {float(probs[top]):.2f}"
        if video.expected is None:
            unsure += float(probs[top]) < UNSURE_BELOW
        elif CLASS_NAMES[top] == video.expected:
            right += 1
            sure += float(probs[top]) >= UNSURE_BELOW
    return {"right": right, "right_and_sure": sure, "unknown_unsure": unsure, "answers": answers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3", help="training seeds (Recipe.seed; the recipe's is 0)")
    parser.add_argument("--json", help="write every number here")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    encoder = demo_encoder(FULL)
    options = {"object_scale": FULL.object_scale, "progress": False, "workers": args.workers}
    (train,) = extract_splits([encoder], FULL.train_clips, FULL.train_seed, **options)
    (val,) = extract_splits([encoder], FULL.val_clips, FULL.val_seed, **options)
    (test,) = extract_splits([encoder], FULL.test_clips, FULL.test_seed, **options)
    real_features = real_video_features(encoder)
    known = sum(1 for video in REAL_VIDEOS if video.expected)

    def retrain(seed: int) -> dict:
        recipe = replace(FULL, seed=seed)
        model, trained, seconds = train_model("stan", train, val, recipe)
        metrics = evaluate_demo_model(model, test, recipe)
        val_score = trained.history[trained.best_epoch - 1]["val_score"]  # what checkpoint selection maximised
        return {
            "best_epoch": trained.best_epoch,
            "val_score": val_score,
            "metrics": metrics,
            "real": real_video_scores(model, real_features),
        }

    print(
        f"STAN retrained with each training seed; card protocol on {FULL.test_clips} clips of seed {FULL.test_seed}\n"
    )
    print(
        "| seed | best epoch | val score | top-1 | F | A^t MAE | A^s hit | CAM hit | CAV MAE | TVD ratio "
        "| real right (sure) | unknown unsure |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = {}
    for seed, row in zip(seeds, run_jobs(retrain, seeds, args.workers)):
        rows[seed], metrics, real = row, row["metrics"], row["real"]
        print(
            f"| {seed} | {row['best_epoch']} | {row['val_score']:.3f} | {metrics['top1']:.1f} | "
            f"{metrics['f_score']:.1f} | "
            f"{metrics['pointing_mae_soft']:.3f} | {metrics['spatial_hit_rate']:.3f} | {metrics['cam_hit_rate']:.3f} | "
            f"{metrics['cav_mae_soft']:.3f} | {metrics['tvd_ratio_at_sigma2_1']:.2f} | {real['right']}/{known} "
            f"({real['right_and_sure']}) | {real['unknown_unsure']}/{len(REAL_VIDEOS) - known} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(json_ready({"test_seed": FULL.test_seed, "rows": rows}), handle, indent=1)


if __name__ == "__main__":
    main()
