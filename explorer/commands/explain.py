"""``explorer explain``: what a checkpoint predicts for one video, and when and where it looks."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from explorer.commands.options import write_json
from explorer.errors import DataError, ExplorerError

TOP = 5  # predictions listed


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain",
        help="predict one clip and print its time and space attention",
        description="Decode CLIP, encode it with the checkpoint's encoder, run the model, and print the top "
        "predictions, the time attention per second and where the space attention peaks per second.",
    )
    parser.add_argument("checkpoint", help="checkpoint path (with or without .json / .safetensors)")
    parser.add_argument("clip", help="video file (mp4, webm, ...)")
    parser.add_argument(
        "--class", dest="class_name", metavar="NAME", help="also report this class's probability and CAM peaks"
    )
    parser.add_argument("--json", metavar="OUT", help="write predictions and attention values to this JSON file")
    parser.set_defaults(run=run)


def explain_file(model, path: str | Path, class_name: str | None = None) -> dict:
    """JSON-ready explanation of one video by ``model`` (whose card names its classes and encoder): the layout of
    ``Explanation.to_json``, with the clip, the model and, when asked, one class's probability and CAM peaks."""
    from explorer.explain import checkpoint_encoder, explain_features
    from explorer.explain.familiarity import reference_for
    from explorer.media import load_clip
    from explorer.models import display_name
    from explorer.models.base import map_peaks

    classes = list(model.card.get("classes") or [f"class {k}" for k in range(model.num_classes)])
    if class_name is not None and class_name not in classes:
        raise DataError(f"--class {class_name!r} is not one of this checkpoint's classes: {', '.join(classes)}.")
    encoder = checkpoint_encoder(model)
    audio, visual = encoder.encode(load_clip(path, frames_per_segment=encoder.frames_per_segment))
    result = explain_features(model, audio, visual)
    report = {"clip": str(path), "model": model.name, "model_label": display_name(model), **result.to_json(classes)}
    try:
        reference = reference_for(model)
    except ExplorerError as error:  # a damaged reference beside the checkpoint: the explanation itself stands
        print(f"No familiarity check: {error}", file=sys.stderr)
        reference = None
    report["familiarity"] = None if reference is None else reference.assess(audio, visual).to_json()
    if class_name is not None:
        k = classes.index(class_name)
        report["class"] = {
            "name": class_name,
            "probability": float(result.probs[0, k]),
            "cam_peaks": None if result.cam is None else map_peaks(result.cam[0, ..., k]),
        }
    return report


def _print_report(report: dict) -> None:
    print(f"{report['model_label']} on {report['clip']}")
    for row in report["predictions"][:TOP]:
        print(f"  {row['probability']:.3f}  {row['class']}")
    time_attention = report["time_attention"] or []
    peaks = report["space_peaks"] or []
    for t in range(max(len(time_attention), len(peaks))):
        parts = [f"  second {t:>2}:"]
        if time_attention:
            parts.append(f"time attention {time_attention[t]:.3f}")
        if peaks:
            peak = peaks[t]
            parts.append(f"space peak at cell (row {peak['row']}, column {peak['column']}) = {peak['value']:.3f}")
        print("  ".join(parts))
    if "class" in report:
        print(f"  {report['class']['name']}: probability {report['class']['probability']:.3f}")
    if report["familiarity"] and report["familiarity"]["unfamiliar"]:
        senses = " and ".join(report["familiarity"]["unfamiliar"])
        print(
            f"  unlike its training clips in {senses}: farther from them than 99% of its validation clips, so the "
            "labels above may be wrong even when confident"
        )


def run(args: argparse.Namespace) -> int:
    from explorer.models import load_checkpoint

    model = load_checkpoint(args.checkpoint)
    report = explain_file(model, args.clip, args.class_name)
    _print_report(report)
    if args.json:
        write_json(args.json, {**report, "checkpoint": str(args.checkpoint)})
    return 0
