"""Bring attention to the resolution of what it is drawn on: frames and waveforms."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from explorer.checks import as_numpy
from explorer.errors import InvalidInputError


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InvalidInputError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def upsample_space(attention: Any, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of an H×W or T×H×W attention map to ``size=(h, w)`` (align_corners=False).

    Bilinear weights are convex, so values in [0, 1] stay in [0, 1].
    """
    maps = as_numpy(attention, "attention")
    if maps.ndim not in (2, 3) or 0 in maps.shape:
        raise InvalidInputError(f"space attention must be H×W or T×H×W, got shape {maps.shape}")
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise InvalidInputError(f"size must be (height, width), got {size!r}")
    height, width = (_check_count(side, "each side of size") for side in size)
    stack = torch.from_numpy(maps.astype(np.float32)).reshape(-1, 1, *maps.shape[-2:])
    resized = F.interpolate(stack, size=(height, width), mode="bilinear", align_corners=False)
    return resized.reshape(*maps.shape[:-2], height, width).numpy()


def upsample_time(attention: Any, num_samples: int, smooth: bool = False) -> np.ndarray:
    """Stretch T per-segment values over ``num_samples`` samples (e.g. a waveform).

    By default each segment's value is held over its share of the samples; with
    ``smooth`` it is interpolated linearly between segment centres.
    """
    values = as_numpy(attention, "time attention")
    if values.ndim != 1 or values.size == 0:
        raise InvalidInputError(f"time attention must be a non-empty 1-D array (T,), got shape {values.shape}")
    num_samples = _check_count(num_samples, "num_samples")
    segments = len(values)
    position = (np.arange(num_samples) + 0.5) * segments / num_samples  # sample centre, in segments
    if smooth:
        stretched = np.interp(position - 0.5, np.arange(segments), values)
    else:
        stretched = values[np.minimum(position.astype(np.int64), segments - 1)]
    return stretched.astype(np.float32)
