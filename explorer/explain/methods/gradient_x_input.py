"""Gradient × input (Shrikumar et al. 2016), by Captum."""

from __future__ import annotations

from typing import Callable

from torch import Tensor

from explorer.explain.methods.base import AttributionMethod


class GradientXInput(AttributionMethod):
    """x · ∂y/∂x for y the target logit: one backward pass, exact for a model linear in its inputs."""

    name = "gradient_x_input"
    label = "Gradient × input"

    def _attribute(self, logits: Callable[..., Tensor], inputs: tuple[Tensor, ...], target: int) -> tuple[Tensor, ...]:
        from captum.attr import InputXGradient  # lazily: see the package docstring

        leaves = tuple(features.detach().requires_grad_() for features in inputs)  # Captum warns on others

        return InputXGradient(logits).attribute(leaves, target=target)
