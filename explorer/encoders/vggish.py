"""VGGish (Hershey et al. 2017), the paper's audio encoder: one 128-d embedding per 1 s segment.

The network is the torchvggish port (state-dict keys fit ``vggish-10086976.pth``), including its final
ReLU. Post-processing (PCA + 8-bit quantisation, as in the released AudioSet and AVE features) is optional.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import Tensor, nn

from explorer.encoders.base import RANDOM, Encoder
from explorer.encoders.log_mel import waveform_to_examples  # noqa: F401  (the documented home of the front end)
from explorer.encoders.registry import register_encoder
from explorer.encoders.weights import find_weights, load_into, load_torch_weights
from explorer.errors import CheckpointError

WEIGHTS_FILE = "vggish-10086976.pth"
WEIGHTS_URL = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth"
PCA_FILE = "vggish_pca_params-970ea276.pth"
PCA_URL = "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish_pca_params-970ea276.pth"
EMBEDDING_SIZE = 128
QUANTIZE_MIN, QUANTIZE_MAX = -2.0, 2.0


class VGGishNetwork(nn.Module):
    """Four conv blocks (64-128-256-512) and three FC layers (4096-4096-128) over a 1×96×64 example."""

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        in_channels = 1
        for item in (64, "pool", 128, "pool", 256, 256, "pool", 512, 512, "pool"):
            if item == "pool":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(in_channels, item, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                in_channels = item
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(
            nn.Linear(512 * 6 * 4, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, EMBEDDING_SIZE),
            nn.ReLU(inplace=True),
        )

    def forward(self, examples: Tensor) -> Tensor:
        maps = self.features(examples)  # N×512×6×4
        # The TF original flattens height-width-channels; the port's FC weights expect that order.
        return self.embeddings(maps.permute(0, 2, 3, 1).flatten(1))


@register_encoder("vggish")
class VGGishEncoder(Encoder):
    audio_dim = EMBEDDING_SIZE
    audio_hop_frames = 96  # the reference framing, as the official AVE features

    def __init__(self, weights: str | os.PathLike | None = None, postprocess: bool = False):
        super().__init__(weights=weights, postprocess=postprocess)
        self.network = VGGishNetwork()
        self.postprocess = postprocess
        self.register_buffer("pca_eigen_vectors", torch.eye(EMBEDDING_SIZE))
        self.register_buffer("pca_means", torch.zeros(EMBEDDING_SIZE))
        if weights == RANDOM:
            return  # untrained network; an identity PCA keeps post-processing well defined
        path = Path(weights) if weights is not None else find_weights([WEIGHTS_FILE], WEIGHTS_URL, "VGGish")
        load_into(self.network, load_torch_weights(path), path)
        self.weights_source = str(path)
        if postprocess:
            self._load_pca(find_weights([PCA_FILE], PCA_URL, "VGGish PCA"))

    def _load_pca(self, path: Path) -> None:
        params = load_torch_weights(path)
        try:
            self.pca_eigen_vectors.copy_(params["pca_eigen_vectors"].reshape(EMBEDDING_SIZE, EMBEDDING_SIZE))
            self.pca_means.copy_(params["pca_means"].reshape(EMBEDDING_SIZE))
        except (KeyError, RuntimeError) as error:
            raise CheckpointError(
                f"{path} must hold pca_eigen_vectors (128×128) and pca_means (128), which it does not ({error})."
            ) from None

    def embed_audio(self, examples: Tensor) -> Tensor:
        embeddings = self.network(examples)
        if not self.postprocess:
            return embeddings
        projected = (embeddings - self.pca_means) @ self.pca_eigen_vectors.T
        clipped = projected.clamp(QUANTIZE_MIN, QUANTIZE_MAX)
        return torch.round((clipped - QUANTIZE_MIN) * (255.0 / (QUANTIZE_MAX - QUANTIZE_MIN)))
