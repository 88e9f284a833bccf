"""Generate small test media with PyAV's encoders, so media tests need no downloaded files.

Every frame of second ``t`` is a flat gray of :func:`segment_level` ``(t)`` with a red square
in its top-left corner, so a test can tell which second a decoded frame came from and
which way up it is. Audio is silence, optionally with a sine tone between two times.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
# Encoder pixel formats where the default yuv420p cannot be used.
PIXEL_FORMATS = {"mjpeg": "yuvj420p"}
TONE_AMPLITUDE = 0.5


def segment_level(second: int) -> int:
    """The gray level of every frame in second ``second`` (distinct steps of 35)."""
    return 20 + (35 * second) % 210


def has_encoder(codec: str) -> bool:
    try:
        av.codec.Codec(codec, "w")
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def frame_image(second: int, size: tuple[int, int]) -> np.ndarray:
    """The H×W×3 image shown during ``second``; ``size`` is (width, height)."""
    width, height = size
    image = np.full((height, width, 3), segment_level(second), np.uint8)
    side = max(2, min(width, height) // 4)
    image[:side, :side] = (255, 0, 0)
    return image


def tone_wave(seconds: float, rate: int, tone: tuple[float, float, float] | None) -> np.ndarray:
    """Mono float32 silence of ``seconds`` with a sine of ``tone = (freq, start, end)``."""
    times = np.arange(round(seconds * rate)) / rate
    if tone is None:
        return np.zeros(times.size, np.float32)
    freq, start, end = tone
    active = (times >= start) & (times < end)
    return (TONE_AMPLITUDE * np.sin(2 * np.pi * freq * times) * active).astype(np.float32)


def _add_audio_stream(container, codec: str, rate: int, channels: int):
    stream = container.add_stream(codec, rate=rate, layout=LAYOUTS[channels])
    if codec == "vorbis":  # FFmpeg's own Vorbis encoder is marked experimental
        stream.codec_context.options = {"strict": "experimental"}
    return stream


def _encode_audio(container, stream, wave: np.ndarray, rate: int, channels: int) -> None:
    """Encode mono ``wave`` (or samples×channels) in chunks; PyAV converts to the encoder's format."""
    planes = np.repeat(wave[None, :], channels, axis=0) if wave.ndim == 1 else wave.T
    planes = np.ascontiguousarray(planes, dtype=np.float32)
    chunk = 1024
    for start in range(0, planes.shape[1], chunk):
        frame = av.AudioFrame.from_ndarray(planes[:, start : start + chunk], format="fltp", layout=LAYOUTS[channels])
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        container.mux(stream.encode(frame))
    container.mux(stream.encode())


def make_video(
    path: str | Path,
    seconds: float,
    fps: float = 10,
    size: tuple[int, int] = (64, 48),
    codec: str = "libx264",
    container: str | None = None,
    audio_codec: str | None = None,
    audio_rate: int = 16000,
    channels: int = 1,
    tone: tuple[float, float, float] | None = None,
    waveform: np.ndarray | None = None,
    rotation: int | None = None,
    frame_times: Sequence[float] | None = None,
    pix_fmt: str | None = None,
) -> Path:
    """Write a test video; the container comes from the suffix unless ``container`` names it.

    ``frame_times`` (seconds) gives a variable frame rate instead of ``fps``; ``rotation`` is
    the counter-clockwise display rotation a phone records (-90 for a phone held upright).
    """
    path = Path(path)
    times = list(frame_times) if frame_times is not None else [i / fps for i in range(round(seconds * fps))]
    with av.open(str(path), mode="w", format=container) as out:
        video = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        video.width, video.height = size
        video.pix_fmt = pix_fmt or PIXEL_FORMATS.get(codec, "yuv420p")
        if frame_times is not None:
            video.codec_context.time_base = Fraction(1, 1000)
        if rotation is not None:
            video.set_display_rotation(rotation)
        audio = _add_audio_stream(out, audio_codec, audio_rate, channels) if audio_codec else None
        for time in times:
            frame = av.VideoFrame.from_ndarray(frame_image(int(time), size), format="rgb24")
            frame.pts = round(time * 1000) if frame_times is not None else round(time * fps)
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if audio is not None:
            wave = waveform if waveform is not None else tone_wave(seconds, audio_rate, tone)
            _encode_audio(out, audio, wave, audio_rate, channels)
    return path


def make_audio(
    path: str | Path,
    seconds: float,
    codec: str = "pcm_s16le",
    rate: int = 16000,
    channels: int = 1,
    tone: tuple[float, float, float] | None = None,
    waveform: np.ndarray | None = None,
    container: str | None = None,
) -> Path:
    """Write an audio-only file (wav, ogg, mp3, aiff, ... from the suffix)."""
    path = Path(path)
    with av.open(str(path), mode="w", format=container) as out:
        stream = _add_audio_stream(out, codec, rate, channels)
        wave = waveform if waveform is not None else tone_wave(seconds, rate, tone)
        _encode_audio(out, stream, wave, rate, channels)
    return path
