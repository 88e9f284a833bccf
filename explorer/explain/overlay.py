"""Heat-map overlays, following pytorch-grad-cam's ``show_cam_on_image``."""

from __future__ import annotations

import cv2
import numpy as np

from explorer.checks import check_unit_range
from explorer.errors import InvalidInputError

COLORMAPS: dict[str, int] = {
    "jet": cv2.COLORMAP_JET,
    "viridis": cv2.COLORMAP_VIRIDIS,
    "inferno": cv2.COLORMAP_INFERNO,
    "magma": cv2.COLORMAP_MAGMA,
    "turbo": cv2.COLORMAP_TURBO,
    "hot": cv2.COLORMAP_HOT,
}


def overlay_on_image(
    rgb_float01: np.ndarray, mask: np.ndarray, colormap: int = cv2.COLORMAP_JET, image_weight: float = 0.5
) -> np.ndarray:
    """Blend a colour-mapped H×W mask in [0, 1] over an H×W×3 float RGB image in [0, 1].

    As grad-cam does, the blend is rescaled so its brightest channel is 255.
    Returns H×W×3 uint8 RGB.
    """
    for name, array in (("image", rgb_float01), ("mask", mask)):
        if not isinstance(array, np.ndarray) or array.dtype.kind != "f":
            kind = f"{array.dtype} array" if isinstance(array, np.ndarray) else type(array).__name__
            raise InvalidInputError(f"the {name} must be a float numpy array in [0, 1], got a {kind}")
    if rgb_float01.ndim != 3 or rgb_float01.shape[2] != 3:
        raise InvalidInputError(f"the image must be H×W×3 RGB, got shape {rgb_float01.shape}")
    if mask.shape != rgb_float01.shape[:2]:
        raise InvalidInputError(
            f"the mask must be H×W like the image {rgb_float01.shape[:2]}, got {mask.shape}; upsample it first"
        )
    check_unit_range(rgb_float01, "the image")
    check_unit_range(mask, "the mask")
    if not 0.0 <= image_weight <= 1.0:
        raise InvalidInputError(f"image_weight must lie in [0, 1], got {image_weight}")
    heatmap = cv2.applyColorMap(np.uint8(255 * mask), colormap)
    heatmap = cv2.cvtColor(heatmap, cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    blend = (1 - image_weight) * heatmap + image_weight * rgb_float01.astype(np.float32)
    blend /= max(float(blend.max()), np.finfo(np.float32).eps)  # an all-black blend stays black
    return np.uint8(255 * blend)
