"""``write_clip``: save a Clip as an mp4 (H.264 yuv420p + AAC) that browsers play."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np

from explorer.media.clip import Clip
from explorer.media.errors import MediaError

AAC_FRAME_SIZE = 1024


def _even_sized(image: np.ndarray) -> np.ndarray:
    """yuv420p needs even width and height: repeat the last row/column where needed."""
    pad_rows, pad_cols = image.shape[0] % 2, image.shape[1] % 2
    if not (pad_rows or pad_cols):
        return image
    return np.pad(image, ((0, pad_rows), (0, pad_cols), (0, 0)), mode="edge")


def _frames_at_rate(clip: Clip, fps: int):
    """Each second's sampled frames, repeated to fill ``fps`` output frames."""
    for stack in clip.frames:
        for slot in range(fps):
            yield stack[slot * len(stack) // fps]


def write_clip(path: str | os.PathLike, clip: Clip, fps: int = 8) -> Path:
    """Write ``clip`` to ``path`` as mp4; the audio track is left out when the clip has no audio."""
    if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 120:
        raise MediaError(f"fps must be an integer from 1 to 120, got {fps!r}.")
    target = Path(path)
    if not target.parent.is_dir():
        raise MediaError(f"Cannot write {target}: folder {target.parent} does not exist.")
    height, width = _even_sized(clip.frames[0][0]).shape[:2]
    try:
        with av.open(str(target), mode="w", format="mp4") as container:
            # One x264 thread: its output then depends on the input alone, not on the machine's core count.
            video = container.add_stream("libx264", rate=fps, options={"threads": "1"})
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            audio = container.add_stream("aac", rate=clip.sample_rate, layout="mono") if clip.has_audio else None
            for index, image in enumerate(_frames_at_rate(clip, fps)):
                frame = av.VideoFrame.from_ndarray(_even_sized(image), format="rgb24")
                frame.pts = index
                container.mux(video.encode(frame))
            container.mux(video.encode())
            if audio is not None:
                samples = np.ascontiguousarray(clip.audio, dtype=np.float32)
                for start in range(0, samples.size, AAC_FRAME_SIZE):
                    frame = av.AudioFrame.from_ndarray(
                        samples[None, start : start + AAC_FRAME_SIZE], format="fltp", layout="mono"
                    )
                    frame.sample_rate, frame.pts = clip.sample_rate, start
                    container.mux(audio.encode(frame))
                container.mux(audio.encode())
    except (av.error.FFmpegError, OSError) as error:
        raise MediaError(f"Could not write {target}: {error}.") from None
    return target
