"""Occlusion per location and per second: Captum's feature ablation with one group per visual patch
(``patch`` × ``patch`` cells of one second, Zeiler & Fergus's occluding square) and per audio second."""

from __future__ import annotations

from typing import Callable

import torch
from torch import Tensor

from explorer.explain.methods.base import AttributionMethod


def occlusion_groups(inputs: tuple[Tensor, ...], patch: int = 1) -> tuple[Tensor, ...]:
    """Feature ids, broadcast over channels: each patch × patch square of cells in one second of a visual 1×T×H×W×Dv
    input, and each second of an audio 1×T×Da input, is one group; ids run on across the inputs so that every group
    is ablated on its own."""
    groups, first = [], 0
    for features in inputs:
        cells = features.shape[1:-1]  # (T,) for audio, (T, H, W) for visual
        index = torch.arange(int(torch.tensor(cells).prod()), device=features.device).reshape(cells)
        if len(cells) == 3:  # visual: the id of the patch each cell lies in
            t, h, w = torch.meshgrid(*(torch.arange(size) for size in cells), indexing="ij")
            columns = -(-cells[2] // patch)
            index = (t * -(-cells[1] // patch) + h // patch) * columns + w // patch
        index = torch.unique(index, return_inverse=True)[1]  # consecutive ids
        groups.append((first + index).reshape(1, *cells, 1).to(features.device))
        first += int(index.max()) + 1
    return tuple(groups)


class Occlusion(AttributionMethod):
    """y(x) − y(x with the group set to zero) for y the target logit, per visual patch and per audio second. Every
    feature of a group gets its group's value; the reduction's sums and ratios treat that the same as any
    attribution. ``patch`` = 2 (2×2 cells, a quarter of the forwards of single cells: ~500 for a 10-s clip on the
    demo's 14×14 map) keeps it usable on a CPU; ``patch=1`` occludes single cells. ``batch`` groups per forward: small
    batches run fastest on a CPU (16: 0.94 s for a 10-s demo clip, 64: 1.24 s; benchmarks/bench_methods.py)."""

    name = "occlusion"
    label = "Occlusion (2×2-cell patches and audio seconds set to zero)"

    def __init__(self, batch: int = 16, patch: int = 2):
        self.batch, self.patch = batch, patch

    def _attribute(self, logits: Callable[..., Tensor], inputs: tuple[Tensor, ...], target: int) -> tuple[Tensor, ...]:
        from captum.attr import FeatureAblation  # lazily: see the package docstring

        return FeatureAblation(logits).attribute(
            inputs,
            baselines=tuple(0.0 for _ in inputs),
            target=target,
            feature_mask=occlusion_groups(inputs, self.patch),
            perturbations_per_eval=self.batch,
        )
