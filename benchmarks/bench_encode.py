"""Time the encoders on generated videos.

(a) decode + encode of a 10 s 720p clip with ``compact`` (target < 1 s);
(b) ResNet-152 (random weights): the whole path (decode + resize + forward) against the bare forward on the
    same frames, both in this run (target: whole ≤ 1.3 × bare);
(c) ``explorer extract`` throughput, clips/s, on a folder of 20 small clips with ``compact``.
The last line is ``overhead <whole ResNet-152 path / bare forward>``.

    python benchmarks/bench_encode.py [--resnet-seconds 2] [--device cpu]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import torch

from explorer.encoders import RANDOM, create_encoder
from explorer.encoders.extraction import extract_features
from explorer.media import load_clip


def make_video(path: Path, seconds: int, width: int, height: int, fps: int = 25) -> Path:
    """An H.264 + AAC mp4 with moving texture (so decoding does real work) and a tone."""
    rng = np.random.default_rng(0)
    texture = rng.integers(0, 256, (height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    texture = np.repeat(np.repeat(texture, 8, axis=0), 8, axis=1)
    with av.open(str(path), mode="w") as container:
        video = container.add_stream("libx264", rate=fps, options={"preset": "veryfast", "crf": "23"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = container.add_stream("aac", rate=16000, layout="mono")
        for index in range(seconds * fps):
            image = np.roll(texture, shift=(index * 3, index * 5), axis=(0, 1))[:height, :width]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts = index
            container.mux(video.encode(frame))
        container.mux(video.encode())
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(seconds * 16000) / 16000)).astype(np.float32)
        for start in range(0, tone.size, 1024):
            frame = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="fltp", layout="mono")
            frame.sample_rate, frame.pts, frame.time_base = 16000, start, Fraction(1, 16000)
            container.mux(audio.encode(frame))
        container.mux(audio.encode())
    return path


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def best_of(repeats: int, function) -> float:
    return min(timed(function) for _ in range(repeats))


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_compact(folder: Path, device: torch.device) -> float:
    path = make_video(folder / "hd.mp4", 10, 1280, 720)
    encoder = create_encoder("compact", weights=RANDOM).to(device)

    def decode_and_encode():
        encoder.encode(load_clip(path, frames_per_segment=encoder.frames_per_segment))
        synchronize(device)

    decode_and_encode()  # warm-up
    return best_of(3, decode_and_encode)


def bench_resnet(folder: Path, seconds: int, device: torch.device) -> dict[str, float]:
    path = make_video(folder / "resnet.mp4", seconds, 1280, 720)
    encoder = create_encoder("resnet152", weights=RANDOM).to(device)
    max_side = max(320, 2 * encoder.frame_size)  # as explorer extract decodes for this encoder

    def decode():
        return load_clip(path, frames_per_segment=encoder.frames_per_segment, max_side=max_side)

    def whole_path():
        encoder.encode(decode())
        synchronize(device)

    frames, _ = encoder.visual_input(decode())
    inputs = [encoder.normalize_frames(chunk.to(device)) for chunk in frames.split(encoder.batch_frames)]

    def bare_forward():
        with torch.inference_mode():
            for chunk in inputs:
                encoder.embed_frames(chunk)
        synchronize(device)

    bare_forward()  # warm-up at this batch shape (oneDNN builds its kernels per shape)
    # Interleaved and best-of, so load from other processes hits both sides alike.
    bare_times, whole_times = [], []
    for _ in range(3):
        bare_times.append(timed(bare_forward))
        whole_times.append(timed(whole_path))
    return {"whole": min(whole_times), "bare": min(bare_times), "decode": best_of(3, decode), "frames": len(frames)}


def bench_extraction(folder: Path, device: torch.device) -> float:
    videos = folder / "videos"
    videos.mkdir()
    ids = [f"clip{index:02d}" for index in range(20)]
    for video_id in ids:
        make_video(videos / f"{video_id}.mp4", 5, 320, 240)
    annotations = folder / "Annotations.txt"
    annotations.write_text("".join(f"Bell&{video_id}&good&0&5\n" for video_id in ids))
    encoder = create_encoder("compact", weights=RANDOM).to(device)
    report = extract_features(videos, annotations, encoder, folder / "store", workers=2, progress=False)
    assert report["extracted"] == len(ids), report["failed"]
    return report["clips_per_second"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resnet-seconds", type=int, default=2, help="length of the ResNet-152 clip (default 2)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    # Other processes on a small machine slow every number down; the load average says how much there was.
    print(f"device {device}, torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        compact_seconds = bench_compact(folder, device)
        resnet = bench_resnet(folder, args.resnet_seconds, device)
        clips_per_second = bench_extraction(folder, device)
    rows = [
        ("compact: decode + encode, 10 s 720p clip", f"{compact_seconds:.3f} s", "< 1 s"),
        (f"resnet152: decode alone, {args.resnet_seconds} s 720p", f"{resnet['decode']:.3f} s", ""),
        (f"resnet152: bare forward, {resnet['frames']} frames", f"{resnet['bare']:.3f} s", ""),
        (
            f"resnet152: decode + resize + forward, {args.resnet_seconds} s 720p",
            f"{resnet['whole']:.3f} s",
            "≤ 1.3 × bare",
        ),
        ("extract: 20 clips of 5 s 320x240, compact, 2 workers", f"{clips_per_second:.2f} clips/s", ""),
    ]
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    for name, value, target in rows:
        print(f"{name:<58} {value:>14}  {target}")
    print(f"overhead {resnet['whole'] / resnet['bare']:.3f}")


if __name__ == "__main__":
    main()
