"""Open media files with PyAV and turn every FFmpeg failure into one readable sentence."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import av

from explorer.media.errors import MediaError

# Seconds PyAV waits for data before it gives up; a local file never needs this long.
OPEN_TIMEOUT_S = 10.0
# Decoding errors tolerated before a file is treated as ending there.
MAX_DECODE_ERRORS = 20


def describe_path(path: str | os.PathLike) -> str:
    return Path(path).name or str(path)


def check_readable_file(path: str | os.PathLike) -> Path:
    """Fail early, with a clear message, on things that are not readable files."""
    if not isinstance(path, (str, os.PathLike)):
        raise MediaError(f"Expected a path to a media file, got a {type(path).__name__}.")
    file = Path(path)
    if not file.exists():
        raise MediaError(f"Media file {file} does not exist.")
    if file.is_dir():
        raise MediaError(f"{file} is a folder, not a media file.")
    if file.stat().st_size == 0:
        raise MediaError(f"Media file {file} is empty (0 bytes).")
    if not os.access(file, os.R_OK):
        raise MediaError(f"Media file {file} cannot be read: check its permissions.")
    return file


@contextmanager
def open_media(path: str | os.PathLike) -> Iterator[av.container.InputContainer]:
    """Open ``path`` for reading; FFmpeg errors become a :class:`MediaError`."""
    file = check_readable_file(path)
    try:
        container = av.open(str(file), mode="r", timeout=OPEN_TIMEOUT_S)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError) as error:
        raise MediaError(
            f"{describe_path(file)} could not be opened as audio or video: it is corrupt, truncated "
            f"or not a media file ({error.__class__.__name__})."
        ) from None
    try:
        yield container
    finally:
        container.close()


def main_stream(container: av.container.InputContainer, kind: str) -> av.stream.Stream | None:
    """The first decodable stream of ``kind`` ("audio" or "video"); cover art is not video."""
    for stream in container.streams:
        if stream.type != kind or stream.codec_context is None:
            continue
        if kind == "video" and stream.disposition & av.stream.Disposition.attached_pic:
            continue
        return stream
    return None


def stream_start_seconds(stream: av.stream.Stream, container: av.container.InputContainer) -> float:
    """Where a stream's timeline starts, so that other streams can be placed relative to it."""
    if stream.start_time is not None and stream.time_base is not None:
        return float(stream.start_time * stream.time_base)
    if container.start_time is not None:
        return container.start_time / av.time_base
    return 0.0


def stream_duration(stream: av.stream.Stream) -> float | None:
    """Length of one stream announced by the file, in seconds, if it announces one."""
    if stream.duration and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    return None


def container_duration(container: av.container.InputContainer) -> float | None:
    """Length announced by the file header, in seconds, if it announces one."""
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    lengths = [length for length in map(stream_duration, container.streams) if length]
    return max(lengths) if lengths else None


class FrameReader:
    """Decodes the given streams in one pass, stopping at bad data instead of hanging or raising.

    ``problem`` names why decoding stopped before the end of the file, if it did.
    """

    def __init__(self, container: av.container.InputContainer, streams: list[av.stream.Stream], max_packets: int):
        self.container = container
        self.streams = streams
        self.max_packets = max_packets
        self.problem: str | None = None

    def __iter__(self) -> Iterator[tuple[av.stream.Stream, av.frame.Frame]]:
        packets = self.container.demux(self.streams)
        decode_errors = 0
        for count, packet in enumerate(_guarded(packets, self)):
            if count >= self.max_packets:
                self.problem = "it holds more packets than expected for its length"
                return
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError):
                decode_errors += 1
                if decode_errors > MAX_DECODE_ERRORS:
                    self.problem = "its data is damaged"
                    return
                continue
            for frame in frames:
                yield packet.stream, frame


def _guarded(packets: Iterator[av.Packet], reader: FrameReader) -> Iterator[av.Packet]:
    """Demux until the end, or until the container data is unreadable (a cut or damaged file)."""
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            return
        except (av.error.FFmpegError, OSError, ValueError):
            reader.problem = "its data is damaged or cut off"
            return
        yield packet
