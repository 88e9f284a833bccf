"""Post-hoc explanation maps of one 10 s demo clip with the demo STAN (issue target: < 1 s each for Integrated
Gradients at 32 steps, batched, and for occlusion on this CPU), beside one bare forward of the model, in one run.

    python benchmarks/bench_methods.py [--checkpoint checkpoints/demo/stan] [--repeats 3]

Each row is the best of ``--repeats`` runs of ``create_method(name, **options).maps(model, audio, visual, target)``
on the features of the first shipped demo sample (encoding excluded: the app caches features). The last line is
``slowest_method_seconds <the slowest row among the targeted ones>``.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import torch

from explorer.explain import checkpoint_encoder
from explorer.explain.methods import create_method
from explorer.media import load_clip
from explorer.models import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]
# (label, method name, options, whether the issue's < 1 s target applies)
ROWS = (
    ("integrated gradients, 32 steps (target)", "integrated_gradients", {"steps": 32}, True),
    ("integrated gradients, 50 steps (the app's default)", "integrated_gradients", {}, False),
    ("occlusion, 2×2-cell patches (the app's default, target)", "occlusion", {}, True),
    ("occlusion, single cells", "occlusion", {"patch": 1}, False),
    ("grad-cam", "grad_cam", {}, False),
    ("gradient × input", "gradient_x_input", {}, False),
)


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "demo" / "stan"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    model = load_checkpoint(args.checkpoint).eval()
    clip_path = sorted((ROOT / "assets" / "demo" / "samples" / "clips").glob("*.mp4"))[0]
    encoder = checkpoint_encoder(model)
    audio, visual = encoder.encode(load_clip(clip_path, frames_per_segment=encoder.frames_per_segment))
    audio, visual = audio[None], visual[None]
    with torch.no_grad():
        target = int(model(audio, visual).probs[0].argmax())
        forward = best_of(args.repeats, lambda: model(audio, visual))
    print(f"clip {clip_path.name}: {audio.shape[1]} s, visual map {tuple(visual.shape[2:])}, target class {target}")
    print(f"{'one bare forward of the model':<58} {forward:>8.3f} s")
    targeted = []
    for label, name, options, is_target in ROWS:
        method = create_method(name, **options)
        seconds = best_of(args.repeats, lambda: method.maps(model, audio, visual, target))
        verdict = ("met" if seconds < 1.0 else "missed") if is_target else ""
        print(f"{label:<58} {seconds:>8.3f} s  {'< 1 s: ' + verdict if verdict else ''}")
        if is_target:
            targeted.append(seconds)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    print(f"slowest_method_seconds {max(targeted):.3f}")


if __name__ == "__main__":
    main()
