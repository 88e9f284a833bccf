"""Pointing games: does the attention agree with human annotations? (paper §4.3)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from explorer.checks import as_mask, as_numpy, check_binary, check_unit_range
from explorer.errors import InvalidInputError
from explorer.explain.upsample import upsample_space


def shared_seconds(*pieces):
    """Each per-second piece (array or tensor, seconds first; None stays None) cut to the seconds they all have: an
    annotation covers its dataset's clip length (10 s in AVE), which a shorter or longer video does not have."""
    seconds = min(len(piece) for piece in pieces if piece is not None)
    return tuple(None if piece is None else piece[:seconds] for piece in pieces)


def _per_clip(values: Any, name: str, clip_ndim: int) -> list[np.ndarray]:
    """Split an N×… array, or take a list of clips (lengths may differ), into per-clip arrays."""
    if isinstance(values, (list, tuple)):
        clips = [as_numpy(clip, f"{name}[{index}]") for index, clip in enumerate(values)]
    else:
        stacked = as_numpy(values, name)
        if stacked.ndim != clip_ndim + 1:
            raise InvalidInputError(
                f"{name} must have {clip_ndim + 1} dimensions (clips first), got shape {stacked.shape}"
            )
        clips = list(stacked)
    if not clips:
        raise InvalidInputError(f"{name} holds no clips")
    for index, clip in enumerate(clips):
        if clip.ndim != clip_ndim or 0 in clip.shape:
            raise InvalidInputError(f"{name}[{index}] must be a non-empty {clip_ndim}-D array, got shape {clip.shape}")
    return clips


def _shape_of(values: Any) -> str:
    if isinstance(values, (np.ndarray, torch.Tensor)):
        return str(tuple(values.shape))
    return f"a list of {len(values)} clips"


def pointing_game(time_attention: Any, masks: Any, binary: bool = False) -> float:
    """Mean absolute error between time attention (N×T) and human temporal masks (N×T in {0, 1}).

    Lower is better. Per clip the error is averaged over its T segments, then over
    clips, so clips of any length count equally; both inputs may be lists of 1-D
    clips of different lengths. ``binary`` thresholds the attention at 0.5 first.
    """
    attention_clips = _per_clip(time_attention, "time_attention", 1)
    mask_clips = _per_clip(masks, "masks", 1)
    mismatch = len(attention_clips) != len(mask_clips) or any(
        attention.shape != mask.shape for attention, mask in zip(attention_clips, mask_clips)
    )
    if mismatch:
        raise InvalidInputError(
            f"time_attention {_shape_of(time_attention)} and masks {_shape_of(masks)} must have the same shape"
        )
    errors = []
    for index, (attention, mask) in enumerate(zip(attention_clips, mask_clips)):
        check_unit_range(attention, f"time_attention[{index}]")
        check_binary(mask, f"masks[{index}]")
        if binary:
            attention = (attention >= 0.5).astype(np.float64)
        errors.append(np.abs(attention - mask).mean())
    return float(np.mean(errors))


POINTING_TOLERANCE_PX = 15  # the field's pointing game (Zhang et al. 2016): a hit within 15 px of the object ...
POINTING_REFERENCE_SIZE = 224  # ... at 224 px; masks of another size scale the tolerance with their longer side


def tolerant_mask(mask: np.ndarray, tolerance_px: float = POINTING_TOLERANCE_PX) -> np.ndarray:
    """``mask`` grown by a disc of ``tolerance_px`` (at 224 px): the points within that distance of the object."""
    radius = int(round(tolerance_px * max(mask.shape) / POINTING_REFERENCE_SIZE))
    if radius < 1:
        return mask.astype(bool)
    import cv2

    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), disc).astype(bool)


@dataclass(frozen=True)
class SpatialPointingDetails:
    """Counts of the spatial pointing game; ``skipped`` segments had an empty or missing mask."""

    hits: int
    scored: int
    skipped: int

    @property
    def hit_rate(self) -> float:
        """Fraction of scored segments hit, in [0, 1]; nan if none was scored."""
        return self.hits / self.scored if self.scored else float("nan")


def _frame_masks(masks: Any) -> list[list[np.ndarray | None]]:
    """Boolean masks per clip, per segment: from an N×T×Hi×Wi array or lists of T×Hi×Wi arrays / per-frame lists."""
    if isinstance(masks, (np.ndarray, torch.Tensor)):
        if masks.ndim != 4 or 0 in masks.shape:
            raise InvalidInputError(
                f"masks must be a non-empty array with 4 dimensions (clips first), got shape {tuple(masks.shape)}"
            )
        return [list(clip) for clip in as_mask(masks, "masks")]
    if not isinstance(masks, (list, tuple)):
        raise InvalidInputError(f"masks must be an N×T×H×W array or a list of clips, got {type(masks).__name__}")
    if not masks:
        raise InvalidInputError("masks holds no clips")
    result = []
    for index, clip in enumerate(masks):
        if isinstance(clip, (list, tuple)):
            frames = [None if frame is None else as_mask(frame, f"masks[{index}] frame") for frame in clip]
        else:
            frames = as_mask(clip, f"masks[{index}]")
            if frames.ndim != 3:
                raise InvalidInputError(
                    f"masks[{index}] must be T×H×W or a list of H×W frames, got shape {frames.shape}"
                )
        result.append(list(frames))
    return result


def _upsampled_peaks(attention: np.ndarray, frames: list[np.ndarray | None]) -> list[tuple[int, int] | None]:
    """The (row, column) of each segment's attention peak at its mask's size (bilinear, the first on ties); None for a
    segment without a mask. One resize for the whole clip when its masks share a size."""
    shapes = {frame.shape for frame in frames if frame is not None}
    if len(shapes) == 1:
        stack = upsample_space(attention, next(iter(shapes)))
        maps = [None if frame is None else stack[segment] for segment, frame in enumerate(frames)]
    else:
        maps = [None if frame is None else upsample_space(map_, frame.shape) for map_, frame in zip(attention, frames)]
    return [None if map_ is None else np.unravel_index(np.argmax(map_), map_.shape) for map_ in maps]


def spatial_pointing_details(space_attention: Any, masks: Any, tolerance_px: float = 0) -> SpatialPointingDetails:
    """Score each (clip, segment) with a non-empty mask: upsample its H×W attention to the mask
    (bilinear), take the argmax (first one on ties) and count a hit if it lies inside the mask, or within
    ``tolerance_px`` of it (at 224 px; :data:`POINTING_TOLERANCE_PX` is the field's convention)."""
    attention_clips = _per_clip(space_attention, "space_attention", 3)
    mask_clips = _frame_masks(masks)
    if len(mask_clips) != len(attention_clips):
        raise InvalidInputError(
            f"space_attention {_shape_of(space_attention)} and masks {_shape_of(masks)} disagree on the number of clips"
        )
    hits = scored = skipped = 0
    for index, (attention, frames) in enumerate(zip(attention_clips, mask_clips)):
        if len(frames) != len(attention):
            raise InvalidInputError(
                f"clip {index}: space attention has {len(attention)} segments but its masks have {len(frames)}"
            )
        for segment, mask in enumerate(frames):
            if mask is not None and mask.ndim != 2:
                raise InvalidInputError(f"clip {index} segment {segment}: a mask must be H×W, got shape {mask.shape}")
        scored_frames = [None if mask is None or not mask.any() else mask for mask in frames]
        skipped += sum(frame is None for frame in scored_frames)
        for mask, peak in zip(scored_frames, _upsampled_peaks(attention, scored_frames)):
            if mask is not None:
                target = tolerant_mask(mask, tolerance_px) if tolerance_px > 0 else mask
                hits += int(target[peak])
                scored += 1
    return SpatialPointingDetails(hits=hits, scored=scored, skipped=skipped)


def spatial_pointing_game(space_attention: Any, masks: Any, tolerance_px: float = 0) -> float:
    """Hit rate in [0, 1] of the space attention's peak against ground-truth masks; nan if nothing to score."""
    return spatial_pointing_details(space_attention, masks, tolerance_px).hit_rate


def trivial_spatial_hits(masks: Any, tolerance_px: float = 0) -> dict[str, float]:
    """The references every spatial score needs beside it: the hit rate of always pointing at the frame's centre, and
    the expected hit rate of a uniformly random point (the mask's area share), over the segments with a mask."""
    centre_hits, area_shares = [], []
    for frames in _frame_masks(masks):
        for mask in frames:
            if mask is None or not mask.any():
                continue
            target = tolerant_mask(mask, tolerance_px) if tolerance_px > 0 else mask.astype(bool)
            centre_hits.append(target[(mask.shape[0] - 1) // 2, (mask.shape[1] - 1) // 2])
            area_shares.append(target.mean())
    if not centre_hits:
        return {"centre": float("nan"), "random": float("nan")}
    return {"centre": float(np.mean(centre_hits)), "random": float(np.mean(area_shares))}
