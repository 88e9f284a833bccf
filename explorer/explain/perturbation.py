"""Perturbation tests (paper §4.3, supplementary Algorithm B), batched.

Gaussian noise η ~ N(0, σ²) is added to the features the model's attention rates
relevant (≥ 0.5) or irrelevant (< 0.5), the attention of the clean clip is held
fixed, and the change of the prediction is measured as the total variation
distance TVD = ½ Σ_k |p_k − p'_k|.

The models are multi-label (K sigmoids), so by default (``normalize=True``) each
probability vector is divided by its sum before the TVD, making it the distance
between two distributions as in the paper; ``normalize=False`` uses the raw
sigmoids.

Noise, ``sampling="exact"`` (the default): draw p is a standard-normal tensor per
input (audio, then visual, for p = 1…draws, from ``generator``), scaled by σ for
every level. Sharing the draws across levels (common random numbers) keeps the
curve over σ² smooth; it does not change the expected TVD at any level. A seed
gives exactly the TVDs of the literal loop of Algorithm B.

``sampling="fast"`` draws the same distribution with less work, for the paper's
sizes (7×7×512 or 7×7×2048 visual features): only the entries the mask selects
get a normal number (the others are 0 anyway), one stream per clip (seeded from
``generator`` in clip order, so ``workers`` threads give the same result), and a
model may draw the noise after its first linear layer directly: W·η for η ~ N(0, I)
at one position is N(0, W·Wᵀ), which L·ξ with L·Lᵀ = W·Wᵀ (Cholesky) and
ξ ~ N(0, I) of the layer's output size draws with 128 instead of 512 or 2048
normals per position (:class:`MaskedNoise`). The TVDs agree with the exact path's
in distribution, not draw for draw (tests/test_explain.py checks the means within
3 standard errors).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, Iterator

import numpy as np
import torch
from torch import Tensor

from explorer.errors import InvalidInputError
from explorer.explain.masked_noise import MaskedNoise
from explorer.models.base import AVModel, Explanation

RELEVANCE_THRESHOLD = 0.5
SAMPLINGS = ("exact", "fast")


def _check_batch(batch: Any) -> tuple[Tensor, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise InvalidInputError("batch must be a pair (audio N×T×Da, visual N×T×H×W×Dv) of tensors")
    audio, visual = batch
    if not all(isinstance(part, Tensor) and part.is_floating_point() for part in batch):
        raise InvalidInputError(
            f"batch must hold two float tensors, got {type(audio).__name__} and {type(visual).__name__}"
        )
    if audio.dim() != 3 or visual.dim() != 5 or audio.shape[:2] != visual.shape[:2] or audio.shape[0] == 0:
        raise InvalidInputError(
            "batch must be audio N×T×Da and visual N×T×H×W×Dv with N ≥ 1, "
            f"got {tuple(audio.shape)} and {tuple(visual.shape)}"
        )
    if not (torch.isfinite(audio).all() and torch.isfinite(visual).all()):
        raise InvalidInputError("batch features contain NaN or infinite values")
    return audio.float(), visual.float()


def _check_levels(sigma2_levels: Any) -> list[float]:
    try:
        levels = [float(level) for level in sigma2_levels]
    except (TypeError, ValueError):
        raise InvalidInputError(f"sigma2_levels must be a list of numbers, got {sigma2_levels!r}") from None
    if not levels or not all(0.0 <= level < math.inf for level in levels):
        raise InvalidInputError(f"sigma2_levels must be a non-empty list of finite variances ≥ 0, got {levels}")
    return levels


@contextmanager
def _evaluating(model: AVModel) -> Iterator[None]:
    """Eval mode (no dropout) and no autograd for the duration, restoring the model's mode after."""
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        model.train(was_training)


def perturbation_masks(model: AVModel, clean: Explanation, relevant: bool) -> tuple[Tensor | None, Tensor | None]:
    """1[A ≥ 0.5] (relevant) or 1[A < 0.5] per input feature, shaped to broadcast over channels."""
    audio_relevance, visual_relevance = model.relevance(clean)
    if audio_relevance is None and visual_relevance is None:
        raise InvalidInputError(
            f"model {model.name!r} has no attention to test: it rates neither audio nor visual features"
        )

    def mask(relevance: Tensor | None) -> Tensor | None:
        if relevance is None:
            return None
        selected = relevance >= RELEVANCE_THRESHOLD if relevant else relevance < RELEVANCE_THRESHOLD
        return selected.float().unsqueeze(-1)

    return mask(audio_relevance), mask(visual_relevance)


Masks = tuple[Tensor | None, Tensor | None]  # audio N×T×1, visual N×T×H×W×1 in {0, 1}; None: not perturbed


def _chosen(relevant_masks: Masks, relevant: bool) -> Masks:
    """The given relevant masks, or their complements for the irrelevant features."""
    return tuple(None if mask is None else (mask if relevant else 1 - mask) for mask in relevant_masks)


def distribution(probs: Tensor, normalize: bool) -> Tensor:
    """The vector the TVD compares: the K probabilities, divided by their sum if ``normalize``."""
    return probs / probs.sum(dim=-1, keepdim=True) if normalize else probs


def total_variation(first: Tensor, second: Tensor) -> Tensor:
    return 0.5 * (first - second).abs().sum(dim=-1)


def _held_attention(clean: Explanation, count: int) -> Explanation:
    """The clean clip's attention, repeated like :func:`repeat_batch`: all that ``attention=`` reads. CAM, CAV and
    auxiliary logits are left out, so they are not copied for every draw."""

    def repeat(value: Tensor | None) -> Tensor | None:
        return None if value is None else repeat_batch(value, count)

    return Explanation(
        repeat_batch(clean.logits, count),
        repeat_batch(clean.probs, count),
        repeat(clean.space_attention),
        repeat(clean.time_attention),
    )


def _standard_noise(inputs: list[Tensor | None], count: int, generator: torch.Generator | None) -> list[Tensor | None]:
    """``count`` draws of N(0, 1) noise per input (None: not perturbed), in the contract's order:
    draw by draw, each input in turn, exactly as ``torch.randn(input.shape)`` calls would.
    Drawn on the CPU, so a seed gives the same noise whatever device the model runs on."""
    noises = [None if like is None else torch.empty((count, *like.shape)) for like in inputs]
    for draw in range(count):
        for noise in noises:
            if noise is not None:
                noise[draw].normal_(generator=generator)
    # Drawn on the CPU (where ``generator`` lives), then moved next to the features.
    return [None if noise is None else noise.to(like.device) for noise, like in zip(noises, inputs)]


def repeat_batch(features: Tensor, count: int) -> Tensor:
    """``count`` copies of N×… ``features`` along the batch, draw-major: copy c of clip i sits at c·N + i."""
    return features.repeat(count, *[1] * (features.dim() - 1))


def _masked(noise: Tensor | None, mask: Tensor | None) -> Tensor | None:
    """draws×N×… noise times the N×… mask, flattened draw-major like :func:`repeat_batch`; None: not perturbed."""
    return None if noise is None else (noise * mask).flatten(0, 1)


def _clip_attention(clean: Explanation, clip: int) -> Explanation:
    """Clip ``clip``'s attention as one-clip :func:`_held_attention`."""

    def pick(value: Tensor | None) -> Tensor | None:
        return None if value is None else value[clip : clip + 1]

    return Explanation(pick(clean.logits), pick(clean.probs), pick(clean.space_attention), pick(clean.time_attention))


def _check_call(
    model: AVModel, batch: Any, sigma2_levels: Any, draws: Any, generator: Any, sampling: Any, workers: Any
) -> tuple[Tensor, Tensor, list[float]]:
    audio, visual = _check_batch(batch)
    try:
        model.check_inputs(audio, visual)
    except ValueError as error:  # features that do not fit this model are the input's fault
        raise InvalidInputError(str(error)) from None
    levels = _check_levels(sigma2_levels)
    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise InvalidInputError(f"draws must be a positive integer, got {draws!r}")
    if generator is not None and (not isinstance(generator, torch.Generator) or generator.device.type != "cpu"):
        raise InvalidInputError("generator must be a CPU torch.Generator (the noise is drawn on the CPU)")
    if sampling not in SAMPLINGS:
        raise InvalidInputError(f"sampling must be one of {', '.join(SAMPLINGS)}, got {sampling!r}")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise InvalidInputError(f"workers must be a positive integer, got {workers!r}")
    return audio, visual, levels


def _kind_tvd(
    model: AVModel,
    audio: Tensor,
    visual: Tensor,
    clean: Explanation,
    levels: list[float],
    draws: int,
    relevant: bool,
    generator: torch.Generator | None,
    normalize: bool,
    chunk_size: int,
    sampling: str,
    workers: int,
    masks: Masks | None = None,
) -> Tensor:
    """levels × draws × N TVDs of one kind, the model in eval mode under inference mode; ``masks`` (the relevant
    ones) replace the attention's."""
    clip_count = audio.shape[0]
    tvd = torch.zeros(len(levels), draws, clip_count)
    noisy_levels = [index for index, level in enumerate(levels) if level > 0]
    audio_mask, visual_mask = perturbation_masks(model, clean, relevant) if masks is None else _chosen(masks, relevant)
    if not noisy_levels:
        return tvd
    clean_distribution = distribution(clean.probs, normalize)
    sigmas = torch.tensor([math.sqrt(levels[index]) for index in noisy_levels], device=audio.device)
    if sampling == "fast":
        seeds = torch.randint(1 << 62, (clip_count,), generator=generator).tolist()  # one stream per clip
        factors: dict = {}

        def clip_tvd(clip: int) -> Tensor:
            if not any(mask is not None and bool(mask[clip].any()) for mask in (audio_mask, visual_mask)):
                return torch.zeros(len(noisy_levels), draws)  # nothing to perturb: exactly the clean prediction
            clip_generator = torch.Generator().manual_seed(seeds[clip])

            def noise(mask: Tensor | None, features: Tensor) -> MaskedNoise | None:
                if mask is None:
                    return None
                channels = features.shape[-1]
                return MaskedNoise(mask[clip : clip + 1], channels, draws, clip_generator, chunk_size, factors)

            with torch.inference_mode():  # thread-local: a worker thread needs its own
                logits = model.perturbed_logits(  # levels × draws × K
                    audio[clip : clip + 1],
                    visual[clip : clip + 1],
                    _clip_attention(clean, clip),
                    noise(audio_mask, audio),
                    noise(visual_mask, visual),
                    sigmas,
                )
                return total_variation(distribution(torch.sigmoid(logits), normalize), clean_distribution[clip]).cpu()

        if workers == 1:
            per_clip = [clip_tvd(clip) for clip in range(clip_count)]
        else:
            with ThreadPoolExecutor(workers) as pool:
                per_clip = list(pool.map(clip_tvd, range(clip_count)))
        tvd[noisy_levels] = torch.stack(per_clip, dim=-1)
        return tvd
    draws_per_chunk = max(1, chunk_size // clip_count)
    for first in range(0, draws, draws_per_chunk):
        count = min(draws_per_chunk, draws - first)
        audio_noise, visual_noise = _standard_noise(
            [None if audio_mask is None else audio, None if visual_mask is None else visual], count, generator
        )
        logits = model.perturbed_logits(  # levels × (draw, clip) × K
            repeat_batch(audio, count),
            repeat_batch(visual, count),
            _held_attention(clean, count),
            _masked(audio_noise, audio_mask),
            _masked(visual_noise, visual_mask),
            sigmas,
        )
        changed = distribution(torch.sigmoid(logits), normalize).view(len(noisy_levels), count, clip_count, -1)
        tvd[noisy_levels, first : first + count] = total_variation(changed, clean_distribution).cpu()
    return tvd


def _tvds(
    model: AVModel,
    batch: tuple[Tensor, Tensor],
    sigma2_levels: Any,
    draws: int,
    kinds: tuple[bool, ...],
    generator: torch.Generator | None,
    normalize: bool,
    chunk_size: int,
    sampling: str,
    workers: int,
    masks: Masks | None = None,
) -> list[np.ndarray]:
    """Mean TVD (L×N) per kind (relevant: True), in order, from one clean forward."""
    audio, visual, levels = _check_call(model, batch, sigma2_levels, draws, generator, sampling, workers)
    with _evaluating(model):
        clean = model(audio, visual)
        args = (normalize, chunk_size, sampling, workers, masks)
        return [
            _kind_tvd(model, audio, visual, clean, levels, draws, relevant, generator, *args).mean(dim=1).numpy()
            for relevant in kinds
        ]


def perturbation_tvd(
    model: AVModel,
    batch: tuple[Tensor, Tensor],
    sigma2_levels: Any,
    draws: int = 100,
    relevant: bool = True,
    generator: torch.Generator | None = None,
    normalize: bool = True,
    chunk_size: int = 32,
    sampling: str = "exact",
    workers: int = 1,
    masks: Masks | None = None,
) -> np.ndarray:
    """Mean TVD over ``draws`` noises, per σ² level and clip (L×N numpy array).

    ``masks``: the relevant features as (audio N×T×1, visual N×T×H×W×1) 0/1 tensors, in place of the attention's
    1[A ≥ 0.5] (an explanation method's own ranking); the irrelevant ones are their complement.

    ``sampling="exact"``: draws go through ``model.perturbed_logits`` about ``chunk_size`` perturbed clips at a time,
    every σ² level in one call (STAN shares its product with the noise across the levels). Small batches are the
    fastest on CPU: a batch whose activations stay in cache runs ~2× faster per clip than a big one.

    ``sampling="fast"``: one call per clip with all its draws as :class:`MaskedNoise` (see the module's docstring),
    ``workers`` clips at a time in threads (each op then best single-threaded: ``torch.set_num_threads(1)``). σ² = 0
    is exactly 0 and costs no forward.
    """
    kinds = (bool(relevant),)
    args = (generator, normalize, chunk_size, sampling, workers, masks)
    return _tvds(model, batch, sigma2_levels, draws, kinds, *args)[0]


def perturbation_test(
    model: AVModel,
    batch: tuple[Tensor, Tensor],
    sigma2_levels: Any,
    draws: int = 100,
    relevant: bool = True,
    generator: torch.Generator | None = None,
    normalize: bool = True,
    chunk_size: int = 32,
    sampling: str = "exact",
    workers: int = 1,
) -> np.ndarray:
    """Mean TVD per σ² level over the batch's clips and ``draws`` noises (Algorithm B)."""
    args = (generator, normalize, chunk_size, sampling, workers)
    return perturbation_tvd(model, batch, sigma2_levels, draws, relevant, *args).mean(axis=1)


def perturbation_curves(
    model: AVModel,
    batch: tuple[Tensor, Tensor],
    sigma2_levels: Any,
    draws: int = 100,
    generator: torch.Generator | None = None,
    normalize: bool = True,
    chunk_size: int = 32,
    sampling: str = "exact",
    workers: int = 1,
) -> dict[str, np.ndarray]:
    """Both curves of the paper's Figure 3: ``{"relevant": L, "irrelevant": L}`` mean TVDs (one clean forward)."""
    args = (generator, normalize, chunk_size, sampling, workers)
    relevant, irrelevant = _tvds(model, batch, sigma2_levels, draws, (True, False), *args)
    return {"relevant": relevant.mean(axis=1), "irrelevant": irrelevant.mean(axis=1)}
