"""Time the batched perturbation test against the literal loop of Algorithm B.

A demo-sized STAN (12 classes, audio 128, visual 64 channels at 7×7, T = 10), one
clip, σ² = 0, 0.1, …, 1.0, 100 draws, relevant and irrelevant features. Also times
evaluating 402 clips (an AVE test split's worth) from features. The last line is
``speedup <loop seconds / batched seconds>``.

    python benchmarks/bench_perturbation.py [--audio-dim 128] [--visual-dim 64]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from perturbation_reference import reference_perturbation_tvd  # noqa: E402

from explorer.explain import (  # noqa: E402
    checkpoint_encoder,
    encode_clip,
    perturbation_curves,  # noqa: E402
)
from explorer.metrics import evaluate_predictions  # noqa: E402
from explorer.models import create_model, load_checkpoint  # noqa: E402

NUM_CLASSES, SEGMENTS, GRID = 12, 10, 7
ROOT = Path(__file__).resolve().parents[1]
DEMO_STAN = ROOT / "checkpoints" / "demo" / "stan"
DEMO_CLIP = next(iter(sorted((ROOT / "assets" / "demo" / "samples" / "clips").glob("*.mp4"))), ROOT / "missing.mp4")
LEVELS = [round(0.1 * step, 1) for step in range(11)]


def random_clips(count: int, audio_dim: int, visual_dim: int, generator: torch.Generator):
    audio = torch.randn(count, SEGMENTS, audio_dim, generator=generator)
    visual = torch.randn(count, SEGMENTS, GRID, GRID, visual_dim, generator=generator).relu()  # ResNet-like ≥ 0
    return audio, visual


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio-dim", type=int, default=128)
    parser.add_argument("--visual-dim", type=int, default=64)
    parser.add_argument("--draws", type=int, default=100)
    parser.add_argument("--chunk-size", type=int, default=32)
    # One thread: on a small shared CPU, OpenMP threads that wait on each other slow small forwards many-fold.
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--random",
        action="store_true",
        help="a random-init STAN on random features instead of the demo STAN on a demo clip",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    if args.random or not (DEMO_STAN.with_suffix(".json").is_file() and DEMO_CLIP.is_file()):
        model = create_model("stan", NUM_CLASSES, args.audio_dim, args.visual_dim).eval()
        clip = random_clips(1, args.audio_dim, args.visual_dim, torch.Generator().manual_seed(0))
        print("model: random-init STAN on random features")
    else:
        model = load_checkpoint(DEMO_STAN)
        audio, visual = encode_clip(checkpoint_encoder(model), DEMO_CLIP)
        clip = (audio[None], visual[None])
        print(f"model: {DEMO_STAN} ({model.config}) on {DEMO_CLIP.name}")

    perturbation_curves(model, clip, LEVELS, draws=2)  # warm-up: first-call allocations
    batched_seconds, curves = timed(
        perturbation_curves,
        model,
        clip,
        LEVELS,
        draws=args.draws,
        generator=torch.Generator().manual_seed(1),
        chunk_size=args.chunk_size,
    )
    loop_seconds = 0.0
    loop_curves = {}
    generator = torch.Generator().manual_seed(1)
    for kind in ("relevant", "irrelevant"):
        seconds, per_clip = timed(
            reference_perturbation_tvd, model, *clip, LEVELS, args.draws, kind == "relevant", generator
        )
        loop_seconds += seconds
        loop_curves[kind] = per_clip.mean(axis=1)
    largest_gap = max(np.abs(curves[kind] - loop_curves[kind]).max() for kind in curves)

    eval_generator = torch.Generator().manual_seed(2)
    audio, visual = random_clips(402, model.audio_dim, model.visual_dim, eval_generator)
    targets = torch.rand(402, model.num_classes, generator=eval_generator) < 0.15
    targets[torch.arange(402), torch.randint(model.num_classes, (402,), generator=eval_generator)] = True

    def evaluate() -> dict[str, float]:
        with torch.inference_mode():
            probs = torch.cat([model(a, v).probs for a, v in zip(audio.split(64), visual.split(64))])
        return evaluate_predictions(probs, targets)

    eval_seconds, metrics = timed(evaluate)

    forwards = 2 * args.draws * (len(LEVELS) - 1)
    print(
        f"STAN {model.num_classes} classes, audio {model.audio_dim}, visual {model.visual_dim} at "
        f"{'x'.join(map(str, clip[1].shape[2:4]))}, T={clip[0].shape[1]}; "
        f"{len(LEVELS)} sigma^2 levels x {args.draws} draws x relevant/irrelevant "
        f"({forwards} perturbed clips); torch threads: {torch.get_num_threads()}"
    )
    print(f"{'sigma^2':>8} {'relevant':>10} {'irrelevant':>11}")
    for level, relevant, irrelevant in zip(LEVELS, curves["relevant"], curves["irrelevant"]):
        print(f"{level:>8.1f} {relevant:>10.5f} {irrelevant:>11.5f}")
    print(f"largest |batched - loop| TVD: {largest_gap:.2e}")
    print(f"{'':<22} {'batched':>9} {'loop':>9}")
    print(f"{'perturbation test (s)':<22} {batched_seconds:>9.3f} {loop_seconds:>9.3f}")
    print(
        f"evaluate 402 clips from features: {eval_seconds:.3f} s "
        f"(top1 {metrics['top1']:.1f}, map {metrics['map']:.1f}, class_map {metrics['class_map']:.1f}, "
        f"f_score {metrics['f_score']:.1f} on random features and labels)"
    )
    print(f"speedup {loop_seconds / batched_seconds:.1f}")


if __name__ == "__main__":
    main()
