"""Grad-CAM (Selvaraju et al. 2017), by Captum, at the layer that gives the visual map: the visual input features.

The visual features are the frozen encoder's last conv map, so Grad-CAM at that layer is, per segment t,
ReLU(Σ_c mean_hw(∂y/∂x_tc) · x_tc) for y the target logit.
"""

from __future__ import annotations

from torch import Tensor, nn

from explorer.explain.methods.base import ExplanationMethod, MethodMaps, scaled_to_max
from explorer.models.base import AVModel, from_maps, to_maps
from explorer.models.registry import display_name


class SegmentMaps(nn.Module):
    """The visual features N×T×H×W×C seen as (N·T)×C×H×W: one conv map per segment, the layout in which Captum's
    LayerGradCam averages the gradient over space (dims 2+) and sums over channels (dim 1)."""

    def forward(self, visual: Tensor) -> Tensor:
        return to_maps(visual)


class GradCAM(ExplanationMethod):
    """The ReLU'd Grad-CAM of each segment, divided by its maximum over the clip, as the space map.

    No time map: Grad-CAM weighs channels within a segment, and a per-segment sum of its maps would be a new method,
    not Grad-CAM. A model that ignores the visual features has no map to give.
    """

    name = "grad_cam"
    label = "Grad-CAM (at the visual features)"

    def unavailable(self, model: AVModel) -> str | None:
        if model.uses_visual:
            return None
        return f"Grad-CAM needs a visual map, and {display_name(model)} does not use the visual features."

    def _maps(self, model: AVModel, audio: Tensor, visual: Tensor, target: int) -> MethodMaps:
        from captum.attr import LayerGradCam  # lazily: see the package docstring

        layer = SegmentMaps()
        segments = visual.shape[1]

        def logits(visual: Tensor, audio: Tensor) -> Tensor:
            return model(audio, from_maps(layer(visual), visual.shape[0], segments)).logits

        cam = LayerGradCam(logits, layer).attribute(
            visual, target=target, additional_forward_args=(audio,), relu_attributions=True
        )  # T×1×H×W
        return MethodMaps(space=scaled_to_max(cam[:, 0].detach()), time=None)
