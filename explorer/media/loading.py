"""``load_clip``: decode a video file into a :class:`Clip` of 1-second segments.

Policies (each has a test in tests/test_media.py):

- Frames: ``frames_per_segment`` frames per second, the frames on screen at evenly spaced
  times ``t + (k + 0.5) / F`` (by presentation time, so variable frame rates work),
  downscaled while converting so the longest side is at most ``max_side``, and turned
  upright by the display-matrix rotation that phones record.
- Audio: the first audio stream mixed to mono and resampled to 16 kHz, placed on the
  video's timeline and zero-padded to whole segments if it ends early (with a warning).
- No audio stream: silent audio, ``has_audio`` False and a warning that says so.
- No video stream (or only cover art): MediaError; STAN needs frames.
- Less than 1 s of decodable video: MediaError.
- Longer than ``max_seconds``: only the first ``max_seconds`` are decoded, ``truncated``
  is True and a warning says so.
- Missing, empty, a folder, not media, corrupt or cut off before any frame: MediaError.
  A file cut off or damaged later is decoded up to that point, with a warning.
- Never a hang: decoding stops at ``max_seconds`` of presentation time, after a packet
  budget, or after repeated decoding errors.
"""

from __future__ import annotations

import math
import os

import numpy as np

from explorer.media.audio import PACKETS_PER_SECOND, AudioCollector
from explorer.media.clip import NO_AUDIO_WARNING, SAMPLE_RATE, Clip
from explorer.media.errors import MediaError
from explorer.media.opening import (
    FrameReader,
    container_duration,
    describe_path,
    main_stream,
    open_media,
    stream_duration,
    stream_start_seconds,
)
from explorer.media.video import FrameSampler

# Slack (s) between the announced and the decoded length before we call a file cut short.
EARLY_END_TOLERANCE_S = 0.5


def _check_options(max_seconds: float, frames_per_segment: int, max_side: int) -> None:
    if isinstance(max_seconds, bool) or not isinstance(max_seconds, (int, float)) or not max_seconds >= 1:
        raise MediaError(f"max_seconds must be a number of at least 1, got {max_seconds!r}.")
    for name, value, least in (("frames_per_segment", frames_per_segment, 1), ("max_side", max_side, 8)):
        if isinstance(value, bool) or not isinstance(value, int) or value < least:
            raise MediaError(f"{name} must be an integer of at least {least}, got {value!r}.")


def load_clip(
    path: str | os.PathLike, max_seconds: float = 60, frames_per_segment: int = 4, max_side: int = 320
) -> Clip:
    """Decode up to ``max_seconds`` of ``path`` into aligned 1-second segments of frames and 16 kHz audio."""
    _check_options(max_seconds, frames_per_segment, max_side)
    with open_media(path) as container:
        name = describe_path(path)
        video = main_stream(container, "video")
        if video is None:
            raise MediaError(f"{name} has no video stream; STAN needs frames.")
        audio = main_stream(container, "audio")
        video.thread_type = "AUTO"
        origin = stream_start_seconds(video, container)
        nominal_fps = float(video.average_rate or video.guessed_rate or 0) or None
        aspect = video.sample_aspect_ratio
        sampler = FrameSampler(frames_per_segment, max_side, max_seconds, nominal_fps, float(aspect) if aspect else 1.0)
        collector = AudioCollector(SAMPLE_RATE, origin=origin, stop_at=max_seconds) if audio else None
        budget = int(PACKETS_PER_SECOND * (max_seconds + 5))
        reader = FrameReader(container, [s for s in (video, audio) if s is not None], max_packets=budget)
        for stream, frame in reader:
            if stream is video:
                sampler.add(frame, None if frame.time is None else frame.time - origin)
            elif not collector.done:
                collector.add(frame)
            if sampler.done and (collector is None or collector.done):
                break
        source_duration = stream_duration(video) or container_duration(container) or sampler.end_time
        duration = sampler.end_time
        num_segments = math.floor(duration + 1e-3)
        if num_segments < 1:
            raise MediaError(_too_short_message(name, sampler, reader.problem))
        frames = sampler.segments(num_segments)
        audio_samples = collector.samples(num_segments * SAMPLE_RATE) if collector else None

    has_audio = collector is not None and collector.collected > 0
    warnings = _policy_warnings(sampler, reader, collector, source_duration, num_segments, max_seconds)
    return Clip(
        frames=frames,
        audio=audio_samples if has_audio else np.zeros(num_segments * SAMPLE_RATE, np.float32),
        sample_rate=SAMPLE_RATE,
        duration=min(duration, float(max_seconds)),
        fps=nominal_fps or sampler.measured_fps or float(frames_per_segment),
        num_segments=num_segments,
        has_audio=has_audio,
        has_video=True,
        truncated=sampler.done,
        source_duration=float(source_duration),
        path=str(path),
        warnings=warnings,
    )


def _policy_warnings(
    sampler: FrameSampler,
    reader: FrameReader,
    collector: AudioCollector | None,
    source_duration: float,
    num_segments: int,
    max_seconds: float,
) -> list[str]:
    """The human-readable flags of the module docstring's policies."""
    warnings: list[str] = []
    duration = sampler.end_time
    if sampler.done:
        warnings.append(f"The file lasts {source_duration:.1f} s: only the first {max_seconds:g} s were analysed.")
    elif reader.problem or source_duration - duration > EARLY_END_TOLERANCE_S:
        why = f" ({reader.problem})" if reader.problem else ""
        announced = f" out of the {source_duration:.1f} s it announces" if source_duration > duration else ""
        warnings.append(f"The file ended early{why}: only {duration:.1f} s of video could be decoded{announced}.")
    if collector is None:
        warnings.append(NO_AUDIO_WARNING)
    elif collector.collected == 0:
        warnings.append("The audio track could not be decoded: the clip was analysed with silence.")
    else:
        audio_end = (collector.offset + collector.collected) / SAMPLE_RATE
        if audio_end < num_segments - EARLY_END_TOLERANCE_S:
            warnings.append(f"The audio track ends at {audio_end:.1f} s: the rest was analysed as silence.")
    return warnings


def _too_short_message(name: str, sampler: FrameSampler, problem: str | None) -> str:
    if sampler.count == 0:
        return f"{name} contains no decodable video frames: it is corrupt or truncated."
    if problem:
        return f"Only {sampler.end_time:.2f} s of {name} could be decoded ({problem}); STAN needs at least 1 s."
    return f"{name} lasts only {sampler.end_time:.2f} s; STAN needs at least 1 s of video."
