"""Do outlier clips teach the demo STAN to stay unsure on classes it does not know, and what do they cost?

An outlier clip (``sample_scene(outliers=True)``) shows and sounds an object of no demo class (``OUTLIER_CLASSES``:
seven Tux Paint cut-outs with their recordings, none of them in any real test video), with the usual distractors and
no label; this is outlier exposure (Hendrycks et al., 2019) with the multi-label loss's all-zero target. Each row
trains the recipe's STAN with ``Recipe.outlier_clips`` outlier clips of the train seed beside its 1000 clips and one
training seed (``Recipe.seed``), since a retrain alone moves the real videos by several (docs/DEMO.md, "How far one
retrain can be trusted"). It is scored as the card scores, on the levers' test seed 5 (used by nothing else), and on
the 13 real videos: the ten of known classes named right (and sure, p ≥ 0.5), the three of unknown classes kept
unsure. ``--train-clips`` trains on fewer ordinary clips, to weigh outliers against the data they could replace.
Prints Markdown; ``--json`` keeps every number.

    python benchmarks/outlier_clips.py --outliers 0,250 --seeds 0,1,2 --json rows.json
    python benchmarks/outlier_clips.py --train-clips 800 --outliers 0,200 --seeds 0,1,2

reports/demo/outlier_clips.json holds the rows of the tenth pass (docs/DEMO.md): the two runs above and
``--outliers 500``.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import replace

from demo_levers import SPLIT_SIZES, TEST_SEED, mask_statistics
from retrain_noise import real_video_features, real_video_scores

from explorer.demo.real import REAL_VIDEOS
from explorer.demo.scoring import evaluate_demo_model
from explorer.demo.training import FULL, demo_encoder, extract_features, train_model, with_outlier_clips
from explorer.demo.workers import default_workers, run_jobs
from explorer.evaluation import json_ready


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outliers", default="0,250", help="outlier clips beside the training clips, per row")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds (Recipe.seed) of each setting")
    parser.add_argument("--train-clips", type=int, default=FULL.train_clips, help="ordinary training clips, per row")
    parser.add_argument("--test-clips", type=int, default=SPLIT_SIZES["test"], help="clips of test seed 5")
    parser.add_argument("--json", help="write every number here")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    counts = [int(count) for count in args.outliers.split(",")]
    seeds = [int(seed) for seed in args.seeds.split(",")]
    encoder = demo_encoder(FULL)
    options = {"object_scale": FULL.object_scale, "progress": False, "workers": args.workers}
    train = extract_features(encoder, args.train_clips, FULL.train_seed, **options)
    val = extract_features(encoder, FULL.val_clips, FULL.val_seed, **options)
    test = extract_features(encoder, args.test_clips, TEST_SEED, **options)
    # Every row's outlier clips are the first ones of the largest row's, so the features are encoded once.
    largest = with_outlier_clips(train, encoder, replace(FULL, outlier_clips=max(counts)), **options)
    real_features = real_video_features(encoder)
    known = sum(1 for video in REAL_VIDEOS if video.expected)

    def run(row: tuple[int, int]) -> dict:
        count, seed = row
        recipe = replace(FULL, train_clips=args.train_clips, outlier_clips=count, seed=seed)
        model, trained, seconds = train_model("stan", largest.head(len(train.labels) + count), val, recipe)
        return {
            "outlier_clips": count,
            "seed": seed,
            "best_epoch": trained.best_epoch,
            "seconds": seconds,
            "metrics": evaluate_demo_model(model, test, recipe),
            "real": real_video_scores(model, real_features),
        }

    print(
        f"STAN with outlier clips beside {args.train_clips} training clips; {args.test_clips} clips of seed "
        f"{TEST_SEED}, event objects "
        f"{mask_statistics(test)} of the frame\n"
    )
    print(
        "| outlier clips | seed | best epoch | top-1 | F | A^t MAE | A^s hit | CAM hit | CAV MAE | TVD ratio "
        "| real right (sure) | unknown unsure | unknown answers |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = list(itertools.product(counts, seeds))
    results = []
    for result in run_jobs(run, rows, args.workers):
        metrics, real = result["metrics"], result["real"]
        unknown = ", ".join(real["answers"][video.name] for video in REAL_VIDEOS if not video.expected)
        print(
            f"| {result['outlier_clips']} | {result['seed']} | {result['best_epoch']} | {metrics['top1']:.1f} | "
            f"{metrics['f_score']:.1f} | {metrics['pointing_mae_soft']:.3f} | {metrics['spatial_hit_rate']:.3f} | "
            f"{metrics['cam_hit_rate']:.3f} | {metrics['cav_mae_soft']:.3f} | {metrics['tvd_ratio_at_sigma2_1']:.2f} "
            f"| {real['right']}/{known} ({real['right_and_sure']}) | "
            f"{real['unknown_unsure']}/{len(REAL_VIDEOS) - known} | {unknown} |",
            flush=True,
        )
        results.append(result)
    references = results[0]["metrics"]
    print(
        f"\nReferences on these clips: every second {references['baseline_mae_every_second']:.3f}, centre "
        f"{references['baseline_hit_centre']:.3f}, random {references['baseline_hit_random']:.3f}."
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            summary = {
                "train_clips": args.train_clips,
                "test_seed": TEST_SEED,
                "test_clips": args.test_clips,
                "rows": results,
            }
            json.dump(json_ready(summary), handle, indent=1)


if __name__ == "__main__":
    main()
