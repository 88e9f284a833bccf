"""The model's own attention: A^s·A^t as the space map and A^t as the time map, where the model has them."""

from __future__ import annotations

import torch
from torch import Tensor

from explorer.errors import InvalidInputError
from explorer.explain.methods.base import ExplanationMethod, MethodMaps
from explorer.models.base import AVModel
from explorer.models.registry import display_name, model_spec

ATTENTION_PIECES = frozenset({"space_attention", "time_attention"})


class Attention(ExplanationMethod):
    """The attention the model computes in its forward, unchanged (it is already in [0, 1], and rescaling it would
    change the numbers the model pools with). It is class-agnostic, so ``target`` is not used. A model without
    attention gets no map: a post-hoc map in its place would be another method's."""

    name = "attention"
    label = "Attention (the model's own A^s·A^t and A^t)"

    def unavailable(self, model: AVModel) -> str | None:
        try:
            pieces = model_spec(model.name).explains
        except ValueError:  # a model outside the registry: its forward says what it has (see _maps)
            return None
        if pieces & ATTENTION_PIECES:
            return None
        return f"{display_name(model)} has no attention of its own: it returns neither space nor time attention."

    def _maps(self, model: AVModel, audio: Tensor, visual: Tensor, target: int) -> MethodMaps:
        with torch.no_grad():
            result = model(audio, visual)
        space, time = result.space_time_attention, result.time_attention
        if space is None and time is None:
            raise InvalidInputError(f"{display_name(model)} returned neither space nor time attention.")
        return MethodMaps(
            space=None if space is None else space[0].float().cpu().numpy(),
            time=None if time is None else time[0].float().cpu().numpy(),
        )
