"""Integrated Gradients (Sundararajan et al. 2017), by Captum, from an all-zero baseline."""

from __future__ import annotations

from typing import Callable

from torch import Tensor

from explorer.explain.methods.base import AttributionMethod


class IntegratedGradients(AttributionMethod):
    """(x − 0) · ∫₀¹ ∂y/∂x(α·x) dα for y the target logit, over the inputs the model reads. The baseline is all
    zeros (no audio, no visual features), so the attributions sum to y(x) − y(0) (completeness); ``steps`` is the
    number of Gauss-Legendre points of the integral."""

    name = "integrated_gradients"
    label = "Integrated Gradients (zero baseline)"

    def __init__(self, steps: int = 50):
        self.steps = steps

    def _attribute(self, logits: Callable[..., Tensor], inputs: tuple[Tensor, ...], target: int) -> tuple[Tensor, ...]:
        from captum.attr import IntegratedGradients as CaptumIntegratedGradients  # lazily: see the package docstring

        baselines = tuple(0.0 for _ in inputs)

        return CaptumIntegratedGradients(logits).attribute(inputs, baselines, target=target, n_steps=self.steps)
