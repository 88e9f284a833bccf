"""``explorer train``: train a model on extracted features and write a checkpoint with its model card."""

from __future__ import annotations

import argparse
import random
import shlex

import torch

from explorer.commands.options import (
    DATASETS,
    add_feature_arguments,
    encoder_card,
    load_named_dataset,
    open_features,
    positive_float,
    positive_int,
    resolve_device,
    samples_with_features,
)
from explorer.errors import DataError
from explorer.training import is_main_process

DEMO_VAL_FRACTION = 0.2  # the demo corpus has no official split: hold out this share for early stopping


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
    from explorer.models import list_models, list_presets

    parser = subparsers.add_parser(
        "train",
        help="train a model on extracted features and write a checkpoint",
        description="Train a model on a feature store (or the official AVE features) and write CHECKPOINT.json + "
        "CHECKPOINT.safetensors. Launch with `torchrun --nproc_per_node N -m explorer train ...` for data parallelism.",
    )
    parser.add_argument(
        "--model",
        default="stan",
        choices=[*list_models(), *list_presets()],
        help="model or preset to train (default stan)",
    )
    parser.add_argument("--dataset", required=True, choices=DATASETS, help="whose labels and splits to use")
    parser.add_argument(
        "--data", metavar="DIR", help="dataset folder (required for demo; default: shipped annotations)"
    )
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
    from explorer.data.features import POOLED_MAP_NOTE, FeatureDataset, store_dims
    from explorer.evaluation import json_ready
    from explorer.metrics import evaluate_predictions
    from explorer.models import create_model, save_checkpoint
    from explorer.training import predict, teardown_distributed, train, world_size

    device = resolve_device(args.device)
    dataset = load_named_dataset(args.dataset, args.data)
    features = open_features(args, args.dataset)
    train_samples, val_samples = _train_and_val(dataset, args.seed)
    train_set = FeatureDataset(samples_with_features(train_samples, features, "train"), features)
    val_set = FeatureDataset(samples_with_features(val_samples, features, "val"), features)

    torch.manual_seed(args.seed)
    model = create_model(args.model, len(dataset.classes), features.audio_dim, features.visual_dim, hidden=args.hidden)
    hyperparameters = {
        "epochs": args.epochs,
        "lr": args.lr,
        "batch_size": args.batch_size,
        "patience": args.patience,
        "weight_decay": args.weight_decay,
        "schedule": args.schedule,
        "hidden": args.hidden,
        "optimizer": "Adam",
        "world_size": world_size(),
    }
    try:
        result = train(
            model,
            train_set,
            val_set,
            epochs=args.epochs,
            lr=args.lr,
            batch_size=args.batch_size,
            seed=args.seed,
            patience=args.patience,
            weight_decay=args.weight_decay,
            schedule=args.schedule,
            progress=not args.quiet,
            device=device,
        )
        if not is_main_process():
            return 0
        training = predict(model, train_set, args.batch_size, device)
        train_metrics = evaluate_predictions(training.probs, training.labels)
        card = {
            "classes": list(dataset.classes),
            "dataset": args.dataset,
            "encoder": encoder_card(features),
            "features": {**store_dims(features), "source": str(features)},
            **({"space_attention": POOLED_MAP_NOTE} if tuple(features.grid) == (1, 1) else {}),
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
        f"best epoch {result.best_epoch}: val mAP {result.val_metrics['map']:.2f}, "
        f"top-1 {result.val_metrics['top1']:.2f}; "
        f"wrote {base}.json and {base}.safetensors"
    )
    return 0
