"""The noise of the perturbation test's ``sampling="fast"``: drawn only where the relevance mask is 1, and, through a
model's first linear layer, as W·η directly (exact in distribution, not the exact path's draws)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

STEP_ELEMENTS = 1 << 19  # noise values per chunk of MaskedNoise.pooled_relu (tuned on a 2-core CPU)


class MaskedNoise:
    """``count`` draws, per clip, of standard-normal noise on the entries of one input (N×…×C) that ``mask`` (N×…×1)
    selects, 0 elsewhere: the noise of ``sampling="fast"``, drawn only when a model asks for it.

    :meth:`AVModel.perturbed_logits` takes it in place of a noise tensor. Then the inputs hold the N clips once (not
    repeated) and the logits are S×(count·N)×K, draw-major like :func:`repeat_batch`. A model draws it as a tensor
    (:meth:`dense`, the generic path) or through its first linear layer, a ReLU and a weighted sum over positions
    (:meth:`pooled_relu`), which draws W·η directly. Either is exact in distribution; neither is the exact path's
    stream. Draws: per clip, per draw, one ``normal_`` of the selected positions × C (:meth:`dense`, and
    :meth:`pooled_relu` when it multiplies by W), so a model's override can be checked draw for draw against the
    generic path; :meth:`pooled_relu`'s Cholesky draws are its own.
    """

    def __init__(
        self,
        mask: Tensor,
        channels: int,
        count: int,
        generator: torch.Generator | None,
        chunk_size: int = 32,
        factors: dict | None = None,
    ):
        self.selected = mask.reshape(mask.shape[0], -1) != 0  # N×P
        self.position_shape = tuple(mask.shape[1:-1])
        self.channels = channels
        self.count = count
        self.generator = generator
        self.chunk_size = chunk_size  # perturbed copies per forward of the generic path
        self._factors = {} if factors is None else factors  # shared by one run: weight → (factor, triangular)

    def _normal(self, shape: tuple[int, ...]) -> Tensor:
        """N(0, 1) on the CPU, where ``generator`` lives."""
        return torch.empty(shape).normal_(generator=self.generator)

    def _selected_draws(self, index: Tensor, count: int) -> Tensor:
        """count×M×C: per draw, one normal_ of the M selected positions."""
        block = torch.empty(count, len(index), self.channels)
        for draw in range(count):
            block[draw].normal_(generator=self.generator)
        return block

    def dense(self, count: int | None = None) -> Tensor:
        """``count`` (default: all) draws as a (count·N)×…×C tensor, draw-major, normal only where the mask is 1."""
        count = self.count if count is None else count
        clips, positions = self.selected.shape
        noise = torch.zeros(count, clips, positions, self.channels)
        for clip in range(clips):
            index = self.selected[clip].nonzero().squeeze(1).cpu()
            if len(index):
                noise[:, clip, index] = self._selected_draws(index, count)
        return noise.view(count * clips, *self.position_shape, self.channels).to(self.selected.device)

    def pooled_relu(
        self,
        pre: Tensor,
        pool_weights: Tensor,
        sigmas: Tensor,
        weight: Tensor | None = None,
        shift: Tensor | None = None,
    ) -> Tensor:
        """Σ_p w_p·ReLU(pre_p + σ·s_p) per σ and draw (S×(count·N)×D, draw-major), s_p the noise at position p after
        a linear map: ``weight`` (D×C; s_p = W·η_p, drawn here) or ``shift`` ((count·N)×…×D, drawn by the caller from
        :meth:`dense`). ``pre``: the clean pre-activations (N×…×D, positions as the mask's); ``pool_weights`` (N×…)
        must be ≥ 0, so that w·ReLU(x) = ReLU(w·x) folds them in before the ReLU.

        With ``weight``, only the selected positions are computed (the others keep their clean share), and W·η is
        drawn directly: for C ≤ D as W times C normals, else as L·ξ with L the Cholesky factor of W·Wᵀ and D normals
        (exactly N(0, W·Wᵀ), the distribution of W·η). One draw serves every σ, and a level costs one elementwise
        op and one sum: Σ_p ReLU(a_p + σ·s_p) = Σ_p a_p + σ·Σ_p max(s_p, −a_p/σ)."""
        clips = pre.shape[0]
        dim = pre.shape[-1]
        pre = pre.reshape(clips, -1, dim)
        weights = pool_weights.reshape(clips, -1).to(pre.dtype)
        if (weights < 0).any():
            raise ValueError("pooled_relu needs pool weights ≥ 0")
        if (weight is None) == (shift is None):
            raise ValueError("pooled_relu takes exactly one of weight and shift")
        if shift is not None:
            return self._pooled_shift(pre, weights, shift.reshape(self.count, clips, -1, dim), sigmas)
        sums = pre.new_empty(len(sigmas), self.count, clips, dim)
        factor, triangular = self._factor(weight)
        for clip in range(clips):
            selected = self.selected[clip]
            self._pooled_clip(pre[clip], weights[clip], selected, factor, triangular, sigmas, sums[:, :, clip])
        return sums.flatten(1, 2)

    def _pooled_shift(self, pre: Tensor, weights: Tensor, shift: Tensor, sigmas: Tensor) -> Tensor:
        pooling = weights.unsqueeze(1)  # N×1×P
        sums = [torch.matmul(pooling, torch.add(pre, shift, alpha=float(sigma)).relu_()) for sigma in sigmas]
        return torch.stack(sums).flatten(1, 3)  # S×count×N×1×D → S×(count·N)×D

    def _factor(self, weight: Tensor) -> tuple[Tensor, bool]:
        """What W·η is drawn with: (W, False) to multiply C normals, or (L, True) with L·Lᵀ = W·Wᵀ lower-triangular
        when that takes fewer normals (C > D) and W·Wᵀ is positive definite."""
        key = (weight.data_ptr(), tuple(weight.shape), tuple(weight.stride()), weight.dtype, weight._version)
        if key not in self._factors:
            factor, triangular = weight.detach(), False
            if weight.shape[1] > weight.shape[0]:
                gram = weight.detach().double() @ weight.detach().double().T
                lower, info = torch.linalg.cholesky_ex(gram)
                if int(info) == 0:
                    factor, triangular = lower.to(weight.dtype), True
            self._factors[key] = (factor, triangular)
        return self._factors[key]

    def _pooled_clip(
        self,
        pre: Tensor,
        weights: Tensor,
        selected: Tensor,
        factor: Tensor,
        triangular: bool,
        sigmas: Tensor,
        sums: Tensor,
    ) -> None:
        """One clip: fills ``sums`` (S×count×D)."""
        dim = pre.shape[-1]
        clean = weights[~selected] @ F.relu(pre[~selected])  # D: the positions the noise never touches
        index = selected.nonzero().squeeze(1)
        if not len(index):
            sums.copy_(clean.expand_as(sums))
            return
        kept = weights[index]
        shifted_pre = (pre[index] * kept[:, None]).T.contiguous()[:, None, :]  # D×1×M, pool weights folded in
        selected_count = len(index)
        step = max(1, min(self.count, STEP_ELEMENTS // (dim * selected_count)))  # draws per chunk
        buffer = pre.new_empty(dim, step, selected_count)
        # Σ_p ReLU(a_p + σ·s_p) = Σ_p a_p + σ·Σ_p max(s_p, −a_p/σ): one elementwise op and one sum per level.
        sigma_values = sigmas.tolist()
        floors = [None if sigma == 0 else (shifted_pre / -sigma) for sigma in sigma_values]
        selected_sums = pre.new_empty(len(sigmas), dim, self.count)  # Σ over the selected positions
        for first in range(0, self.count, step):
            count = min(step, self.count - first)
            draws = slice(first, first + count)
            shift = self._projected(factor, triangular, kept, count).view(dim, count, selected_count)
            level_buffer = buffer[:, :count]
            for level, floor in enumerate(floors):
                if floor is not None:
                    torch.sum(torch.maximum(shift, floor, out=level_buffer), dim=-1, out=selected_sums[level, :, draws])
        for level, sigma in enumerate(sigma_values):
            if sigma == 0:
                selected_sums[level] = F.relu(shifted_pre).sum(dim=(1, 2))[:, None]
            else:
                selected_sums[level].mul_(sigma).add_(shifted_pre.sum(dim=(1, 2))[:, None])
        sums.copy_(selected_sums.transpose(1, 2)).add_(clean)

    def _projected(self, factor: Tensor, triangular: bool, kept: Tensor, count: int) -> Tensor:
        """D×(count·M): the weighted noise after the linear layer, w_p·W·η_p, for ``count`` draws at M positions."""
        selected_count = len(kept)
        out = kept.new_empty(factor.shape[0], count * selected_count)
        if not triangular:  # W·η with η as :meth:`dense` draws it
            noise = self._selected_draws(kept, count).to(kept)
            noise.mul_(kept[:, None])
            return torch.matmul(factor, noise.view(count * selected_count, -1).T, out=out)
        noise = self._normal((factor.shape[1], count, selected_count)).to(kept)
        noise.mul_(kept)
        noise = noise.view(factor.shape[1], -1)
        half = factor.shape[0] // 2  # L is lower-triangular: the top half of its rows reads the top half of ξ only
        torch.matmul(factor[:half, :half], noise[:half], out=out[:half])
        torch.matmul(factor[half:], noise, out=out[half:])
        return out
