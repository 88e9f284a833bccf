"""``explorer train``: train a model on extracted features and write a checkpoint with its model card.

The feature helpers here (``add_feature_arguments``, ``open_features``, ``samples_with_features``) are shared
with ``explorer evaluate``.
"""
from __future__ import annotations

import argparse
import json
import random
import shlex
from pathlib import Path

import torch

from explorer.errors import DataError, ExplorerError
from explorer.training import is_main_process

DATASETS = ("ave", "llp", "avr", "demo")
DEMO_VAL_FRACTION = 0.2  # the demo corpus has no official split: hold out this share for early stopping


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
    parser.add_argument("--features", metavar="STORE", help="feature store folder (meta.json + <video_id>.safetensors)")
    parser.add_argument("--official-audio", metavar="H5", help="official AVE audio_feature.h5 (with --official-visual)")
    parser.add_argument("--official-visual", metavar="H5", help="official AVE visual_feature.h5 (with --official-audio)")
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
    """The FeatureStore of ``--features`` or the official AVE h5 pair, whichever was given (exactly one)."""
    from explorer.data.features import FeatureStore, OfficialAVEFeatures

    official = (args.official_audio, args.official_visual)
    if args.features and any(official):
        raise DataError("Give either --features or --official-audio/--official-visual, not both.")
    if any(official):
        if not all(official):
            raise DataError("The official AVE features need both --official-audio and --official-visual.")
        if dataset_name != "ave":
            raise DataError(f"The official AVE features hold AVE rows only; they cannot serve dataset {dataset_name!r}.")
        return OfficialAVEFeatures(*official)
    if not args.features:
        raise DataError("Say where the features are: --features STORE (or --official-audio/--official-visual for AVE).")
    return FeatureStore(args.features)


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


def feature_dims(features) -> dict:
    return {"audio_dim": features.audio_dim, "visual_dim": features.visual_dim, "grid": list(features.grid)}


def encoder_card(features) -> dict:
    """What the card says about the encoder: its name plus whatever the store recorded about it."""
    root = getattr(features, "root", None)  # the official h5 files record nothing more
    recorded = json.loads((root / "meta.json").read_text(encoding="utf-8")) if root is not None else {}
    return {**recorded, "name": features.encoder}


def _train_and_val(dataset, seed: int) -> tuple[list, list]:
    if dataset.split("train"):
        return dataset.split("train"), dataset.split("val")
    shuffled = list(dataset.samples)  # the demo corpus: a seeded hold-out split
    random.Random(seed).shuffle(shuffled)
    held_out = max(1, round(DEMO_VAL_FRACTION * len(shuffled)))
    if len(shuffled) <= held_out:
        raise DataError(f"Dataset {dataset.name} has {len(shuffled)} clips; training needs at least 2.")
    return shuffled[held_out:], shuffled[:held_out]


def add_parser(subparsers) -> None:
    from explorer.models import list_models

    parser = subparsers.add_parser(
        "train", help="train a model on extracted features and write a checkpoint",
        description="Train a model on a feature store (or the official AVE features) and write CHECKPOINT.json + "
        "CHECKPOINT.safetensors. Launch with `torchrun --nproc_per_node N -m explorer train ...` for data parallelism.",
    )
    parser.add_argument("--model", default="stan", choices=list_models(), help="model to train (default stan)")
    parser.add_argument("--dataset", required=True, choices=DATASETS, help="whose labels and splits to use")
    parser.add_argument("--data", metavar="DIR", help="dataset folder (required for demo; default: shipped annotations)")
    add_feature_arguments(parser)
    parser.add_argument("--out", required=True, metavar="CHECKPOINT", help="checkpoint path, without suffix")
    parser.add_argument("--epochs", type=positive_int, default=30, help="most epochs (default 30)")
    parser.add_argument("--lr", type=positive_float, default=1e-3, help="Adam learning rate (default 1e-3)")
    parser.add_argument("--weight-decay", type=float, default=0.0, help="Adam weight decay (default 0)")
    parser.add_argument("--schedule", choices=("cosine", "step"), default="cosine", help="learning-rate schedule")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights, shuffling and the demo split")
    parser.add_argument("--patience", type=positive_int, default=5, help="epochs without val mAP gain before stopping")
    parser.add_argument("--hidden", type=positive_int, default=128, help="hidden width of the model (default 128)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from explorer.data.features import FeatureDataset
    from explorer.models import create_model, save_checkpoint
    from explorer.evaluation import json_ready
    from explorer.metrics import evaluate_predictions
    from explorer.training import predict, teardown_distributed, train, world_size

    device = resolve_device(args.device)
    dataset = load_named_dataset(args.dataset, args.data)
    features = open_features(args, args.dataset)
    train_samples, val_samples = _train_and_val(dataset, args.seed)
    train_set = FeatureDataset(samples_with_features(train_samples, features, "train"), features)
    val_set = FeatureDataset(samples_with_features(val_samples, features, "val"), features)

    torch.manual_seed(args.seed)
    model = create_model(
        args.model, len(dataset.classes), features.audio_dim, features.visual_dim, hidden=args.hidden
    )
    hyperparameters = {
        "epochs": args.epochs, "lr": args.lr, "batch_size": args.batch_size, "patience": args.patience,
        "weight_decay": args.weight_decay, "schedule": args.schedule, "hidden": args.hidden, "optimizer": "Adam",
        "world_size": world_size(),
    }
    try:
        result = train(
            model, train_set, val_set, epochs=args.epochs, lr=args.lr, batch_size=args.batch_size, seed=args.seed,
            patience=args.patience, weight_decay=args.weight_decay, schedule=args.schedule,
            progress=not args.quiet, device=device,
        )
        if not is_main_process():
            return 0
        training = predict(model, train_set, args.batch_size, device)
        train_metrics = evaluate_predictions(training.probs, training.labels)
        card = {
            "classes": list(dataset.classes),
            "dataset": args.dataset,
            "encoder": encoder_card(features),
            "features": {**feature_dims(features), "source": str(features)},
            "splits": {"train": len(train_set), "val": len(val_set)},
            "metrics": {
                **{f"train_{name}": value for name, value in train_metrics.items()},
                **{f"val_{name}": value for name, value in result.val_metrics.items()},
            },
            "best_epoch": result.best_epoch,
            "history": result.history,
            "hyperparameters": hyperparameters,
            "seed": args.seed,
            "training_command": "explorer " + shlex.join(args.argv),
        }
        base = save_checkpoint(model, args.out, json_ready(card))
    finally:
        teardown_distributed()
    print(
        f"best epoch {result.best_epoch}: val mAP {result.val_metrics['map']:.2f}, top-1 {result.val_metrics['top1']:.2f}; "
        f"wrote {base}.json and {base}.safetensors"
    )
    return 0
