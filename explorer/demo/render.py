"""Render a SceneSpec to frames, audio and pixel-exact object masks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from explorer.demo.scene import DURATION_SECONDS, SceneObject, SceneSpec
from explorer.demo.sources import SourceLibrary
from explorer.errors import DataError
from explorer.media import SAMPLE_RATE

SOURCE_RMS = 0.1  # every source sound is mixed at this RMS times its gain
PEAK_LIMIT = 0.9
MASK_ALPHA = 0.5  # a pixel belongs to an object where its alpha is at least this
_REPEAT_FADE = SAMPLE_RATE // 200  # 5 ms: no clicks where a looped sound restarts
_EDGE_FADE = SAMPLE_RATE // 50  # 20 ms at the start and end of an audible interval


@dataclass
class RenderedScene:
    frames: np.ndarray  # F×H×W×3 uint8 RGB, F = 10·fps (or the frames asked for)
    audio: np.ndarray  # float32 mono, 10 s at 16 kHz
    background: np.ndarray  # H×W×3 uint8: the frame without objects
    visible: list[int]  # indices into spec.objects of the visible objects, in mask order
    object_masks: np.ndarray  # V×F×H×W bool, after occlusion by objects drawn later
    touched: np.ndarray  # F×H×W bool: where any object has alpha > 0, faint rims included (masks are alpha ≥ 0.5)
    audible: list[int]  # indices into spec.objects of the audible objects, in track order
    tracks: np.ndarray  # A×samples float32: each audible object's share of ``audio``
    ambient: np.ndarray  # samples float32: the ambient share of ``audio``


def check_render_options(fps: int, size: int) -> None:
    if not isinstance(fps, int) or not 1 <= fps <= 30:
        raise DataError(f"fps must be an integer from 1 to 30, got {fps!r}.")
    if not isinstance(size, int) or not 32 <= size <= 1024:
        raise DataError(f"size must be an integer from 32 to 1024 pixels, got {size!r}.")


def render_scene(
    spec: SceneSpec, library: SourceLibrary, fps: int = 8, size: int = 224, only_frames: Sequence[int] | None = None
) -> RenderedScene:
    """``only_frames``: draw only these of the clip's 10·fps frames (``frames``, ``object_masks`` and ``touched`` then
    hold just those, in that order), pixel for pixel as a full render draws them."""
    check_render_options(fps, size)
    background = _background(library.background(spec.background), spec.crop, size)
    visible = [i for i, obj in enumerate(spec.objects) if obj.image is not None]
    num_frames = fps * DURATION_SECONDS
    indices = range(num_frames) if only_frames is None else list(only_frames)
    if any(not 0 <= f < num_frames for f in indices):
        raise DataError(f"only_frames must lie in 0 … {num_frames - 1} at {fps} fps, got {list(indices)}.")
    frames, masks, touched = _render_frames(spec, visible, library, background, num_frames, indices)
    audible = [i for i, obj in enumerate(spec.objects) if obj.sound is not None]
    length = DURATION_SECONDS * SAMPLE_RATE
    tracks = (
        np.stack([_event_track(spec.objects[i], library, length) for i in audible])
        if audible
        else np.zeros((0, length), np.float32)
    )
    ambient = _looped(library.sound(spec.ambient), length, offset=0.0, gap=0) * (SOURCE_RMS * spec.ambient_gain)
    mix = tracks.sum(axis=0) + ambient
    scale = min(1.0, PEAK_LIMIT / max(float(np.abs(mix).max()), 1e-9))
    return RenderedScene(
        frames=frames,
        audio=(mix * scale).astype(np.float32),
        background=background,
        visible=visible,
        object_masks=masks,
        touched=touched,
        audible=audible,
        tracks=(tracks * scale).astype(np.float32),
        ambient=(ambient * scale).astype(np.float32),
    )


def _background(image: np.ndarray, crop: tuple[float, float, float], size: int) -> np.ndarray:
    side_fraction, left, top = crop
    height, width = image.shape[:2]
    side = max(1, round(min(height, width) * side_fraction))
    x0, y0 = round((width - side) * left), round((height - side) * top)
    return cv2.resize(image[y0 : y0 + side, x0 : x0 + side], (size, size), interpolation=cv2.INTER_AREA)


def _sprite(obj: SceneObject, library: SourceLibrary, size: int) -> np.ndarray:
    """The object's premultiplied RGBA cut-out at its size in the frame."""
    rgba = library.cutout(obj.image)
    scale = obj.extent * size / max(rgba.shape[:2])
    shape = (max(1, round(rgba.shape[1] * scale)), max(1, round(rgba.shape[0] * scale)))
    sprite = cv2.resize(rgba, shape, interpolation=cv2.INTER_AREA)
    return sprite[:, ::-1] if obj.flip else sprite


def _render_frames(
    spec: SceneSpec,
    visible: list[int],
    library: SourceLibrary,
    background: np.ndarray,
    num_frames: int,
    indices: Sequence[int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames ``indices`` of a clip of ``num_frames``: each object's position depends only on its frame's index."""
    size = background.shape[0]
    # Lower objects stand nearer the camera, so they are drawn last and may cover higher ones.
    draw_order = sorted(range(len(visible)), key=lambda k: spec.objects[visible[k]].start_xy[1])
    sprites = [_sprite(spec.objects[i], library, size) for i in visible]
    frames = np.empty((len(indices), size, size, 3), np.uint8)
    masks = np.zeros((len(visible), len(indices), size, size), bool)
    touched = np.zeros((len(indices), size, size), bool)
    for f, index in enumerate(indices):
        progress = index / max(num_frames - 1, 1)
        canvas = background.astype(np.float32) / 255.0
        for k in draw_order:
            obj, sprite = spec.objects[visible[k]], sprites[k]
            centre = [(1 - progress) * a + progress * b for a, b in zip(obj.start_xy, obj.end_xy)]
            top = round(centre[1] * size - sprite.shape[0] / 2)
            left = round(centre[0] * size - sprite.shape[1] / 2)
            frame_rows, frame_cols, sprite_rows, sprite_cols = _overlap(top, left, sprite.shape[:2], size)
            patch = sprite[sprite_rows, sprite_cols]
            alpha = patch[..., 3:]
            canvas[frame_rows, frame_cols] = canvas[frame_rows, frame_cols] * (1 - alpha) + patch[..., :3]
            covered = alpha[..., 0] >= MASK_ALPHA
            masks[:, f, frame_rows, frame_cols] &= ~covered  # occlusion of the objects drawn before
            masks[k, f, frame_rows, frame_cols] = covered
            touched[f, frame_rows, frame_cols] |= alpha[..., 0] > 0
        frames[f] = np.clip(np.rint(canvas * 255.0), 0, 255).astype(np.uint8)
    return frames, masks, touched


def _overlap(top: int, left: int, shape: tuple[int, int], size: int) -> tuple[slice, slice, slice, slice]:
    """Slices of the frame and of a sprite placed at (top, left) that overlap; empty when it is off-frame."""

    def axis(start: int, length: int) -> tuple[slice, slice]:
        lo, hi = max(start, 0), min(start + length, size)
        hi = max(hi, lo)
        return slice(lo, hi), slice(lo - start, hi - start)

    frame_rows, sprite_rows = axis(top, shape[0])
    frame_cols, sprite_cols = axis(left, shape[1])
    return frame_rows, frame_cols, sprite_rows, sprite_cols


def _faded(sound: np.ndarray, fade: int) -> np.ndarray:
    fade = min(fade, sound.size // 2)
    if fade == 0:
        return sound
    ramp = np.linspace(0.0, 1.0, fade, endpoint=False, dtype=np.float32)
    out = sound.copy()
    out[:fade] *= ramp
    out[-fade:] *= ramp[::-1]
    return out


def _looped(sound: np.ndarray, length: int, offset: float, gap: int) -> np.ndarray:
    """``length`` samples of ``sound`` repeated with ``gap`` silent samples between, starting ``offset`` into it."""
    unit = np.concatenate([_faded(sound, _REPEAT_FADE), np.zeros(gap, np.float32)])
    start = int(offset * sound.size) % unit.size
    repeats = -(-(length + start) // unit.size)
    return np.tile(unit, repeats)[start : start + length]


def _event_track(obj: SceneObject, library: SourceLibrary, length: int) -> np.ndarray:
    start, end = (second * SAMPLE_RATE for second in obj.interval)
    sound = _looped(library.sound(obj.sound), end - start, obj.sound_offset, round(obj.gap_seconds * SAMPLE_RATE))
    track = np.zeros(length, np.float32)
    track[start:end] = _faded(sound, _EDGE_FADE) * (SOURCE_RMS * obj.gain)
    return track
