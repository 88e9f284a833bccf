"""Score a demo checkpoint on a seed that nothing has used: not training, validation, the levers, the card or a test.

The card's seed 3 has been read after each recipe change, so a recipe picked over several passes has, in a weak
sense, seen it. A seed drawn afresh after the choice is the clean check. Same protocol as the card
(``evaluate_demo_model``: every clip for the pointing games, the first ``tvd_clips`` for the TVD), plus the TVD ratio on
all the clips. Prints Markdown with the trivial references beside each number; ``--json`` keeps every number.

    python benchmarks/fresh_seed.py checkpoints/demo/stan --seed 11 --clips 300
"""

from __future__ import annotations

import argparse
import json

from demo_levers import TEST_SEED as LEVER_SEED

from explorer.demo.scoring import evaluate_demo_model, tvd_ratio
from explorer.demo.training import FULL, demo_encoder, extract_splits
from explorer.demo.workers import default_workers
from explorer.evaluation import perturbation
from explorer.models.checkpoint import load_checkpoint

TEST_FLOORS_SEED = 9001  # tests/test_demo_models.py's UNSEEN_SEED
READ_SEEDS = (11, 24, 26)  # drawn afresh for the STANs of stops 22, 24 and 26, and read once each (docs/DEMO.md)
# Seeds the project already uses: train, val, card, samples (FULL), the levers', the test floors' and the read ones.
USED_SEEDS = {
    FULL.train_seed,
    FULL.val_seed,
    FULL.test_seed,
    FULL.sample_seed,
    LEVER_SEED,
    TEST_FLOORS_SEED,
    *READ_SEEDS,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", nargs="+", help="checkpoint folders, e.g. checkpoints/demo/stan")
    parser.add_argument("--seed", type=int, required=True, help="a demo seed no one has used")
    parser.add_argument("--clips", type=int, default=FULL.test_clips)
    parser.add_argument("--json", help="write every number here")
    parser.add_argument("--workers", type=int, default=default_workers(), help="processes that encode the clips")
    args = parser.parse_args()
    if args.seed in USED_SEEDS:
        parser.error(f"seed {args.seed} is already used by the project ({sorted(USED_SEEDS)}); pick another")
    (test,) = extract_splits([demo_encoder(FULL)], args.clips, args.seed, FULL.object_scale, workers=args.workers)
    print(f"{args.clips} clips of demo seed {args.seed}; TVD at σ² = 1 with {FULL.tvd_draws} draws\n")
    print(
        "| checkpoint | top-1 | F | A^t MAE soft / binary | every second | CAV MAE | A^s hit 15 px / strict | "
        "CAM hit | centre / random | TVD ratio (first 100 / all) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    results = {}
    for path in args.checkpoint:
        model = load_checkpoint(path)
        card = evaluate_demo_model(model, test, FULL)
        curves = perturbation(
            model, test.dataset(), FULL.sigma2_levels, FULL.tvd_draws, seed=FULL.seed, sampling=FULL.tvd_sampling
        )
        every = tvd_ratio(curves)  # the same test on every clip, not only the card's first tvd_clips
        card["tvd_ratio_all_clips"] = every
        results[path] = card
        print(
            f"| {path} | {card['top1']:.1f} | {card['f_score']:.1f} | {card['pointing_mae_soft']:.3f} / "
            f"{card['pointing_mae_binary']:.3f} | {card['baseline_mae_every_second']:.3f} | {card['cav_mae_soft']:.3f} "
            f"| {card['spatial_hit_rate']:.3f} / {card['spatial_hit_rate_strict']:.3f} | {card['cam_hit_rate']:.3f} | "
            f"{card['baseline_hit_centre']:.3f} / {card['baseline_hit_random']:.3f} | "
            f"{card['tvd_ratio_at_sigma2_1']:.2f} / {every:.2f} |",
            flush=True,
        )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"seed": args.seed, "clips": args.clips, "results": results}, handle, indent=1)


if __name__ == "__main__":
    main()
