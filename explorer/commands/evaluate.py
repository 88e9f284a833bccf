"""``explorer evaluate``: score a checkpoint on a feature store split or on a demo folder of clips."""

from __future__ import annotations

import argparse
from pathlib import Path

from explorer.commands.options import (
    add_feature_arguments,
    load_named_dataset,
    method_list,
    open_features,
    positive_int,
    resolve_device,
    samples_with_features,
    write_json,
)
from explorer.errors import CheckpointError, DataError

DEMO_DRAWS = 20
METHOD_COLUMNS = {  # score key -> column title of the printed table
    "spatial_hit_rate": "hit rate",
    "spatial_energy_in_mask": "energy in",
    "pointing_mae_soft": "time MAE",
    "tvd_relevant": "TVD rel",
    "tvd_irrelevant": "TVD irrel",
    "deletion_auc": "deletion",
    "deletion_auc_random": "del random",
}  # demo evaluations always report the perturbation curves, with fewer draws to stay quick


def sigma2_list(text: str) -> list[float]:
    try:
        levels = [float(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be comma-separated numbers such as 0,0.5,1, got {text!r}") from None
    if not all(0 <= level < float("inf") for level in levels):
        raise argparse.ArgumentTypeError(f"noise variances must be finite and ≥ 0, got {text!r}")
    return levels


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="report top-1, mAP, F-score, pointing games and perturbation curves of a checkpoint",
        description="Evaluate CHECKPOINT either on a split of a feature store (--features STORE --split test) or on "
        "a demo folder of clips (--data DIR), which are decoded and encoded with the checkpoint's encoder.",
    )
    parser.add_argument("checkpoint", help="checkpoint path (with or without .json / .safetensors)")
    parser.add_argument("--data", metavar="DIR", help="demo folder: clips/*.mp4, annotations.txt, masks.npz")
    add_feature_arguments(parser)
    parser.add_argument("--dataset", choices=("ave", "llp", "avr"), help="labels of the store (default: the card's)")
    parser.add_argument(
        "--split", choices=("train", "val", "test"), default="test", help="split to score (default test)"
    )
    parser.add_argument("--json", metavar="OUT", help="also write every number to this JSON file")
    parser.add_argument("--perturbation", action="store_true", help="run the perturbation test (always on with --data)")
    parser.add_argument(
        "--draws", type=positive_int, help=f"noise draws per level (default 100; {DEMO_DRAWS} with --data)"
    )
    parser.add_argument("--sigma2", type=sigma2_list, help="noise variances, comma-separated (default 0,0.1,...,1)")
    parser.add_argument(
        "--methods",
        type=method_list,
        help="also score these explanation methods, comma-separated (attention, integrated_gradients, grad_cam, "
        "occlusion, gradient_x_input)",
    )
    parser.add_argument(
        "--methods-clips", type=positive_int, metavar="N", help="score the methods on the first N clips (default all)"
    )
    parser.set_defaults(run=run)


def _check_classes(model, classes: list[str], source: str) -> None:
    expected = list(model.card.get("classes") or [])
    if len(classes) != model.num_classes or (expected and expected != classes):
        raise CheckpointError(
            f"the checkpoint predicts {model.num_classes} classes {expected[:3]}... but {source} has "
            f"{len(classes)} classes {classes[:3]}...; evaluate it on the dataset it was trained on."
        )


def _check_dims(model, features) -> None:
    if (model.audio_dim, model.visual_dim) != (features.audio_dim, features.visual_dim):
        raise CheckpointError(
            f"the checkpoint expects audio {model.audio_dim}-d / visual {model.visual_dim}-d features but {features} "
            f"holds audio {features.audio_dim}-d / visual {features.visual_dim}-d; use the store it was trained on."
        )


def _store_evaluation(args, model, options: dict) -> dict:
    from explorer.data.features import FeatureDataset
    from explorer.evaluation import evaluate_model

    name = args.dataset or model.card.get("dataset")
    if name not in ("ave", "llp", "avr"):
        raise DataError(
            f"the checkpoint was trained on {name!r}; pass --dataset ave|llp|avr, or --data DIR for a demo folder."
        )
    features = open_features(args, name)
    _check_dims(model, features)
    dataset = load_named_dataset(name, None)
    _check_classes(model, list(dataset.classes), f"dataset {name}")
    samples = samples_with_features(dataset.split(args.split), features, args.split)
    time_masks = [sample.time_mask_any for sample in samples]
    items = FeatureDataset(samples, features)
    return {
        **evaluate_model(model, items, time_masks, None, **options),
        **_methods(args, model, items, time_masks, None),
    }


def _demo_evaluation(args, model, options: dict) -> dict:
    from explorer.evaluation import encode_demo_folder, evaluate_model

    dataset = load_named_dataset("demo", args.data)
    _check_classes(model, list(dataset.classes), f"demo folder {args.data}")
    clips, time_masks, space_masks = encode_demo_folder(model, dataset, Path(args.data))
    return {
        **evaluate_model(model, clips, time_masks, space_masks, **{**options, "perturb": True}),
        **_methods(args, model, clips, time_masks, space_masks),
    }


def _methods(args, model, items, time_masks, space_masks) -> dict:
    """``{"methods": {name: scores}}`` when --methods asks for them, else nothing."""
    if not args.methods:
        return {}
    from explorer.evaluation import annotated_clips, evaluate_methods

    count = min(len(items), args.methods_clips or len(items))
    chosen = [items[index] for index in range(count)]
    clips = annotated_clips(chosen, time_masks[:count], None if space_masks is None else space_masks[:count])
    return {
        "methods": evaluate_methods(model, clips, args.methods, draws=args.draws or DEMO_DRAWS),
        "methods_clips": count,
    }


def _print_report(result: dict) -> None:
    def number(key: str, scale: str = "{:.2f}") -> str:
        return "n/a" if result.get(key) is None else scale.format(result[key])

    print(f"{result['model']} on {result['num_clips']} clips")
    print(
        f"  top-1 {number('top1')}  mAP {number('map')}  class-mAP {number('class_map')}  F-score {number('f_score')}"
    )
    print(
        f"  temporal pointing game (MAE, lower is better): soft {number('pointing_mae_soft', '{:.3f}')}  "
        f"binary {number('pointing_mae_binary', '{:.3f}')}  top class's CAV {number('cav_mae_soft', '{:.3f}')}  "
        f'("every second": {number("baseline_mae_every_second", "{:.3f}")})  over {result["pointing_clips"]} '
        "annotated clips"
    )
    print(
        f"  spatial pointing game hit rate, within 15 px / strict: A^s {number('spatial_hit_rate', '{:.3f}')} / "
        f"{number('spatial_hit_rate_strict', '{:.3f}')}  top class's CAM {number('cam_hit_rate', '{:.3f}')} / "
        f"{number('cam_hit_rate_strict', '{:.3f}')}  (centre point {number('baseline_hit_centre', '{:.3f}')} / "
        f"{number('baseline_hit_centre_strict', '{:.3f}')}, random point {number('baseline_hit_random', '{:.3f}')} / "
        f"{number('baseline_hit_random_strict', '{:.3f}')})"
    )
    for level, relevant, irrelevant in zip(result["sigma2"], result["tvd_relevant"], result["tvd_irrelevant"]):
        print(f"  σ²={level:<4g} TVD relevant {relevant:.4f}  irrelevant {irrelevant:.4f}")
    if result.get("methods"):
        print(f"  explanation methods on {result['methods_clips']} clips (each map scored against the annotations):")
        print(f"    {'method':<21}" + "".join(f"{column:>11}" for column in METHOD_COLUMNS.values()))
        for name, scores in result["methods"].items():
            if "unavailable" in scores:
                print(f"    {name:<21}{scores['unavailable']}")
                continue
            cells = ["n/a" if scores[key] is None else f"{scores[key]:.3f}" for key in METHOD_COLUMNS]
            print(f"    {name:<21}" + "".join(f"{cell:>11}" for cell in cells))


def run(args: argparse.Namespace) -> int:
    from explorer.evaluation import DEFAULT_SIGMA2, json_ready
    from explorer.models import load_checkpoint

    if bool(args.data) == bool(args.features or args.official_audio or args.official_visual):
        raise DataError(
            "Evaluate on either a feature store (--features STORE --split test) or a demo folder (--data DIR)."
        )
    device = resolve_device(args.device)
    model = load_checkpoint(args.checkpoint, device=device)
    options = {
        "perturb": args.perturbation,
        "sigma2": args.sigma2 or list(DEFAULT_SIGMA2),
        "draws": args.draws or (DEMO_DRAWS if args.data else 100),
        "batch_size": args.batch_size,
        "device": device,
    }
    result = _demo_evaluation(args, model, options) if args.data else _store_evaluation(args, model, options)
    result = json_ready({**result, "checkpoint": str(args.checkpoint), "split": None if args.data else args.split})
    _print_report(result)
    if args.json:
        write_json(args.json, result)
    return 0
