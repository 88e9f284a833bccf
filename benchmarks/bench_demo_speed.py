"""What makes ``explorer demo reproduce`` faster, each side by side in one run, reported as ratios.

(a) The demo encoder with its BatchNorms folded into the convolutions (as shipped) against the same networks
    unfolded, on the same rendered clips: seconds a clip for the visual and the audio network.
(b) Encoding chunks of clips in one process with every thread against ``--workers`` forked processes of one thread
    each (:mod:`explorer.demo.workers`): clips a second.
(c) Training demo models (a few epochs each on cached features) the same two ways: models a minute.

    python benchmarks/bench_demo_speed.py [--clips 16] [--models stan,cam,av_abn,visual_baseline] [--epochs 2]
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace

import torch

from explorer.demo.corpus import iter_decoded_scenes
from explorer.demo.training import FULL, demo_encoder, extract_splits, train_model
from explorer.demo.workers import default_workers, run_jobs
from explorer.encoders.aisfx import AISFX_WEIGHTS, EmbeddingNet, load_aisfx_state
from explorer.encoders.efficientnet import IMAGENET_LITE0, build_network, timm_state_dict
from explorer.encoders.weights import load_torch_weights

BENCH_SEED = 77  # rendered here only, never trained or scored on


def timed(function) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def unfolded_encoder():
    """The demo encoder with the packaged networks as they are, every BatchNorm kept."""
    encoder = demo_encoder(FULL)
    network = build_network(FULL.encoder_config.get("output_stride", 32)).eval()
    network.load_state_dict(timm_state_dict(load_torch_weights(IMAGENET_LITE0.path())))
    trunk = EmbeddingNet().eval()
    trunk.load_state_dict(load_aisfx_state(AISFX_WEIGHTS.path()))
    encoder.visual_part.network = network.to(memory_format=torch.channels_last)
    encoder.audio_part.trunk = trunk
    return encoder


def bench_folding(clips) -> dict[str, float]:
    """Seconds a clip for each network, folded and unfolded, interleaved and best of three."""
    encoders = {"folded": demo_encoder(FULL), "unfolded": unfolded_encoder()}
    inputs = [(encoders["folded"].audio_input(clip), encoders["folded"].visual_input(clip)[0]) for clip in clips]
    times = {}
    with torch.inference_mode():
        for _ in range(3):
            for name, encoder in encoders.items():
                frames = [encoder.normalize_frames(visual) for _, visual in inputs]
                visual = timed(lambda: [encoder.embed_frames(batch) for batch in frames])  # noqa: B023
                audio = timed(lambda: [encoder.embed_audio(examples) for examples, _ in inputs])  # noqa: B023
                for part, seconds in (("visual", visual), ("audio", audio)):
                    key = f"{name} {part}"
                    times[key] = min(times.get(key, float("inf")), seconds / len(clips))
    return times


def side_by_side(function, jobs, workers: int) -> tuple[float, float]:
    """Seconds for all ``jobs`` in this process, then in ``workers`` processes."""
    alone = timed(lambda: list(run_jobs(function, jobs, 1)))
    spread = timed(lambda: list(run_jobs(function, jobs, workers)))
    return alone, spread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=16, help="clips encoded per side (default 16)")
    parser.add_argument("--models", default="stan,cam,av_abn,visual_baseline", help="models trained per side")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per model (default 2)")
    parser.add_argument("--train-clips", type=int, default=300, help="training clips of seed 1 (default 300)")
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    print(f"torch threads {torch.get_num_threads()}, workers {args.workers}, load {os.getloadavg()[0]:.1f}")

    clips = [clip for clip, _ in iter_decoded_scenes(args.clips, BENCH_SEED, FULL.encoder_config["frames_per_segment"])]
    folding = bench_folding(clips)
    encoder = demo_encoder(FULL)
    chunks = [clips[start : start + 4] for start in range(0, len(clips), 4)]
    encode_alone, encode_spread = side_by_side(
        lambda chunk: [encoder.encode(clip) for clip in chunk], chunks, args.workers
    )

    (train,) = extract_splits([encoder], args.train_clips, FULL.train_seed, progress=False, workers=args.workers)
    (val,) = extract_splits([encoder], 50, FULL.val_seed, progress=False, workers=args.workers)
    recipe = replace(FULL, epochs=args.epochs, patience=args.epochs)
    names = [name.strip() for name in args.models.split(",") if name.strip()]
    train_alone, train_spread = side_by_side(lambda name: train_model(name, train, val, recipe)[2], names, args.workers)

    print(f"load at the end {os.getloadavg()[0]:.1f}")
    rows = [
        ("visual network, folded / unfolded, s a clip", folding["folded visual"], folding["unfolded visual"]),
        ("audio network, folded / unfolded, s a clip", folding["folded audio"], folding["unfolded audio"]),
        (f"encode {len(clips)} clips: {args.workers} workers / one process, s", encode_spread, encode_alone),
        (
            f"train {len(names)} models × {args.epochs} epochs: {args.workers} workers / one process, s",
            train_spread,
            train_alone,
        ),
    ]
    for name, new, old in rows:
        print(f"{name:<66} {new:8.3f} vs {old:8.3f}   speed-up ×{old / new:.2f}")


if __name__ == "__main__":
    main()
