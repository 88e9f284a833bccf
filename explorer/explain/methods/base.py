"""The one interface of an explanation method, the reduction every post-hoc method shares, and the target forward."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import numpy as np
import torch
from torch import Tensor

from explorer.errors import InvalidInputError
from explorer.models.base import AVModel


@dataclass(frozen=True)
class MethodMaps:
    """One clip's explanation by a method: ``space`` T×H×W and ``time`` T, float32 in [0, 1]; None where the method
    cannot give that piece for the model."""

    space: np.ndarray | None
    time: np.ndarray | None


class ExplanationMethod:
    """A method turns (model, audio 1×T×Da, visual 1×T×H×W×Dv, target class) into :class:`MethodMaps`.

    Subclasses set ``name`` and ``label`` and implement :meth:`_maps`; :meth:`unavailable` says in one sentence why
    the method cannot apply to a model (None when it can).
    """

    name: str = "base"
    label: str = "Explanation method"

    def unavailable(self, model: AVModel) -> str | None:
        return None

    def maps(self, model: AVModel, audio: Tensor, visual: Tensor, target: int) -> MethodMaps:
        """The maps of one clip (a batch of one, or unbatched T×Da and T×H×W×Dv features) for class ``target``."""
        reason = self.unavailable(model)
        if reason is not None:
            raise InvalidInputError(reason)
        audio, visual = clip_inputs(model, audio, visual)
        with explaining(model):
            return self._maps(model, audio, visual, checked_target(model, target))

    def _maps(self, model: AVModel, audio: Tensor, visual: Tensor, target: int) -> MethodMaps:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


class AttributionMethod(ExplanationMethod):
    """A post-hoc method: Captum attributions of the target logit to the input features the model reads, reduced to
    maps by :func:`reduce_attributions` (the package's one rule)."""

    def attributions(self, model: AVModel, audio: Tensor, visual: Tensor, target: int) -> tuple[Tensor | None, ...]:
        """Raw attributions shaped like ``audio`` and ``visual`` (a batch of one); None for an input the model
        ignores (its attribution would be zero by construction)."""
        audio, visual = clip_inputs(model, audio, visual)
        names, inputs, logits = target_forward(model, audio, visual)
        with explaining(model):
            attributed = self._attribute(logits, inputs, checked_target(model, target))
        found = {name: value.detach().float().cpu() for name, value in zip(names, attributed)}
        return found.get("audio"), found.get("visual")

    def _attribute(self, logits: Callable[..., Tensor], inputs: tuple[Tensor, ...], target: int) -> tuple[Tensor, ...]:
        raise NotImplementedError

    def _maps(self, model: AVModel, audio: Tensor, visual: Tensor, target: int) -> MethodMaps:
        return reduce_attributions(*self.attributions(model, audio, visual, target))


# -- the shared pieces ---------------------------------------------------------------------------------------------
def clip_inputs(model: AVModel, audio: Tensor, visual: Tensor) -> tuple[Tensor, Tensor]:
    """One clip's features as a float32 batch of one on the model's device, checked against the model."""
    if not isinstance(audio, Tensor) or not isinstance(visual, Tensor):
        raise InvalidInputError(
            f"audio and visual features must be torch tensors, got {type(audio).__name__} and {type(visual).__name__}"
        )
    if audio.dim() == 2 and visual.dim() == 4:  # one clip without its batch axis, as an encoder returns it
        audio, visual = audio[None], visual[None]
    if audio.dim() != 3 or audio.shape[0] != 1 or visual.dim() != 5 or visual.shape[0] != 1:
        raise InvalidInputError(
            f"a method explains one clip: audio 1×T×Da and visual 1×T×H×W×Dv, got {tuple(audio.shape)} and "
            f"{tuple(visual.shape)}"
        )
    device = next(model.parameters()).device
    audio, visual = audio.detach().to(device, torch.float32), visual.detach().to(device, torch.float32)
    try:
        model.check_inputs(audio, visual)
    except ValueError as error:  # features that do not fit this model are the input's fault
        raise InvalidInputError(str(error)) from None
    return audio, visual


def checked_target(model: AVModel, target: int) -> int:
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= target < model.num_classes:
        raise InvalidInputError(f"target must be a class index in [0, {model.num_classes}), got {target!r}")
    return int(target)


_EXPLAINING = threading.RLock()  # re-entrant: a score explains inside an explanation


@contextmanager
def explaining(model: AVModel) -> Iterator[None]:
    """Eval mode, and the weights kept out of autograd (attributions need gradients of the inputs only, and no
    ``.grad`` is left on the model); both restored after. One method runs at a time: the app shares one model
    between its sessions' threads, and two of them saving and restoring the flags at once would restore them wrongly."""
    with _EXPLAINING:
        yield from _explaining(model)


def _explaining(model: AVModel) -> Iterator[None]:
    was_training = model.training
    flags = [(parameter, parameter.requires_grad) for parameter in model.parameters()]
    model.eval()
    for parameter, _ in flags:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)
        model.train(was_training)


def target_forward(model: AVModel, audio: Tensor, visual: Tensor) -> tuple[list[str], tuple[Tensor, ...], Callable]:
    """The inputs the model reads (``names`` and tensors) and the logits N×K as a function of them. Captum
    differentiates only these: an ignored input is not in the graph (autograd would refuse it) and would only get
    zeros; it is held at its value, repeated to the batch Captum builds."""
    names = [name for name, used in (("audio", model.uses_audio), ("visual", model.uses_visual)) if used]
    fixed = {"audio": audio, "visual": visual}

    def logits(*inputs: Tensor) -> Tensor:
        given = dict(zip(names, inputs))
        batch = inputs[0].shape[0]
        full = {name: given.get(name, value.expand(batch, *value.shape[1:])) for name, value in fixed.items()}
        return model(full["audio"], full["visual"]).logits

    return names, tuple(fixed[name] for name in names), logits


def scaled_to_max(values: Tensor) -> np.ndarray:
    """``values`` (≥ 0) divided by their maximum, as float32 numpy; an all-zero map stays zero."""
    peak = values.max()
    return (values / peak if peak > 0 else values).float().cpu().numpy()


def reduce_attributions(audio: Tensor | None, visual: Tensor | None) -> MethodMaps:
    """The package's reduction rule (see :mod:`explorer.explain.methods`) from raw attributions shaped like the
    inputs (1×T×Da, 1×T×H×W×Dv; None for an input the model ignores)."""
    per_second = []
    space = None
    if visual is not None:
        cells = visual[0].abs().sum(dim=-1)  # T×H×W
        space = scaled_to_max(cells)
        per_second.append(cells.sum(dim=(1, 2)))
    if audio is not None:
        per_second.append(audio[0].abs().sum(dim=-1))  # T
    # Each modality as its share of its own total, so neither dominates by its number of features.
    shares = [values / values.sum() for values in per_second if values.sum() > 0]
    time = sum(shares) if shares else per_second[0]
    return MethodMaps(space=space, time=scaled_to_max(time))
