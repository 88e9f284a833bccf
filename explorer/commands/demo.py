"""``explorer demo build``: write the demo audio-visual corpus (clips, annotations, masks)."""

from __future__ import annotations

import argparse


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("demo", help="build the demo corpus of real photos and sounds with where/when truth")
    actions = parser.add_subparsers(dest="demo_action", metavar="ACTION", parser_class=type(parser))
    actions.required = True
    build = actions.add_parser("build", help="write N clips, annotations.txt, classes.json, masks.npz, objects.json")
    build.add_argument("--n", type=int, required=True, help="number of clips")
    build.add_argument("--seed", type=int, default=0, help="the same seed always gives the same clips")
    build.add_argument("--out", required=True, help="output folder")
    build.add_argument("--fps", type=int, default=8, help="frames per second (default 8)")
    build.add_argument("--size", type=int, default=224, help="frame side in pixels (default 224)")
    build.set_defaults(run=run)
    reproduce = actions.add_parser(
        "reproduce", help="encode the demo with the pretrained encoders, train the 13 models, write samples and report"
    )
    reproduce.add_argument("--out", default="checkpoints/demo", help="checkpoints folder (default checkpoints/demo)")
    reproduce.add_argument("--samples", default="assets/demo/samples", help="sample clips folder")
    reproduce.add_argument("--report", default="reports/demo", help="report folder (default reports/demo)")
    reproduce.add_argument("--quick", action="store_true", help="tiny sizes, to check the pipeline in seconds")
    reproduce.add_argument(
        "--cache", help="feature cache folder (default $EXPLORER_DEMO_CACHE or ~/.cache/stan-explorer/demo-features)"
    )
    reproduce.add_argument(
        "--only",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=[],
        metavar="NAMES",
        help="retrain only these checkpoints (comma-separated, e.g. stan); keep the others, rewrite the report",
    )
    reproduce.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes that encode, train and score side by side (default: one per core torch uses; 1: all here)",
    )
    reproduce.set_defaults(run=run_reproduce)


def run(args: argparse.Namespace) -> int:
    from explorer.demo import build_corpus  # the heavy imports only when the command runs

    summary = build_corpus(args.out, n=args.n, seed=args.seed, fps=args.fps, size=args.size)
    print(
        f"wrote {summary['clips']} clips with {summary['events']} events to {args.out} "
        f"in {summary['seconds']:.1f} s ({summary['clips_per_second']:.1f} clips/s)"
    )
    return 0


def run_reproduce(args: argparse.Namespace) -> int:
    from pathlib import Path

    from explorer.demo.reproduce import reproduce
    from explorer.demo.training import FULL, QUICK
    from explorer.demo.workers import default_workers

    summary = reproduce(
        Path(args.out),
        Path(args.samples),
        Path(args.report),
        QUICK if args.quick else FULL,
        cache=Path(args.cache) if args.cache else None,
        only=args.only,
        workers=default_workers() if args.workers is None else args.workers,
    )
    print(
        "stage times: " + ", ".join(f"{stage} {seconds:.0f} s" for stage, seconds in summary["stage_seconds"].items())
    )
    return 0
