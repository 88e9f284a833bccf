"""``explorer report``: regenerate the demo report (Tables 1-3, Figures 3-4) from the checkpoints on fresh clips."""

from __future__ import annotations

import argparse
from pathlib import Path

from explorer.commands.options import method_list, positive_int


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("report", help="evaluate the demo checkpoints on fresh clips and draw the report")
    parser.add_argument("--out", default="reports/demo", help="report folder (default reports/demo)")
    parser.add_argument("--checkpoints", default="checkpoints/demo", help="demo checkpoints (default checkpoints/demo)")
    parser.add_argument("--n", type=positive_int, default=300, help="number of fresh test clips (default 300)")
    parser.add_argument("--seed", type=int, default=3, help="demo seed of the test clips (default 3, the test split)")
    parser.add_argument("--draws", type=positive_int, default=20, help="noise draws per σ² level (default 20)")
    parser.add_argument("--methods", type=method_list, help="explanation methods to score (default all)")
    parser.add_argument(
        "--method-clips", type=positive_int, default=40, help="test clips the methods are scored on (default 40)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from explorer.demo.report import build_report  # the heavy imports only when the command runs

    report = build_report(
        Path(args.checkpoints), Path(args.out), args.n, args.seed, args.draws, args.methods, args.method_clips
    )
    stan = report["metrics"].get("stan")
    if stan is not None:
        print(
            f"stan: top-1 {stan['top1']:.1f}  F-score {stan['f_score']:.1f}  "
            f"pointing MAE {stan['pointing_mae_soft']:.3f}  spatial hit rate {stan['spatial_hit_rate']:.3f}"
        )
    print(f"wrote {args.out}/README.md, report.json, figure3.png, figure4.png")
    return 0
