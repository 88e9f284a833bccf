"""Time the paper's Figure 3 perturbation protocol at the paper's feature sizes: batched against the literal loop.

Sizes: the official AVE features (audio 128-d, visual 7×7×512, T = 10, 28 classes) and 7×7×2048 visual (ResNet-152)
with the same audio. Models: STAN, ABN and AV-ABN from ``create_model(name, 28, 128, Dv)`` at their default hidden
size (128), random-init, on random features (audio N(0, 1), visual ReLU(N(0, 1))): this measures time; the curves of
random models mean nothing. Protocol: σ² = 0, 0.1, …, 1 (11 levels) × 100 draws × relevant and irrelevant features.

1. STAN at 7×7×512, the targets: one clip, the full protocol, batched (``perturbation_curves(...,
   sampling="fast")``) against the reference loop of Algorithm B (tests/perturbation_reference.py: one forward per
   draw and level), the curves side by side with their largest gap in standard errors (the two draw different noise:
   they agree in distribution); then 402 clips (an AVE test split) batched, really run.
2. ABN, AV-ABN and 7×7×2048: the same per clip with the loop timed on ``--loop-draws`` draws and scaled (its cost is
   one forward per draw and level), then ``--other-clips`` clips batched, extrapolated to 402 where fewer are run.

The last line is ``speedup <loop s per clip / batched s per clip>`` for STAN at 7×7×512, the batched figure from
its 402-clip run (wall clock: ``--workers`` threads against the loop's one; CPU seconds are printed too).

    python benchmarks/bench_figure3.py [--workers 2] [--other-clips 40] [--loop-draws 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from perturbation_reference import reference_perturbation_tvd  # noqa: E402

from explorer.explain import perturbation_curves  # noqa: E402
from explorer.models import create_model  # noqa: E402

NUM_CLASSES, AUDIO_DIM, SEGMENTS, GRID, DRAWS = 28, 128, 10, 7, 100
LEVELS = [round(0.1 * step, 1) for step in range(11)]
SPLIT = 402  # clips in the AVE test split
TARGET_SECONDS = 60.0  # 402 clips, STAN at 7×7×512
TARGET_SPEEDUP = 30.0
MODELS = ("stan", "abn", "av_abn")
VISUAL_DIMS = (512, 2048)
KINDS = ("relevant", "irrelevant")


def random_clips(count: int, visual_dim: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    audio = torch.randn(count, SEGMENTS, AUDIO_DIM, generator=generator)
    visual = torch.randn(count, SEGMENTS, GRID, GRID, visual_dim, generator=generator).relu_()  # ResNet-like ≥ 0
    return audio, visual


class Clock:
    """Wall and CPU seconds (CPU: all of this process's threads) of a block."""

    def __enter__(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def batched(model, clips, workers: int, seed: int) -> tuple[Clock, dict[str, np.ndarray]]:
    with Clock() as clock:
        curves = perturbation_curves(
            model, clips, LEVELS, DRAWS, torch.Generator().manual_seed(seed), sampling="fast", workers=workers
        )
    return clock, curves


def loop(model, clip, draws: int, seed: int) -> tuple[Clock, dict[str, np.ndarray]]:
    """The reference loop on one clip, both kinds: per kind L×draws TVDs."""
    generator = torch.Generator().manual_seed(seed)
    with Clock() as clock:
        per_draw = {
            kind: reference_perturbation_tvd(model, *clip, LEVELS, draws, kind == "relevant", generator, per_draw=True)
            for kind in KINDS
        }
    return clock, {kind: values[:, :, 0] for kind, values in per_draw.items()}


def largest_gap(curves: dict[str, np.ndarray], loop_draws: dict[str, np.ndarray]) -> float:
    """max over σ² > 0 and kinds of |batched − loop| / SE, SE from the loop's spread for both (same distribution)."""
    gaps = [0.0]
    for kind in KINDS:
        draws = loop_draws[kind]
        spread = draws.std(axis=1, ddof=1)
        error = spread * np.sqrt(1 / DRAWS + 1 / draws.shape[1])
        scored = error > 0
        gaps.extend(np.abs(curves[kind] - draws.mean(axis=1))[scored] / error[scored])
    return float(max(gaps))


def one_clip(model, loop_draws: int, workers: int, show_curves: bool) -> tuple[Clock, float, float]:
    """The full protocol on one clip, batched and by the loop (its seconds scaled to 100 draws: one forward per draw
    and level, so linear in the draws); prints a line, and the curves if ``show_curves``."""
    clip = random_clips(1, model.visual_dim, seed=1)
    batched_clock, curves = batched(model, clip, workers, seed=2)
    loop_clock, per_draw = loop(model, clip, loop_draws, seed=3)
    scale = DRAWS / loop_draws
    if show_curves:
        print(f"{'sigma^2':>8} {'rel batched':>12} {'rel loop':>10} {'irr batched':>12} {'irr loop':>10}  (mean TVD)")
        for index, level in enumerate(LEVELS):
            row = [curves["relevant"][index], per_draw["relevant"][index].mean()]
            row += [curves["irrelevant"][index], per_draw["irrelevant"][index].mean()]
            print(f"{level:>8.1f} {row[0]:>12.5f} {row[1]:>10.5f} {row[2]:>12.5f} {row[3]:>10.5f}")
    measured = "" if scale == 1 else f" (timed on {loop_draws} draws, x{scale:g})"
    print(
        f"{model.name} 7x7x{model.visual_dim}, one clip: batched {batched_clock.wall:.3f} s, "
        f"loop {loop_clock.wall * scale:.2f} s{measured}: {loop_clock.wall * scale / batched_clock.wall:.1f}x; "
        f"largest |batched - loop| {largest_gap(curves, per_draw):.2f} SE (SE from the loop's {loop_draws} draws)"
    )
    return batched_clock, loop_clock.wall * scale, loop_clock.cpu * scale


def split_run(model, count: int, workers: int) -> Clock:
    """``count`` clips, the full protocol, batched."""
    clips = random_clips(count, model.visual_dim, seed=4)
    clock, _ = batched(model, clips, workers, seed=5)
    return clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="clips perturbed at a time (threads)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per op")
    parser.add_argument("--other-clips", type=int, default=40, help="clips run for all but STAN at 7x7x512")
    parser.add_argument("--loop-draws", type=int, default=10, help="loop draws for all but STAN at 7x7x512")
    args = parser.parse_args()
    # One thread per op: on a small shared CPU, OpenMP threads that wait on each other slow these ops many-fold.
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    models = {
        (name, dim): create_model(name, NUM_CLASSES, AUDIO_DIM, dim).eval() for dim in VISUAL_DIMS for name in MODELS
    }
    hidden = {model.config["hidden"] for model in models.values()}
    print(
        f"Figure 3 protocol: {len(LEVELS)} sigma^2 levels (0, 0.1, ..., 1) x {DRAWS} draws x relevant/irrelevant; "
        f"{NUM_CLASSES} classes, audio {AUDIO_DIM}, T={SEGMENTS}, visual {GRID}x{GRID}x"
        f"{'/'.join(map(str, VISUAL_DIMS))}"
    )
    print(
        f"random-init models (create_model(name, {NUM_CLASSES}, {AUDIO_DIM}, Dv), default hidden {sorted(hidden)}) "
        "on random features: timings only, the curves of random models mean nothing"
    )
    print(
        f"batched: perturbation_curves(sampling='fast', workers={args.workers}), torch threads {args.threads}; "
        f"loop: tests/perturbation_reference.py, one forward per draw and level; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    )
    for model in models.values():  # warm-up: first-call allocations
        perturbation_curves(model, random_clips(2, model.visual_dim, 99), LEVELS, 2, sampling="fast")

    print("\n== STAN 7x7x512, the targets: one clip batched vs the reference loop, then 402 clips batched ==")
    stan = models["stan", 512]
    one_batched, one_loop_wall, one_loop_cpu = one_clip(stan, DRAWS, args.workers, show_curves=True)
    clock = split_run(stan, SPLIT, args.workers)
    per_clip = clock.wall / SPLIT
    met = "met" if clock.wall < TARGET_SECONDS else f"MISSED by {clock.wall - TARGET_SECONDS:.1f} s"
    print(
        f"{SPLIT} clips batched: {clock.wall:.2f} s wall (target < {TARGET_SECONDS:.0f} s: {met}), "
        f"{clock.cpu:.2f} s CPU, {per_clip:.4f} s/clip; load average {os.getloadavg()[0]:.1f}"
    )

    print(
        f"\n== ABN, AV-ABN and 7x7x2048: one clip vs the loop ({args.loop_draws} draws, scaled), then clips batched =="
    )
    others = [(key, model) for key, model in models.items() if key != ("stan", 512)]
    for _, model in others:
        one_clip(model, args.loop_draws, args.workers, show_curves=False)
    count = min(args.other_clips, SPLIT)
    note = "measured" if count == SPLIT else f"extrapolated from {count} clips"
    print(
        f"{'model':<8} {'visual':<9} {'clips run':>9} {'wall s':>8} {'CPU s':>8} {'s/clip':>7} {f'{SPLIT}-clip s':>11}"
    )
    for (name, dim), model in others:
        run = split_run(model, count, args.workers)
        print(
            f"{name:<8} 7x7x{dim:<5} {count:>9} {run.wall:>8.2f} {run.cpu:>8.2f} {run.wall / count:>7.3f} "
            f"{run.wall * SPLIT / count:>11.1f}  ({note})"
        )
    with Clock() as exact_clock:
        perturbation_curves(stan, random_clips(1, 512, seed=1), LEVELS, DRAWS, torch.Generator().manual_seed(2))
    print(
        f"(stan 7x7x512, sampling='exact', the default, draw for draw the loop's noise: {exact_clock.wall:.3f} s/clip)"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")

    speedup = one_loop_wall / per_clip
    met = "met" if speedup >= TARGET_SPEEDUP else "MISSED"
    print(
        f"\nSTAN 7x7x512: loop {one_loop_wall:.2f} s/clip / batched {per_clip:.4f} s/clip (wall, {SPLIT}-clip run): "
        f"target >= {TARGET_SPEEDUP:.0f}x: {met}; one-clip run {one_loop_wall / one_batched.wall:.1f}x; "
        f"CPU seconds {one_loop_cpu / (clock.cpu / SPLIT):.1f}x"
    )
    print(f"speedup {speedup:.1f}")


if __name__ == "__main__":
    main()
