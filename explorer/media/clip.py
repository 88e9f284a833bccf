"""The decoded clip that encoders and the app share: frames and audio cut into 1-second segments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from explorer.media.errors import MediaError

SAMPLE_RATE = 16000


@dataclass
class Clip:
    """Frames and audio of one clip, aligned on 1-second segments.

    ``frames[t]`` is the F×H×W×3 uint8 RGB stack sampled in second ``t``; ``audio`` is
    float32 mono with exactly ``num_segments * sample_rate`` samples (all zeros when
    ``has_audio`` is False, which ``warnings`` then says).
    """

    frames: list[np.ndarray]
    audio: np.ndarray
    sample_rate: int
    duration: float
    fps: float
    num_segments: int
    has_audio: bool
    has_video: bool
    truncated: bool
    source_duration: float
    path: str | None = None
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def fingerprint(self) -> str:
        """A short hash of the pixels and samples, computed once: what caches key a clip by (a clip is not changed
        after decoding)."""
        digest = hashlib.sha1(np.ascontiguousarray(self.audio).tobytes())
        for frames in self.frames:
            digest.update(np.ascontiguousarray(frames).tobytes())
        return digest.hexdigest()[:16]

    @property
    def segment_bounds(self) -> list[tuple[float, float]]:
        return [(float(t), float(t + 1)) for t in range(self.num_segments)]

    def _check_segment(self, t: int) -> None:
        if not 0 <= t < self.num_segments:
            raise MediaError(f"Segment {t} does not exist: this clip has segments 0 to {self.num_segments - 1}.")

    def segment_audio(self, t: int) -> np.ndarray:
        """The ``sample_rate`` audio samples of second ``t``."""
        self._check_segment(t)
        return self.audio[t * self.sample_rate : (t + 1) * self.sample_rate]

    def middle_frame(self, t: int) -> np.ndarray:
        """The H×W×3 frame nearest the middle of second ``t``."""
        self._check_segment(t)
        return self.frames[t][len(self.frames[t]) // 2]

    @classmethod
    def from_arrays(
        cls,
        frames_per_segment: list[np.ndarray] | np.ndarray,
        audio: np.ndarray | None,
        sample_rate: int = SAMPLE_RATE,
        path: str | None = None,
        warnings: list[str] | None = None,
    ) -> "Clip":
        """Build a clip from memory: T stacks of F×H×W×3 uint8 frames and mono audio (``None`` = no audio).

        Audio shorter than T seconds is zero-padded; longer audio is an error.
        """
        frames = [_checked_frames(stack, t) for t, stack in enumerate(frames_per_segment)]
        if not frames:
            raise MediaError("A clip needs at least one 1-second segment of frames.")
        if len({stack.shape for stack in frames}) != 1:
            raise MediaError("Every segment of a clip must hold the same number of frames of the same size.")
        num_segments = len(frames)
        length = num_segments * sample_rate
        notes = list(warnings or [])
        if audio is None:
            samples = np.zeros(length, np.float32)
            notes.append(NO_AUDIO_WARNING)
        else:
            samples = np.asarray(audio, dtype=np.float32)
            if samples.ndim != 1 or samples.size > length:
                raise MediaError(
                    f"Clip audio must be mono with at most {length} samples ({num_segments} s at {sample_rate} Hz), "
                    f"got shape {samples.shape}."
                )
            samples = np.pad(samples, (0, length - samples.size))
        return cls(
            frames=frames,
            audio=samples,
            sample_rate=sample_rate,
            duration=float(num_segments),
            fps=float(frames[0].shape[0]),
            num_segments=num_segments,
            has_audio=audio is not None,
            has_video=True,
            truncated=False,
            source_duration=float(num_segments),
            path=path,
            warnings=notes,
        )


NO_AUDIO_WARNING = "This clip has no audio track: it was analysed with silence."


def _checked_frames(stack: np.ndarray, t: int) -> np.ndarray:
    stack = np.asarray(stack)
    if stack.dtype != np.uint8 or stack.ndim != 4 or stack.shape[-1] != 3 or 0 in stack.shape:
        raise MediaError(f"Segment {t} must be an F×H×W×3 uint8 RGB array, got {stack.dtype} of shape {stack.shape}.")
    return stack
