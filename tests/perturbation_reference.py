"""The literal per-draw loop of the paper's Algorithm B: the reference the batched
``explorer.explain.perturbation_tvd`` must equal (shared by the tests and the benchmark).

Noise follows the same contract: draw p is ``torch.randn`` of the audio shape, then
of the visual shape (only for inputs the model rates), scaled by σ at every level.
"""

from __future__ import annotations

import numpy as np
import torch

from explorer.models.base import AVModel


def _normalized(probs: torch.Tensor) -> torch.Tensor:
    return probs / probs.sum(dim=-1, keepdim=True)


def reference_perturbation_tvd(
    model: AVModel,
    audio: torch.Tensor,
    visual: torch.Tensor,
    sigma2_levels: list[float],
    draws: int,
    relevant: bool,
    generator: torch.Generator,
    per_draw: bool = False,
) -> np.ndarray:
    """Mean TVD per σ² level and clip (L×N), one forward per draw and level; ``per_draw``: every draw's TVD
    (L×draws×N) instead of the mean."""
    model.eval()
    with torch.no_grad():
        clean = model(audio, visual)
        audio_attention, visual_attention = model.relevance(clean)
        masks = []
        for attention in (audio_attention, visual_attention):
            if attention is None:
                masks.append(None)
            else:
                masks.append(((attention >= 0.5) if relevant else (attention < 0.5)).float()[..., None])
        audio_mask, visual_mask = masks
        noises = []
        for _ in range(draws):
            audio_noise = None if audio_mask is None else torch.randn(audio.shape, generator=generator)
            visual_noise = None if visual_mask is None else torch.randn(visual.shape, generator=generator)
            noises.append((audio_noise, visual_noise))
        result = np.zeros((len(sigma2_levels), draws, audio.shape[0]))
        for level, sigma2 in enumerate(sigma2_levels):
            sigma = sigma2**0.5
            for draw, (audio_noise, visual_noise) in enumerate(noises):
                noisy_audio = audio if audio_noise is None else audio + sigma * audio_noise * audio_mask
                noisy_visual = visual if visual_noise is None else visual + sigma * visual_noise * visual_mask
                perturbed = model(noisy_audio, noisy_visual, attention=clean)
                tvd = 0.5 * (_normalized(perturbed.probs) - _normalized(clean.probs)).abs().sum(dim=-1)
                result[level, draw] = tvd.numpy()
    return result if per_draw else result.mean(axis=1)


def assert_perturbed_logits_match_forwards(
    model: AVModel,
    audio: torch.Tensor,
    visual: torch.Tensor,
    audio_noise: torch.Tensor | None,
    visual_noise: torch.Tensor | None,
    sigmas: torch.Tensor,
):
    """``model.perturbed_logits`` equals one forward per σ with the clean attention held fixed; returns the clean
    explanation."""
    with torch.no_grad():
        clean = model(audio, visual)
        fast = model.perturbed_logits(audio, visual, clean, audio_noise, visual_noise, sigmas)
        for level, sigma in enumerate(sigmas):
            noisy_audio = audio if audio_noise is None else audio + sigma * audio_noise
            noisy_visual = visual if visual_noise is None else visual + sigma * visual_noise
            slow = model(noisy_audio, noisy_visual, attention=clean).logits
            torch.testing.assert_close(fast[level], slow, rtol=1e-5, atol=1e-5)
    return clean
