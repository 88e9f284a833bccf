"""ResNet-152 truncated after layer4, the paper's visual encoder: a 7×7×2048 map per 224×224 frame."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

from explorer.encoders.base import RANDOM, Encoder
from explorer.encoders.registry import register_encoder
from explorer.encoders.weights import find_weights, load_into, load_torch_weights

WEIGHTS_FILES = ("resnet152-394f9c45.pth", "resnet152-f82ba261.pth")  # torchvision's IMAGENET1K_V1 and _V2
WEIGHTS_URL = "https://download.pytorch.org/models/resnet152-394f9c45.pth"


@register_encoder("resnet152")
class ResNet152Encoder(Encoder):
    visual_dim = 2048

    def __init__(self, weights: str | os.PathLike | None = None, frame_size: int = 224, frames_per_segment: int = 8):
        super().__init__(weights=weights, frame_size=frame_size, frames_per_segment=frames_per_segment)
        self.frame_size, self.frames_per_segment = frame_size, frames_per_segment
        import torchvision  # imported here: it takes most of a second, and only this encoder needs it

        network = torchvision.models.resnet152(weights=None)
        if weights != RANDOM:
            path = Path(weights) if weights is not None else find_weights(WEIGHTS_FILES, WEIGHTS_URL, "ResNet-152")
            load_into(network, load_torch_weights(path), path)
            self.weights_source = str(path)
        self.trunk = nn.Sequential(*list(network.children())[:-2])  # drop avgpool and fc
        self.to(memory_format=torch.channels_last)

    def embed_frames(self, frames: Tensor) -> Tensor:
        return self.trunk(frames.contiguous(memory_format=torch.channels_last))
