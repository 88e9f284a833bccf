"""Input checks shared by the metrics and the explanation tests (no model imports, so the metrics load alone)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from explorer.errors import InvalidInputError


def as_numpy(value: Any, name: str) -> np.ndarray:
    """A finite float64 copy of a numpy array, torch tensor or nested list of numbers."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    elif isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except ValueError as error:  # ragged nesting
            raise InvalidInputError(f"{name} must be a rectangular array of numbers ({error})") from None
    elif not isinstance(value, np.ndarray):
        raise InvalidInputError(f"{name} must be a numpy array or a torch tensor, got {type(value).__name__}")
    if value.dtype.kind not in "biuf":
        raise InvalidInputError(f"{name} must hold numbers, got dtype {value.dtype}")
    value = value.astype(np.float64)
    if not np.isfinite(value).all():
        raise InvalidInputError(f"{name} contains NaN or infinite values")
    return value


def check_shape_match(first: np.ndarray, second: np.ndarray, first_name: str, second_name: str) -> None:
    if first.shape != second.shape:
        raise InvalidInputError(
            f"{first_name} has shape {first.shape} but {second_name} has shape {second.shape}; they must match"
        )


def check_binary(values: np.ndarray, name: str) -> None:
    if values.dtype == bool:
        return
    binary = ((values == 0) | (values == 1)).all() if values.dtype.kind in "iu" else np.isin(values, (0.0, 1.0)).all()
    if not binary:
        raise InvalidInputError(f"{name} must hold only 0 and 1 (or False and True)")


def as_mask(value: Any, name: str) -> np.ndarray:
    """A boolean array from a 0/1 mask (bool, integer or float; numpy or torch), without the float64 copy of
    :func:`as_numpy` when it is already bool or integer: object masks are large (T×224×224 per clip)."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    values = value if isinstance(value, np.ndarray) and value.dtype.kind in "biu" else as_numpy(value, name)
    check_binary(values, name)
    return values.astype(bool, copy=False)


def check_unit_range(values: np.ndarray, name: str) -> None:
    if not ((values >= 0.0) & (values <= 1.0)).all():  # NaN fails both comparisons
        raise InvalidInputError(
            f"{name} must lie in [0, 1], got values from {np.min(values):.3g} to {np.max(values):.3g}"
        )
