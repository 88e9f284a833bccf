"""The models stage of ``explorer demo reproduce``: demo models trained one after another in one process with every
core, beside the same models trained at once in single-threaded worker processes (``--workers``), in one run.

    python benchmarks/bench_reproduce.py [--models av_abn,stan] [--epochs 3] [--clips 1000]

The features are random tensors of the demo's shapes (aiSFX 512-d audio, EfficientNet-Lite0 14×14×112 visual, 10 s
clips, 15 classes), so no cache is needed: the speed of training does not depend on what the numbers are. Each model
trains ``--epochs`` epochs (no early stop) and is scored on 100 test clips as reproduce scores it. The last line is
``speedup <serial seconds / parallel seconds>``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time

import numpy as np
import torch

from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import FULL, FeatureSplit
from explorer.demo.workers import default_workers, fit_models

SECONDS, GRID, AUDIO_DIM, VISUAL_DIM = 10, 14, 512, 112


def random_split(clips: int, seed: int) -> FeatureSplit:
    generator = torch.Generator().manual_seed(seed)
    labels = torch.zeros(clips, len(CLASS_NAMES))
    labels[torch.arange(clips), torch.randint(len(CLASS_NAMES), (clips,), generator=generator)] = 1
    time_masks = (torch.rand(clips, SECONDS, generator=generator) > 0.5).numpy().astype(np.float32)
    event_masks = (torch.rand(clips, SECONDS, 224, 224, generator=generator) > 0.9).numpy().astype(np.uint8)
    return FeatureSplit(
        [f"clip{index}" for index in range(clips)],
        torch.randn(clips, SECONDS, AUDIO_DIM, generator=generator),
        torch.randn(clips, SECONDS, GRID, GRID, VISUAL_DIM, generator=generator),
        labels,
        time_masks,
        event_masks,
    )


def timed(names, splits, recipe, workers: int) -> float:
    started = time.perf_counter()
    for _ in fit_models(names, splits, recipe, workers):
        pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="av_abn,stan", help="comma-separated demo checkpoints")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--clips", type=int, default=1000, help="training clips (val 200, test 100)")
    args = parser.parse_args()
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    recipe = dataclasses.replace(FULL, epochs=args.epochs, patience=args.epochs, tvd_clips=100)
    splits = (random_split(args.clips, 1), random_split(200, 2), random_split(100, 3))
    workers = default_workers()
    print(
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
        f"models {', '.join(names)}, {args.epochs} epochs each"
    )
    serial = timed(names, splits, recipe, workers=1)
    print(f"one process, {torch.get_num_threads()} threads, one model after another: {serial:.1f} s")
    parallel = timed(names, splits, recipe, workers=workers)
    print(f"{workers} worker processes, {max(1, workers // min(workers, len(names)))} thread(s) each: {parallel:.1f} s")
    print(f"speedup {serial / parallel:.2f}")


if __name__ == "__main__":
    main()
