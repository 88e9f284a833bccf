"""BatchNorm folded into the convolution before it, for the frozen pretrained encoders.

A BatchNorm in eval mode is an affine map per channel, so it folds into the preceding convolution's weights and bias
(``torch.nn.utils.fusion``): the same features to float rounding, one pass over each activation fewer. Side by side on
the demo's 2-core CPU the demo's EfficientNet-Lite0 map is ×1.11–1.18 faster and aiSFX ×1.02–1.06
(benchmarks/bench_demo_speed.py). The folded network has no BatchNorm left to update, so it cannot drift if someone
puts it in training mode.
"""

from __future__ import annotations

from collections.abc import Iterable

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fold_batch_norms(pairs: Iterable[tuple[nn.Module, str, str]]) -> int:
    """For each ``(parent, conv, norm)``, fold ``parent.norm`` into ``parent.conv`` and leave in its place only what
    the norm applies after the affine map (timm's ``BatchNormAct2d`` holds the activation; plain BatchNorm nothing).
    Returns how many were folded."""
    folded = 0
    for parent, conv_name, norm_name in pairs:
        norm = getattr(parent, norm_name)
        setattr(parent, conv_name, fuse_conv_bn_eval(getattr(parent, conv_name).eval(), norm.eval()))
        after = [getattr(norm, part) for part in ("drop", "act") if isinstance(getattr(norm, part, None), nn.Module)]
        setattr(parent, norm_name, nn.Sequential(*after) if after else nn.Identity())
        folded += 1
    return folded
