"""``probe``: what a media file holds, read from its header, for the app's upload page."""

from __future__ import annotations

import os

import av

from explorer.media.opening import (
    check_readable_file,
    container_duration,
    main_stream,
    open_media,
    stream_duration,
)


def _stream_info(stream: av.stream.Stream) -> dict:
    info: dict = {
        "index": stream.index,
        "type": stream.type,
        "codec": stream.codec_context.name if stream.codec_context is not None else None,
        "duration": stream_duration(stream),
    }
    if stream.type == "video":
        rate = stream.average_rate or stream.guessed_rate
        info.update(width=stream.width, height=stream.height, fps=float(rate) if rate else None)
    elif stream.type == "audio":
        info.update(sample_rate=stream.sample_rate, channels=stream.channels)
    return info


def probe(path: str | os.PathLike) -> dict:
    """Duration (s, or None if unknown), container format, size in bytes and the streams of ``path``."""
    size = check_readable_file(path).stat().st_size
    with open_media(path) as container:
        return {
            "path": str(path),
            "size_bytes": size,
            "format": container.format.name,
            "duration": container_duration(container),
            "has_video": main_stream(container, "video") is not None,
            "has_audio": main_stream(container, "audio") is not None,
            "streams": [_stream_info(stream) for stream in container.streams],
        }
