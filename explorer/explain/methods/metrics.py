"""Scores of a method's maps on a model, small and composable, and :func:`score_method` over a list of clips.

- Pointing, at the field's 224 px convention of :mod:`explorer.explain.pointing` (its functions, reused): the
  spatial hit rate (the space map's peak within 15 px of the object mask), the energy share inside the mask
  (Σ map inside / Σ map, the map upsampled to the mask; less brittle than the peak) and the temporal MAE.
- The paper's perturbation TVD (§4.3), with relevance from the method's own maps instead of the model's attention:
  per clip, the top half of the values a map ranks is relevant, the bottom half irrelevant.
- Deletion: features set to zero in the order the maps rank them, the area under the target probability's curve
  (lower is better: a faithful map destroys the prediction fast), beside the same deletion in random orders.

What a method's maps rank, for both the perturbation and the deletion: audio seconds by the time map (when the
model reads audio), visual cells (t, h, w) by the space map (when it reads the visual features), each over the whole
clip. A piece the method does not give (None) leaves that input untouched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from explorer.checks import as_numpy, check_binary
from explorer.errors import InvalidInputError
from explorer.explain.methods.base import ExplanationMethod, MethodMaps, clip_inputs, explaining
from explorer.explain.perturbation import perturbation_tvd, repeat_batch
from explorer.explain.pointing import POINTING_TOLERANCE_PX, pointing_game, shared_seconds, spatial_pointing_game
from explorer.explain.upsample import upsample_space
from explorer.models.base import AVModel

SIGMA2 = tuple(round(0.1 * step, 1) for step in range(1, 11))  # the paper's Figure 3 axis; σ² = 0 always gives 0
SCORE_KEYS = (
    "spatial_hit_rate",
    "spatial_energy_in_mask",
    "pointing_mae_soft",
    "tvd_relevant",
    "tvd_irrelevant",
    "deletion_auc",
    "deletion_auc_random",
)


@dataclass(frozen=True)
class AnnotatedClip:
    """One clip to score a method on: its features, the class to explain and the human annotations it has."""

    audio: Tensor  # T×Da (or 1×T×Da)
    visual: Tensor  # T×H×W×Dv (or 1×T×H×W×Dv)
    target: int
    time_mask: np.ndarray | None = None  # T in {0, 1}: the seconds of the event
    space_masks: np.ndarray | None = None  # T×H_img×W_img in {0, 1}: the sounding object per segment

    @classmethod
    def of_sample(
        cls, audio, visual, labels, time_mask: np.ndarray | None, space_masks: np.ndarray | None = None
    ) -> "AnnotatedClip":
        """A clip's features (tensors or arrays) with its annotations: the class explained is its first true label
        (the annotated event's), and features and masks are cut to the seconds they share."""
        audio, visual = (
            torch.as_tensor(np.asarray(piece)) if not torch.is_tensor(piece) else piece for piece in (audio, visual)
        )
        audio, visual, time_mask, space_masks = shared_seconds(
            audio, visual, None if time_mask is None else np.asarray(time_mask), space_masks
        )
        return cls(audio, visual, int(np.flatnonzero(np.asarray(labels))[0]), time_mask, space_masks)


# -- pointing -------------------------------------------------------------------------------------------------------
def energy_in_mask(space_maps: Sequence, masks: Sequence) -> float:
    """Mean over segments of Σ map inside the mask / Σ map, each T×H×W map upsampled (bilinear) to its clip's
    T×H_img×W_img masks. Segments with an empty mask, or an all-zero map (it puts its energy nowhere), are not
    scored; nan if none is. A uniform map scores the mask's area share."""
    if len(space_maps) != len(masks):
        raise InvalidInputError(f"{len(space_maps)} space maps but {len(masks)} mask clips; they must match")
    shares = []
    for index, (maps, frames) in enumerate(zip(space_maps, masks)):
        maps, frames = as_numpy(maps, f"space_maps[{index}]"), as_numpy(frames, f"masks[{index}]")
        if maps.ndim != 3 or frames.ndim != 3 or len(maps) != len(frames):
            raise InvalidInputError(
                f"clip {index}: a T×H×W map needs T×H_img×W_img masks, got {maps.shape} and {frames.shape}"
            )
        check_binary(frames, f"masks[{index}]")
        for upsampled, mask in zip(upsample_space(maps, frames.shape[1:]), frames):
            total = upsampled.sum()
            if mask.any() and total > 0:
                shares.append(float((upsampled * mask).sum() / total))
    return float(np.mean(shares)) if shares else math.nan


# -- what the maps rank -----------------------------------------------------------------------------------------------
def ranked_inputs(model: AVModel, maps: MethodMaps) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The values that rank each input's features: audio seconds (T) by the time map, visual cells (T×H×W) by the
    space map; None for an input the model ignores or the maps do not rank."""
    audio = maps.time if model.uses_audio else None
    visual = maps.space if model.uses_visual else None
    return audio, visual


def top_half(values: np.ndarray) -> np.ndarray:
    """Boolean mask of the ⌈n/2⌉ highest of ``values`` (ties in order of position): the relevant half."""
    order = np.argsort(-values.ravel(), kind="stable")
    selected = np.zeros(values.size, dtype=bool)
    selected[order[: (values.size + 1) // 2]] = True
    return selected.reshape(values.shape)


# -- the perturbation test ----------------------------------------------------------------------------------------
def perturbation_tvd_of_maps(
    model: AVModel,
    audio: Tensor,
    visual: Tensor,
    maps: MethodMaps,
    relevant: bool = True,
    sigma2: Sequence[float] = SIGMA2,
    draws: int = 16,
    seed: int = 0,
    normalize: bool = True,
) -> float | None:
    """Mean TVD over ``sigma2`` levels and ``draws`` noises of one clip when N(0, σ²) noise is added to the top half
    (``relevant``) or the bottom half of the features the maps rank, the clean clip's attention held fixed (as the
    paper's test holds it, so every method is scored on the same function). None if the maps rank nothing the model
    reads. It is :func:`explorer.explain.perturbation.perturbation_tvd` with the maps' masks in place of the
    attention's and its ``sampling="fast"`` noise (the same distribution as the exact path's; 4-25× faster on the demo
    models, which makes scoring every method on every model affordable), seeded with ``seed``.
    """
    audio, visual = clip_inputs(model, audio, visual)
    rankings = ranked_inputs(model, maps)
    if all(ranking is None for ranking in rankings):
        return None

    def relevant_mask(features: Tensor, ranking: np.ndarray | None) -> Tensor | None:
        if ranking is None:
            return None
        return torch.from_numpy(top_half(ranking)).to(features.device, features.dtype)[None, ..., None]

    masks = tuple(relevant_mask(features, ranking) for features, ranking in zip((audio, visual), rankings))
    generator = torch.Generator().manual_seed(seed)
    with explaining(model):
        tvd = perturbation_tvd(
            model, (audio, visual), sigma2, draws, relevant, generator, normalize, sampling="fast", masks=masks
        )
    return float(tvd.mean())


# -- deletion -------------------------------------------------------------------------------------------------------
def deletion_curve(
    model: AVModel,
    audio: Tensor,
    visual: Tensor,
    maps: MethodMaps,
    target: int,
    steps: int = 10,
    generator: torch.Generator | None = None,
) -> np.ndarray | None:
    """The target probability (``steps`` + 1 values) as the ranked features are set to zero, the same fraction
    k/steps of each ranked input at step k, in the maps' order (highest first; ties by position) or, given a
    ``generator``, in a random order of the same features. The model runs its plain forward: deletion asks what it
    predicts without that evidence. None if the maps rank nothing the model reads."""
    audio, visual = clip_inputs(model, audio, visual)
    rankings = ranked_inputs(model, maps)
    if all(ranking is None for ranking in rankings):
        return None

    def deleted(features: Tensor, ranking: np.ndarray | None) -> Tensor:
        batch = repeat_batch(features, steps + 1)
        if ranking is None:
            return batch
        size = ranking.size
        order = (
            torch.from_numpy(np.argsort(-ranking.ravel(), kind="stable"))
            if generator is None
            else torch.randperm(size, generator=generator)
        )
        keep = torch.ones(steps + 1, size, dtype=features.dtype)
        for step in range(1, steps + 1):
            keep[step, order[: int(round(step * size / steps))]] = 0
        return batch * keep.view(steps + 1, *ranking.shape, 1).to(features.device)

    with explaining(model), torch.inference_mode():
        probs = model(deleted(audio, rankings[0]), deleted(visual, rankings[1])).probs[:, target]
    return probs.float().cpu().numpy()


def deletion_auc(curve: np.ndarray) -> float:
    """Area under a deletion curve over the deleted fraction 0 … 1 (trapezoids), in [0, 1]."""
    return float((curve[1:] + curve[:-1]).sum() / (2 * (len(curve) - 1)))


# -- everything, over clips -------------------------------------------------------------------------------------------
def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _mean_or_none(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return float(np.mean(present)) if present else None


def score_method(
    model: AVModel,
    method: ExplanationMethod,
    clips: Sequence[AnnotatedClip],
    sigma2: Sequence[float] = SIGMA2,
    draws: int = 16,
    steps: int = 10,
    random_orders: int = 5,
    seed: int = 0,
) -> dict[str, float | None]:
    """Every score of ``method`` on ``model`` over ``clips`` (:data:`SCORE_KEYS`; see :func:`score_maps`), all None
    when the method is unavailable for the model."""
    if method.unavailable(model) is not None or not clips:
        return dict.fromkeys(SCORE_KEYS)
    maps = [method.maps(model, clip.audio, clip.visual, clip.target) for clip in clips]
    return score_maps(model, clips, maps, sigma2, draws, steps, random_orders, seed)


def score_maps(
    model: AVModel,
    clips: Sequence[AnnotatedClip],
    maps: Sequence[MethodMaps],
    sigma2: Sequence[float] = SIGMA2,
    draws: int = 16,
    steps: int = 10,
    random_orders: int = 5,
    seed: int = 0,
) -> dict[str, float | None]:
    """The scores of maps a method already gave for ``clips`` (one per clip), None where one does not apply: a piece
    the method does not give, clips without that annotation.

    Pointing pools segments (hit rate, energy) or clips (MAE) as :mod:`explorer.explain.pointing` does; TVD and
    deletion AUCs are means over clips, the random AUC over ``random_orders`` seeded orders per clip.
    """
    if len(maps) != len(clips):
        raise InvalidInputError(f"{len(maps)} maps for {len(clips)} clips; give one per clip")
    scores: dict[str, float | None] = dict.fromkeys(SCORE_KEYS)
    spatial = [
        (m.space, c.space_masks) for m, c in zip(maps, clips) if m.space is not None and c.space_masks is not None
    ]
    if spatial:
        space_maps, masks = (list(part) for part in zip(*spatial))
        scores["spatial_hit_rate"] = _finite_or_none(spatial_pointing_game(space_maps, masks, POINTING_TOLERANCE_PX))
        scores["spatial_energy_in_mask"] = _finite_or_none(energy_in_mask(space_maps, masks))
    temporal = [(m.time, c.time_mask) for m, c in zip(maps, clips) if m.time is not None and c.time_mask is not None]
    if temporal:
        scores["pointing_mae_soft"] = pointing_game(*(list(part) for part in zip(*temporal)))

    for kind in ("relevant", "irrelevant"):
        scores[f"tvd_{kind}"] = _mean_or_none(
            [
                perturbation_tvd_of_maps(model, c.audio, c.visual, m, kind == "relevant", sigma2, draws, seed + index)
                for index, (m, c) in enumerate(zip(maps, clips))
            ]
        )

    generator = torch.Generator().manual_seed(seed)
    ranked, shuffled = [], []
    for m, c in zip(maps, clips):
        curve = deletion_curve(model, c.audio, c.visual, m, c.target, steps)
        if curve is None:
            continue
        ranked.append(deletion_auc(curve))
        random_curves = [
            deletion_curve(model, c.audio, c.visual, m, c.target, steps, generator) for _ in range(random_orders)
        ]
        shuffled.append(float(np.mean([deletion_auc(random_curve) for random_curve in random_curves])))
    scores["deletion_auc"] = _mean_or_none(ranked)
    scores["deletion_auc_random"] = _mean_or_none(shuffled)
    return scores
