"""``explorer explain``: what a checkpoint predicts for one video, and when and where it looks."""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from explorer.commands.options import write_json
from explorer.errors import DataError

TOP = 5  # predictions listed


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "explain", help="predict one clip and print its time and space attention",
        description="Decode CLIP, encode it with the checkpoint's encoder, run the model, and print the top "
        "predictions, the time attention per second and where the space attention peaks per second.",
    )
    parser.add_argument("checkpoint", help="checkpoint path (with or without .json / .safetensors)")
    parser.add_argument("clip", help="video file (mp4, webm, ...)")
    parser.add_argument("--class", dest="class_name", metavar="NAME", help="also report this class's probability and CAM peaks")
    parser.add_argument("--json", metavar="OUT", help="write predictions and attention values to this JSON file")
    parser.set_defaults(run=run)


def _peaks(maps: torch.Tensor) -> list[dict]:
    """Per second: the grid cell (row, column) where a T×H×W map is highest, and its value."""
    width = maps.shape[-1]
    flat = maps.flatten(1)
    values, cells = flat.max(dim=1)
    return [
        {"second": t, "row": int(cell) // width, "column": int(cell) % width, "value": float(value)}
        for t, (value, cell) in enumerate(zip(values, cells))
    ]


def explain_file(model, path: str | Path, class_name: str | None = None) -> dict:
    """JSON-ready explanation of one video by ``model`` (whose card names its classes and encoder)."""
    from explorer.evaluation import checkpoint_encoder, encode_clip

    classes = list(model.card.get("classes") or [f"class {k}" for k in range(model.num_classes)])
    if class_name is not None and class_name not in classes:
        raise DataError(f"--class {class_name!r} is not one of this checkpoint's classes: {', '.join(classes)}.")
    audio, visual = encode_clip(checkpoint_encoder(model), path)
    with torch.no_grad():
        result = model(audio[None].float(), visual[None].float())
    probs = result.probs[0]
    order = probs.argsort(descending=True)[:TOP]
    report = {
        "clip": str(path),
        "model": model.name,
        "predictions": [{"class": classes[k], "probability": float(probs[k])} for k in order.tolist()],
        "time_attention": None if result.time_attention is None else result.time_attention[0].tolist(),
        "space_attention": None if result.space_attention is None else result.space_attention[0].tolist(),
        "space_peaks": None if result.space_attention is None else _peaks(result.space_attention[0]),
    }
    if class_name is not None:
        k = classes.index(class_name)
        report["class"] = {
            "name": class_name,
            "probability": float(probs[k]),
            "cam_peaks": None if result.cam is None else _peaks(result.cam[0, ..., k]),
        }
    return report


def _print_report(report: dict) -> None:
    print(f"{report['model']} on {report['clip']}")
    for row in report["predictions"]:
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


def run(args: argparse.Namespace) -> int:
    from explorer.models import load_checkpoint

    model = load_checkpoint(args.checkpoint)
    report = explain_file(model, args.clip, args.class_name)
    _print_report(report)
    if args.json:
        write_json(args.json, {**report, "checkpoint": str(args.checkpoint)})
    return 0
