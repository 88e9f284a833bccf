"""Explanation tests of the paper (§4.3) and the helpers that draw attention on media."""

from explorer.errors import InvalidInputError
from explorer.explain.clip import (
    checkpoint_encoder,
    encode_clip,
    explain_clip,
    explain_features,
    reads_released_features,
)
from explorer.explain.overlay import COLORMAPS, overlay_on_image
from explorer.explain.perturbation import perturbation_curves, perturbation_test, perturbation_tvd
from explorer.explain.pointing import (
    SpatialPointingDetails,
    pointing_game,
    spatial_pointing_details,
    spatial_pointing_game,
)
from explorer.explain.upsample import upsample_space, upsample_time

__all__ = [
    "checkpoint_encoder",
    "encode_clip",
    "explain_clip",
    "explain_features",
    "reads_released_features",
    "COLORMAPS",
    "InvalidInputError",
    "SpatialPointingDetails",
    "overlay_on_image",
    "perturbation_curves",
    "perturbation_test",
    "perturbation_tvd",
    "pointing_game",
    "spatial_pointing_details",
    "spatial_pointing_game",
    "upsample_space",
    "upsample_time",
]

# Explanation methods (attention and post-hoc attributions) and the scores of their maps.
from explorer.explain.methods import METHODS, ExplanationMethod, MethodMaps, create_method, list_methods  # noqa: E402

__all__ += ["METHODS", "ExplanationMethod", "MethodMaps", "create_method", "list_methods"]
