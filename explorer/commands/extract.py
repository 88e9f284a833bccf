"""``explorer extract``: encode the videos of an AVE or LLP annotation file into a feature store."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "extract", help="encode videos into a feature store (resumable, shardable, bad files reported)"
    )
    parser.add_argument("--videos", required=True, help="folder with <video_id>.mp4 files (or AVE/<video_id>.mp4)")
    parser.add_argument(
        "--annotations", required=True, help="AVE Annotations.txt or an LLP (AVVP) csv with a filename column"
    )
    parser.add_argument("--encoder", required=True, help="encoder name: vggish+resnet152 (the paper's) or compact")
    parser.add_argument(
        "--weights", help="a saved encoder path, a .pth file, or 'random' (default: the standard weights files)"
    )
    parser.add_argument("--out", required=True, help="feature store folder (created, or resumed if it exists)")
    parser.add_argument("--shard", default="0/1", help="i/n: take every n-th video starting at the i-th (default 0/1)")
    parser.add_argument("--workers", type=int, default=2, help="decoding threads (default 2)")
    parser.add_argument("--batch-size", type=int, default=4, help="clips per encoder forward (default 4)")
    parser.add_argument(
        "--max-seconds", type=float, default=60, help="decode at most this many seconds per video (default 60)"
    )
    parser.add_argument("--device", default="cpu", help="torch device for the encoder (default cpu)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from explorer.encoders import create_encoder  # the heavy imports only when the command runs
    from explorer.encoders.extraction import extract_features, parse_shard, report_path
    from explorer.errors import WeightsError

    shard = parse_shard(args.shard)
    encoder = create_encoder(args.encoder, weights=args.weights)
    try:
        encoder = encoder.to(args.device)
    except (RuntimeError, ValueError) as error:
        raise WeightsError(f"cannot put the encoder on device {args.device!r} ({error}).") from None
    report = extract_features(
        args.videos,
        args.annotations,
        encoder,
        args.out,
        shard=shard,
        workers=args.workers,
        max_seconds=args.max_seconds,
        batch_size=args.batch_size,
    )
    print(
        f"{report['extracted']} extracted, {report['already_in_store']} already in the store, "
        f"{len(report['failed'])} failed, of {report['listed']} videos in shard {report['shard']}"
        + (f" ({report['clips_per_second']:.2f} clips/s)" if report["clips_per_second"] else "")
    )
    for failure in report["failed"]:
        print(f"  skipped {failure['video_id']}: {failure['reason']}")
    print(f"report: {report_path(Path(args.out), shard)}")
    return 1 if report["failed"] else 0
