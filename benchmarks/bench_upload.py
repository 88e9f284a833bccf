"""A 10 s 720p upload to its explanation with the demo STAN and its pretrained encoders (target < 1.5 s on this CPU).

Prints the whole path (decode + resize + both encoders + STAN + the familiarity check the Upload page shows) beside
the bare forward passes of the two encoder networks on the same inputs, measured in this run; the last line is
``upload_seconds <whole path>``.

    python benchmarks/bench_upload.py [--checkpoint checkpoints/demo/stan]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import torch
from bench_encode import best_of, make_video

from explorer.explain import checkpoint_encoder
from explorer.explain.familiarity import reference_for
from explorer.media import load_clip
from explorer.models import load_checkpoint

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "demo" / "stan"))
    args = parser.parse_args()
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    model = load_checkpoint(args.checkpoint)
    encoder = checkpoint_encoder(model)
    reference = reference_for(model)
    with tempfile.TemporaryDirectory() as temporary:
        path = make_video(Path(temporary) / "upload.mp4", 10, 1280, 720)

        def whole() -> None:
            clip = load_clip(path, frames_per_segment=encoder.frames_per_segment)
            audio, visual = encoder.encode(clip)
            with torch.no_grad():
                model(audio[None], visual[None])
            if reference is not None:
                reference.assess(audio, visual)

        clip = load_clip(path, frames_per_segment=encoder.frames_per_segment)
        decode = best_of(3, lambda: load_clip(path, frames_per_segment=encoder.frames_per_segment))
        frames, _ = encoder.visual_input(clip)
        normalized = encoder.normalize_frames(frames)
        examples = encoder.audio_input(clip)
        with torch.no_grad():
            visual_bare = best_of(3, lambda: encoder.embed_frames(normalized))
            audio_bare = best_of(3, lambda: encoder.embed_audio(examples))
        whole_seconds = best_of(3, whole)
    rows = [
        ("decode 10 s 720p (one frame per second kept)", decode, ""),
        (f"bare visual forward ({encoder.visual_part.name}, {len(frames)} frames)", visual_bare, ""),
        (f"bare audio forward ({encoder.audio_part.name}, {len(examples)} segments)", audio_bare, ""),
        ("whole path: decode + front ends + encoders + STAN + familiarity", whole_seconds, "< 1.5 s"),
    ]
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    for name, seconds, target in rows:
        print(f"{name:<62} {seconds:>8.3f} s  {target}")
    print(f"upload_seconds {whole_seconds:.3f}")


if __name__ == "__main__":
    main()
