"""Small trainable CNNs for the demo model: fast on a laptop CPU, trained end to end with the classifier.

The visual CNN maps a 112×112 frame to a 7×7×Dv map (stride 16: the grid of ResNet at 224); the audio CNN maps
the VGGish log-mel example of a segment (96×64) to a Da vector. Both train from scratch, so there are no
standard weights: build it with ``weights="random"``, train it, keep it with ``save_encoder``.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor, nn

from explorer.encoders.base import RANDOM, Encoder
from explorer.encoders.registry import register_encoder
from explorer.errors import WeightsError

SIMPLE_NORMALIZATION = {"mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)}


def conv_block(in_channels: int, out_channels: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


def conv_stack(in_channels: int, widths: tuple[int, ...], extra_from: int) -> nn.Sequential:
    """One stride-2 block per width; blocks from ``extra_from`` on get a second, stride-1 block."""
    blocks: list[nn.Module] = []
    for index, width in enumerate(widths):
        blocks.append(conv_block(in_channels, width, stride=2))
        if index >= extra_from:
            blocks.append(conv_block(width, width, stride=1))
        in_channels = width
    return nn.Sequential(*blocks)


@register_encoder("compact")
class CompactEncoder(Encoder):
    normalization = SIMPLE_NORMALIZATION
    audio_hop_frames = 100  # each example starts exactly at its segment

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        audio_dim: int = 128,
        visual_dim: int = 64,
        frame_size: int = 112,
        frames_per_segment: int = 4,
        widths: tuple[int, ...] = (32, 64, 96, 128),
    ):
        if weights != RANDOM:
            raise WeightsError(
                "the compact encoder has no pretrained weights: pass the path of a trained one "
                "(written by explorer.encoders.save_encoder), or weights='random' for an untrained one."
            )
        widths = tuple(int(width) for width in widths)
        stride = 2 ** len(widths)
        if frame_size % stride or min(audio_dim, visual_dim, frame_size, *widths) < 1:
            raise ValueError(
                f"compact encoder: frame_size must be a positive multiple of {stride} and all sizes positive, "
                f"got frame_size={frame_size}, audio_dim={audio_dim}, visual_dim={visual_dim}, widths={widths}"
            )
        super().__init__(
            weights=weights,
            audio_dim=audio_dim,
            visual_dim=visual_dim,
            frame_size=frame_size,
            frames_per_segment=frames_per_segment,
            widths=list(widths),
        )
        self.audio_dim, self.visual_dim = audio_dim, visual_dim
        self.frame_size, self.frames_per_segment, self.stride = frame_size, frames_per_segment, stride
        # With four stages: 112 → 7 for frames; 96×64 → 6×4 for log-mel examples.
        self.visual_net = nn.Sequential(conv_stack(3, widths, extra_from=1), nn.Conv2d(widths[-1], visual_dim, 1))
        self.audio_net = nn.Sequential(
            conv_stack(1, widths, extra_from=1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(widths[-1], audio_dim)
        )
        self.to(memory_format=torch.channels_last)

    def embed_audio(self, examples: Tensor) -> Tensor:
        return self.audio_net(examples)

    def embed_frames(self, frames: Tensor) -> Tensor:
        return self.visual_net(frames.contiguous(memory_format=torch.channels_last))
