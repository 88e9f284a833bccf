"""Audio decoding: any audio stream becomes float32 mono at a fixed rate."""

from __future__ import annotations

import os

import av
import numpy as np

from explorer.media.clip import SAMPLE_RATE
from explorer.media.errors import MediaError
from explorer.media.opening import FrameReader, describe_path, main_stream, open_media, stream_start_seconds

# Generous: real audio streams carry 5 to 100 packets per second.
PACKETS_PER_SECOND = 2000
# Audio-only files are read whole; this caps what a broken header can make us read.
MAX_AUDIO_SECONDS = 3600.0


class AudioCollector:
    """Resamples decoded audio frames to ``sample_rate``, averages the channels and places them on a timeline.

    Channels are averaged (as VGGish's preprocessing does) rather than downmixed by FFmpeg,
    whose 5.1 and stereo mixes add channels up and can exceed [-1, 1].
    ``origin`` is the time (s) that becomes sample 0; audio before it is dropped and
    a late start is zero-filled, so the audio stays aligned with the video frames.
    """

    def __init__(self, sample_rate: int, origin: float | None = None, stop_at: float = float("inf")):
        self.sample_rate = sample_rate
        self.origin = origin
        self.stop_at = stop_at
        self.resampler: av.AudioResampler | None = None
        self.setup: tuple[str, str, int] | None = None  # (format, layout, rate) the resampler was built for
        self.chunks: list[np.ndarray] = []
        self.offset: int | None = None  # sample index of the first collected sample
        self.collected = 0

    @property
    def done(self) -> bool:
        return self.offset is not None and (self.offset + self.collected) >= self.stop_at * self.sample_rate

    def add(self, frame: av.AudioFrame | None) -> None:
        """Add one decoded frame (``None`` flushes the resampler); a frame FFmpeg cannot resample is skipped."""
        if self.offset is None and frame is not None:
            start = frame.time if (frame.time is not None and self.origin is not None) else 0.0
            self.offset = round((start - (self.origin or 0.0)) * self.sample_rate)
        try:
            if frame is None:
                self._flush()
                return
            setup = (frame.format.name, frame.layout.name, frame.sample_rate)
            if setup != self.setup:
                self._flush()  # a stream may change its channel layout or sample rate midway
                self.setup = setup
                # Packed "flt", not planar "fltp": PyAV 18 finds a planar frame's planes by scanning FFmpeg's
                # channel pointers for a NULL, which reads past their end at 8 or more channels (7.1, or a damaged
                # AAC frame that claims 29) and crashes the process in ``to_ndarray``. A packed frame has one plane.
                self.resampler = av.AudioResampler(format="flt", layout=frame.layout, rate=self.sample_rate)
            self._append(self.resampler.resample(frame))
        except (av.error.FFmpegError, ValueError):
            # A damaged header FFmpeg cannot resample (a wav claiming 257 channels): drop the frame, and
            # start afresh on the next one. No frame at all: load_audio and load_clip say so.
            self.resampler, self.setup = None, None

    def _flush(self) -> None:
        if self.resampler is not None:
            self._append(self.resampler.resample(None))

    def _append(self, frames: list[av.AudioFrame]) -> None:
        for resampled in frames:
            channels = len(resampled.layout.channels)
            samples = resampled.to_ndarray().reshape(-1, channels).mean(axis=1, dtype=np.float32)
            self.chunks.append(samples)
            self.collected += samples.size

    def samples(self, length: int | None = None) -> np.ndarray:
        """The collected audio from the origin on, zero-padded or cut to ``length`` if given."""
        self.add(None)
        audio = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.float32)
        offset = self.offset or 0
        audio = audio[-offset:] if offset < 0 else np.concatenate([np.zeros(offset, np.float32), audio])
        if length is None:
            return audio
        out = np.zeros(length, np.float32)
        out[: min(length, audio.size)] = audio[:length]
        return out


def load_audio(path: str | os.PathLike, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode the first audio stream of ``path`` (audio or video file) to float32 mono at ``sample_rate``."""
    if not isinstance(sample_rate, int) or sample_rate < 1000:
        raise MediaError(f"sample_rate must be an integer of at least 1000 Hz, got {sample_rate!r}.")
    with open_media(path) as container:
        stream = main_stream(container, "audio")
        if stream is None:
            raise MediaError(f"{describe_path(path)} has no audio stream.")
        # Samples before the stream start (negative timestamps: pre-roll of a cut file) are not part of it.
        origin = stream_start_seconds(stream, container)
        collector = AudioCollector(sample_rate, origin=origin, stop_at=MAX_AUDIO_SECONDS)
        reader = FrameReader(container, [stream], max_packets=int(PACKETS_PER_SECOND * MAX_AUDIO_SECONDS))
        for _, frame in reader:
            collector.add(frame)
            if collector.done:
                break
        audio = collector.samples()
    if audio.size == 0:
        raise MediaError(f"{describe_path(path)} contains no decodable audio: it is corrupt or truncated.")
    return audio
