"""Video frame sampling: a few evenly spaced, downscaled, upright RGB frames per second."""

from __future__ import annotations

import av
import numpy as np


def output_size(width: int, height: int, sample_aspect: float, max_side: int) -> tuple[int, int]:
    """Display size (square pixels) shrunk so that its longest side is at most ``max_side``."""
    display_width = width * sample_aspect
    scale = min(1.0, max_side / max(display_width, height))
    return max(1, round(display_width * scale)), max(1, round(height * scale))


def to_upright_rgb(frame: av.VideoFrame, max_side: int, sample_aspect: float = 1.0) -> np.ndarray:
    """Convert one decoded frame to H×W×3 uint8, downscaled while converting and rotated upright."""
    width, height = output_size(frame.width, frame.height, sample_aspect, max_side)
    image = frame.reformat(width=width, height=height, format="rgb24").to_ndarray()
    # ``rotation`` is the counter-clockwise angle of the display matrix (phone videos: -90 or 90).
    quarter_turns = round((frame.rotation or 0) / 90) % 4
    return np.ascontiguousarray(np.rot90(image, k=quarter_turns)) if quarter_turns else image


class FrameSampler:
    """Keeps the frame on screen at ``frames_per_segment`` evenly spaced times in each second.

    Frames arrive in presentation order with times relative to the clip start. Only the
    previous raw frame is held; kept frames are converted at once and the rest dropped,
    so a long 4K clip never sits in memory at full resolution.
    """

    def __init__(
        self,
        frames_per_segment: int,
        max_side: int,
        stop_at: float,
        nominal_fps: float | None,
        sample_aspect: float = 1.0,
    ):
        self.frames_per_segment = frames_per_segment
        self.max_side = max_side
        self.sample_aspect = sample_aspect  # pixel width/height; non-square pixels are stretched to square
        self.stop_at = stop_at
        self.nominal_fps = nominal_fps
        self.kept: list[np.ndarray] = []
        self.previous: av.VideoFrame | None = None
        self.converted: tuple[av.VideoFrame, np.ndarray] | None = None  # several targets may share one frame
        self.first_time: float | None = None
        self.last_time: float | None = None
        self.last_shown_for: float | None = None  # the last frame's own duration, when the file records it
        self.count = 0
        self.done = False  # True once a frame at or past ``stop_at`` arrived

    def target_time(self, index: int) -> float:
        second, slot = divmod(index, self.frames_per_segment)
        return second + (slot + 0.5) / self.frames_per_segment

    def add(self, frame: av.VideoFrame, time: float | None) -> None:
        """Add a decoded frame shown from ``time`` seconds (``None``: one frame after the previous)."""
        if self.done:
            return
        if time is None or (self.last_time is not None and time <= self.last_time):
            time = (self.last_time + self.frame_interval) if self.last_time is not None else 0.0
        if time >= self.stop_at:
            self.done = True
            return
        # Every target before this frame's time was on screen while the previous frame was.
        while self.target_time(len(self.kept)) < time:
            self.keep(self.previous or frame)
        self.previous = frame
        self.first_time = time if self.first_time is None else self.first_time
        self.last_time = time
        self.last_shown_for = float(frame.duration * frame.time_base) if frame.duration and frame.time_base else None
        self.count += 1

    def keep(self, frame: av.VideoFrame) -> None:
        if self.converted is None or self.converted[0] is not frame:
            self.converted = (frame, to_upright_rgb(frame, self.max_side, self.sample_aspect))
        self.kept.append(self.converted[1])

    @property
    def measured_fps(self) -> float | None:
        if self.count < 2 or self.last_time is None or self.first_time is None or self.last_time <= self.first_time:
            return None
        return (self.count - 1) / (self.last_time - self.first_time)

    @property
    def frame_interval(self) -> float:
        fps = self.nominal_fps or self.measured_fps or 25.0
        return 1.0 / fps

    @property
    def end_time(self) -> float:
        """Where the decoded video ends: the last frame's time plus how long it is shown."""
        if self.done:
            return self.stop_at
        if self.last_time is None:
            return 0.0
        return min(self.stop_at, self.last_time + (self.last_shown_for or self.frame_interval))

    def segments(self, num_segments: int) -> list[np.ndarray]:
        """The kept frames of the first ``num_segments`` seconds, one F×H×W×3 stack per second."""
        needed = num_segments * self.frames_per_segment
        while len(self.kept) < needed and self.previous is not None:
            self.keep(self.previous)  # targets after the last frame's start: it is still on screen
        per = self.frames_per_segment
        return [np.stack(self.kept[t * per : (t + 1) * per]) for t in range(num_segments)]
