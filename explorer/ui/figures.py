"""Figures of the app: frame strips with space attention, time charts, test curves.

Pure numpy / OpenCV / plotly, no streamlit, so each builder is tested directly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Mapping, Sequence

import cv2
import numpy as np
import plotly.graph_objects as go

from explorer.explain.overlay import COLORMAPS, overlay_on_image
from explorer.explain.upsample import upsample_space
from explorer.media import Clip, write_clip

MAX_WAVEFORM_POINTS = 4000  # a min/max envelope this wide looks like the full waveform and stays light
AUDIO_BOX, VISUAL_BOX = "rgba(46,160,67,0.20)", "rgba(148,103,189,0.18)"  # green: heard, purple: seen
VISUAL_PREFIX = "visual: "


def overlay_frames(frames: Sequence[np.ndarray], maps: np.ndarray, colormap: str, opacity: float) -> list[np.ndarray]:
    """Each RGB uint8 frame with its T×h×w attention map upsampled to the frame and blended on top."""
    overlays = []
    for frame, attention in zip(frames, maps):
        height, width = frame.shape[:2]
        mask = upsample_space(attention[None], (height, width))[0]
        overlays.append(overlay_on_image(frame.astype(np.float32) / 255.0, mask, COLORMAPS[colormap], 1.0 - opacity))
    return overlays


def overlay_video(clip: Clip, maps: np.ndarray, colormap: str, opacity: float) -> bytes:
    """MP4 bytes of every frame with its second's attention map overlaid, with the original audio."""
    stacks = [
        np.stack(overlay_frames(stack, np.repeat(maps[t][None], len(stack), axis=0), colormap, opacity))
        for t, stack in enumerate(clip.frames)
    ]
    overlaid = Clip.from_arrays(stacks, clip.audio if clip.has_audio else None, clip.sample_rate)
    with tempfile.TemporaryDirectory(prefix="explorer-export-") as folder:
        path = Path(folder) / "overlay.mp4"
        write_clip(path, overlaid, fps=max(1, round(clip.fps)))
        return path.read_bytes()


def frame_strip(images: Sequence[np.ndarray], height: int = 120, gap: int = 4) -> np.ndarray:
    """Images side by side at one height, separated by white gaps (RGB uint8)."""
    if not images:
        raise ValueError("a frame strip needs at least one image")
    resized = [cv2.resize(image, (max(1, round(image.shape[1] * height / image.shape[0])), height)) for image in images]
    spacer = np.full((height, gap, 3), 255, dtype=np.uint8)
    pieces = [piece for image in resized for piece in (image, spacer)][:-1]
    return np.concatenate(pieces, axis=1)


GRID_PER_ROW = 5  # frames per row of a frame grid


def grid_width(count: int) -> str:
    """How wide to draw a grid of ``count`` frames (``st.image``'s ``width``): the page's width once a row is full;
    a shorter grid at its own size (at most the page's width), since a few frames stretched to the page would each
    be drawn larger than the enlarged second beside them."""
    return "stretch" if count >= GRID_PER_ROW else "content"


def frame_grid(
    images: Sequence[np.ndarray], per_row: int = GRID_PER_ROW, height: int = 160, gap: int = 4
) -> np.ndarray:
    """Images in rows of ``per_row`` strips (a short last row is padded white), rows separated by white gaps."""
    rows = [frame_strip(images[start : start + per_row], height, gap) for start in range(0, len(images), per_row)]
    width = max(row.shape[1] for row in rows)
    padded = [np.pad(row, ((0, 0), (0, width - row.shape[1]), (0, 0)), constant_values=255) for row in rows]
    spacer = np.full((gap, width, 3), 255, dtype=np.uint8)
    return np.concatenate([piece for row in padded for piece in (row, spacer)][:-1], axis=0)


def colorbar(colormap: str, width: int = 256, height: int = 14) -> np.ndarray:
    """The colormap from 0 (left) to 1 (right) as an RGB uint8 bar, as the overlays use it."""
    ramp = np.tile(np.linspace(0, 255, width, dtype=np.uint8), (height, 1))
    return cv2.cvtColor(cv2.applyColorMap(ramp, COLORMAPS[colormap]), cv2.COLOR_BGR2RGB)


def png_bytes(image: np.ndarray) -> bytes:
    """An RGB uint8 image as PNG bytes."""
    ok, encoded = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise ValueError(f"could not encode an image of shape {image.shape} as PNG")
    return encoded.tobytes()


def waveform_envelope(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, amplitude) with at most MAX_WAVEFORM_POINTS points: the min and max of each bucket."""
    if len(audio) <= MAX_WAVEFORM_POINTS:
        return np.arange(len(audio)) / sample_rate, audio
    buckets = MAX_WAVEFORM_POINTS // 2
    edges = np.linspace(0, len(audio), buckets + 1).astype(int)
    lows = np.minimum.reduceat(audio, edges[:-1])
    highs = np.maximum.reduceat(audio, edges[:-1])
    times = np.repeat(edges[:-1] / sample_rate, 2)
    return times, np.stack([lows, highs], axis=1).reshape(-1)


def _step(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A per-second value drawn as a step over each 1-second segment."""
    times = np.repeat(np.arange(len(values) + 1), 2)[1:-1].astype(float)
    return times, np.repeat(values, 2)


def time_figure(
    audio: np.ndarray | None,
    sample_rate: int,
    curves: Mapping[str, np.ndarray],
    boxes: Sequence[tuple[str, float, float]] = (),
    highlight: tuple[float, float] | None = None,
) -> go.Figure:
    """The waveform with per-second curves in [0, 1] over it and annotated events shaded behind."""
    figure = go.Figure()
    if audio is not None and len(audio):
        times, amplitude = waveform_envelope(audio, sample_rate)
        peak = float(np.abs(amplitude).max()) or 1.0
        figure.add_trace(
            go.Scatter(
                x=times,
                y=0.5 + 0.5 * amplitude / peak,
                name="waveform",
                mode="lines",
                line={"color": "rgba(120,120,120,0.6)", "width": 1},
                hoverinfo="skip",
            )
        )
    for (name, values), colour in zip(curves.items(), ("#d62728", "#1f77b4", "#2ca02c")):
        x, y = _step(np.asarray(values, dtype=float))
        figure.add_trace(go.Scatter(x=x, y=y, name=name, mode="lines", line={"color": colour, "width": 3}))
    for label, start, end in boxes:
        visual = label.startswith(VISUAL_PREFIX)  # visual labels sit at the bottom so they never cover audio ones
        figure.add_vrect(
            x0=start,
            x1=end,
            fillcolor=VISUAL_BOX if visual else AUDIO_BOX,
            line_width=0,
            layer="below",
            annotation_text=label,
            annotation_position="bottom left" if visual else "top left",
        )
    if highlight is not None:
        figure.add_vrect(x0=highlight[0], x1=highlight[1], line={"color": "black", "width": 2, "dash": "dot"})
    # the legend sits above the plot and grows upwards, so it never covers a curve, even on a narrow column
    figure.update_layout(
        height=340,
        margin={"l": 10, "r": 10, "t": 60, "b": 10},
        xaxis_title="time (s)",
        yaxis={"range": [-0.02, 1.12], "title": "attention"},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
    )
    return figure


def tvd_figure(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str) -> go.Figure:
    """TVD against σ², one line per model or feature set (the paper's Figure 3)."""
    figure = go.Figure()
    for name, (sigma2, tvd) in curves.items():
        figure.add_trace(go.Scatter(x=list(sigma2), y=list(tvd), name=name, mode="lines+markers"))
    figure.update_layout(
        title=title,
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis_title="noise variance σ²",
        yaxis_title="TVD",
        yaxis_rangemode="tozero",
    )
    return figure


def pointing_figure(time_attention: np.ndarray, human_mask: np.ndarray) -> go.Figure:
    """Time attention against the human temporal mask of the pointing game."""
    curves = {"time attention": time_attention, "binary attention (≥ 0.5)": (time_attention >= 0.5).astype(float)}
    figure = time_figure(None, 1, curves)
    figure.update_traces(line_dash="dash", selector={"name": "binary attention (≥ 0.5)"})  # visible where they coincide
    x, y = _step(np.asarray(human_mask, dtype=float))
    figure.add_trace(
        go.Scatter(
            x=x,
            y=y,
            name="human mask",
            fill="tozeroy",
            mode="lines",
            line={"color": "rgba(46,160,67,0.8)"},
            fillcolor="rgba(46,160,67,0.2)",
        )
    )
    return figure


def draw_peak(image: np.ndarray, attention: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The image with the true object mask outlined in green and the attention peak marked with a cross."""
    height, width = image.shape[:2]
    drawn = image.copy()
    mask_full = cv2.resize(mask.astype(np.uint8), (width, height), interpolation=cv2.INTER_NEAREST)
    contours, _ = cv2.findContours(mask_full, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(drawn, contours, -1, (46, 200, 67), 2)
    row, column = np.unravel_index(int(np.argmax(attention)), attention.shape)
    centre = (int((column + 0.5) * width / attention.shape[1]), int((row + 0.5) * height / attention.shape[0]))
    cv2.drawMarker(drawn, centre, (255, 255, 255), cv2.MARKER_CROSS, max(12, width // 10), 4)
    cv2.drawMarker(drawn, centre, (220, 30, 30), cv2.MARKER_CROSS, max(12, width // 10), 2)
    return drawn
