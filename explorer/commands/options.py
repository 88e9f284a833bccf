"""Command-line pieces shared by ``explorer train`` and ``explorer evaluate``: argument types, the feature source
arguments, the dataset they name, and where results go."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from explorer.errors import DataError, ExplorerError
from explorer.training import is_main_process

DATASETS = ("ave", "llp", "avr", "demo")


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def add_feature_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--features",
        metavar="STORE",
        help="feature store folder: explorer extract's (meta.json + <video_id>.safetensors) or LLP's released "
        "features (vggish/ and res152/ of <video_id>.npy)",
    )
    parser.add_argument("--official-audio", metavar="H5", help="official AVE audio_feature.h5 (with --official-visual)")
    parser.add_argument(
        "--official-visual", metavar="H5", help="official AVE visual_feature.h5 (with --official-audio)"
    )
    parser.add_argument("--device", default="auto", help="auto (GPU if there is one), cpu, cuda or cuda:N")
    parser.add_argument("--batch-size", type=positive_int, default=32, help="clips per batch (default 32)")


def write_json(path: str | Path, payload: dict) -> None:
    """Write a report for people and scripts; strict JSON (no NaN)."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise DataError(f"Cannot write {path} ({error}).") from None
    print(f"wrote {path}")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ExplorerError(f"--device {name!r} is not a device; use auto, cpu, cuda or cuda:N.") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ExplorerError(f"--device {name} asks for a GPU but torch sees none; use --device cpu.")
    return device


def open_features(args: argparse.Namespace, dataset_name: str):
    """The feature folder of ``--features`` or the official AVE h5 pair, whichever was given (exactly one)."""
    from explorer.data.features import OfficialAVEFeatures, open_feature_folder

    official = (args.official_audio, args.official_visual)
    if args.features and any(official):
        raise DataError("Give either --features or --official-audio/--official-visual, not both.")
    if any(official):
        if not all(official):
            raise DataError("The official AVE features need both --official-audio and --official-visual.")
        if dataset_name != "ave":
            raise DataError(
                f"The official AVE features hold AVE rows only; they cannot serve dataset {dataset_name!r}."
            )
        return OfficialAVEFeatures(*official)
    if not args.features:
        raise DataError("Say where the features are: --features STORE (or --official-audio/--official-visual for AVE).")
    return open_feature_folder(args.features)


def load_named_dataset(name: str, data_dir: str | None):
    from explorer.data import load_dataset, load_demo_dataset

    if name == "demo":
        if not data_dir:
            raise DataError("--dataset demo needs --data DIR, the demo folder with annotations.txt.")
        return load_demo_dataset(data_dir)
    return load_dataset(name, data_dir)


def samples_with_features(samples: list, features, what: str) -> list:
    """The samples whose features exist; the first one is read to check its shapes before any long work."""
    kept = [sample for sample in samples if features.has_sample(sample)]
    if not kept:
        raise DataError(f"None of the {len(samples)} {what} videos has features in {features}; extract them first.")
    if len(kept) < len(samples) and is_main_process():
        print(f"{what}: using the {len(kept)} of {len(samples)} videos that have features in {features}")
    features.read_sample(kept[0])
    return kept


def encoder_card(features) -> dict:
    """What the card says about the encoder: its name plus whatever the store recorded about it (the released
    AVE and LLP features record nothing more)."""
    from explorer.data.features import FeatureStore

    if isinstance(features, FeatureStore):
        recorded = json.loads((features.root / "meta.json").read_text(encoding="utf-8"))
    else:
        recorded = {}
    return {**recorded, "name": features.encoder}


def method_list(text: str) -> list[str]:
    """``--methods a,b``: explanation method names, each checked against the registry."""
    from explorer.explain.methods import list_methods

    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in list_methods()]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"choose among {', '.join(list_methods())}; got {text!r}")
    return names
