"""Explanation methods: the model's own attention next to post-hoc attributions, all giving the maps an Explanation
holds, so that the views and the scores (:mod:`explorer.explain.methods.metrics`) take any of them.

A method turns (model, audio 1×T×Da, visual 1×T×H×W×Dv, target class) into :class:`MethodMaps`: ``space`` T×H×W
and ``time`` T, each in [0, 1], or None where the method cannot give that piece. One base class, one small module per
method (as pytorch-grad-cam has them), the post-hoc ones on Captum:

- ``attention``: the model's A^s·A^t (space) and A^t (time), unchanged; unavailable for a model without attention.
- ``integrated_gradients``: Captum's IntegratedGradients from an all-zero baseline.
- ``grad_cam``: Captum's LayerGradCam at the visual features (they are the encoder's conv map); space only.
- ``occlusion``: Captum's FeatureAblation, one group per visual cell and per audio second, set to zero.
- ``gradient_x_input``: Captum's InputXGradient.

Every post-hoc method explains the target logit, ``model(audio, visual).logits[:, target]``, in eval mode, in
float32, with the model's weights out of autograd. Attributions are taken only for the inputs the model reads
(an ignored input's would be zero by construction). The one reduction rule, the same for every attribution method:

- ``space[t, h, w] = Σ_d |visual attribution[t, h, w, d]|``;
- ``time[t] = Σ_m S_m[t] / Σ_t' S_m[t']`` over the modalities m the model reads, with ``S_m[t]`` the sum of
  |attribution| over that second's features of m (audio: its Da values; visual: its H×W×Dv values): each modality
  is first divided by its own total, so neither dominates by its number of features;
- each map is then divided by its maximum over the clip (0 stays 0; an all-zero map stays zero).

``space`` is None when the model ignores the visual features; ``time`` comes from whichever modalities it reads.
Grad-CAM keeps its ReLU'd map (divided by its maximum) as ``space`` and gives no ``time`` map.

Captum is imported when a method first runs, not with this package: it loads matplotlib, which would add seconds to
every ``import explorer.explain`` (the CLI's and the app's start).
"""

from explorer.errors import InvalidInputError
from explorer.explain.methods.attention import Attention
from explorer.explain.methods.base import AttributionMethod, ExplanationMethod, MethodMaps, reduce_attributions
from explorer.explain.methods.grad_cam import GradCAM
from explorer.explain.methods.gradient_x_input import GradientXInput
from explorer.explain.methods.integrated_gradients import IntegratedGradients
from explorer.explain.methods.occlusion import Occlusion

METHODS: dict[str, type[ExplanationMethod]] = {
    method.name: method for method in (Attention, IntegratedGradients, GradCAM, Occlusion, GradientXInput)
}


def list_methods() -> list[str]:
    return list(METHODS)


def create_method(name: str, **options) -> ExplanationMethod:
    """A method by name; ``options`` go to its constructor (``steps`` for IG, ``batch`` for occlusion)."""
    if name not in METHODS:
        raise InvalidInputError(f"unknown explanation method {name!r}; choose one of: {', '.join(METHODS)}.")
    return METHODS[name](**options)


__all__ = [
    "METHODS",
    "Attention",
    "AttributionMethod",
    "ExplanationMethod",
    "GradCAM",
    "GradientXInput",
    "IntegratedGradients",
    "MethodMaps",
    "Occlusion",
    "create_method",
    "list_methods",
    "reduce_attributions",
]
