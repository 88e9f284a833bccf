"""Time the demo feature cache from nothing: render and encode clips of a seed no split uses, side by side in one run.

(a) the full render (80 frames a clip) then ``as_decoded``: the cache as it was;
(b) only the frames the encoders keep and the segments' middle frames (``iter_decoded_scenes``): the cache now.

Both encode in this process on torch's threads, each into a fresh temporary cache. Prints seconds per clip, (b)'s
speed-up over (a), and that their features are the same.

    python benchmarks/bench_features.py [--clips 100]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from explorer.demo import feature_cache
from explorer.demo.corpus import APP_FPS, APP_SIZE, as_decoded, iter_scenes
from explorer.demo.feature_cache import cached_features
from explorer.demo.training import FULL, demo_encoder

SEED = 9100  # used by no split, card, test or lever


def full_render_chunk(seed: int, object_scale: float, chunk: int, n: int, frames_per_segment: int):
    """The cache's renderer before it drew only the kept frames: every frame, then the ones the app decodes."""
    scenes = iter_scenes(
        n, seed, fps=APP_FPS, size=APP_SIZE, first_index=chunk * feature_cache.CHUNK, object_scale=object_scale
    )
    return [(as_decoded(clip, frames_per_segment), truth) for clip, truth in scenes]


def timed(clips: int) -> tuple[float, dict[str, torch.Tensor]]:
    encoder = demo_encoder(FULL)
    with tempfile.TemporaryDirectory() as cache:
        started = time.perf_counter()
        _, _, (features,) = cached_features([encoder], clips, SEED, cache=Path(cache), progress=False)
        return time.perf_counter() - started, features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=2 * feature_cache.CHUNK)
    args = parser.parse_args()
    print(f"{args.clips} clips of seed {SEED}, torch threads {torch.get_num_threads()}")
    kept_frames = feature_cache._render_chunk
    feature_cache._render_chunk = full_render_chunk
    try:
        before, before_features = timed(args.clips)
    finally:
        feature_cache._render_chunk = kept_frames
    now, features = timed(args.clips)
    for label, seconds in (("(a) every frame rendered", before), ("(b) the kept frames rendered", now)):
        print(f"{label:30s} {seconds / args.clips:.3f} s a clip   ×{before / seconds:.2f}")
    same = all(torch.equal(features[key], before_features[key]) for key in features)
    print(f"features of (b) equal (a)'s: {same}")


if __name__ == "__main__":
    main()
