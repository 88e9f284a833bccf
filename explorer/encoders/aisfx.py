"""The aiSFX embedding trunk (Ma & Lerch, ISMIR 2022): a 512-d vector per 1 s segment, pretrained on sound-effects
libraries. Weights from the PyPI package ``aisfx`` (CC BY 4.0 for the model, © 2022 A. B. Ma and A. Lerch).

The front end follows the package's documented settings: 44.1 kHz mono, peak-normalised per clip, a 2048-sample
Hann STFT with hop 1024 (zero-padded at the ends), 96 HTK mel bands over 0–22.05 kHz with unit-area (L1) filters,
``log10(1e4·power + 1) / 9.4578``, shaped (time, 96). Each segment gets the 41 frames whose windows lie inside it.
The package's own code is not used: its librosa path drops a transpose and its Essentia path is AGPL.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchaudio.functional
from torch import Tensor, nn

from explorer.encoders.base import Encoder
from explorer.encoders.folding import fold_batch_norms
from explorer.encoders.registry import register_encoder
from explorer.encoders.weights import PackagedWeights
from explorer.errors import CheckpointError
from explorer.media import SAMPLE_RATE

AISFX_WEIGHTS = PackagedWeights(
    what="aiSFX",
    package="aisfx",
    version="0.1.2",
    file="aisfx/models/checkpoint.pth",
    sha256="499ea75909c932a2f94c35fa722fa4fabc5bcb7e84917209cc5f7402627b7eb5",
    license="CC BY 4.0 (the pretrained model; © 2022 A. B. Ma and A. Lerch, LICENSE in the wheel)",
    source="https://github.com/alisonbma/aisfx",
)
RATE, FFT, HOP, MEL_BANDS = 44100, 2048, 1024, 96
LOG_SCALE = 9.457798957824707  # the package's 'original' normalisation maximum
# The frames whose whole 2048-sample window lies inside a 1 s segment: 41 of the 43 centred in it. A frame reaching
# into the next second would let the trunk's max over time report a sound one second early.
FRAMES_PER_SEGMENT = 41
EMBEDDING_SIZE = 512


class ConvBlock(nn.Module):
    """Two 3×3 conv + BN + ReLU, then pooling; names fit the package's state dict."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False)
        self.bn1, self.bn2 = nn.BatchNorm2d(out_channels), nn.BatchNorm2d(out_channels)

    def forward(self, x: Tensor, pool: int) -> Tensor:
        x = F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))
        return F.max_pool2d(x, pool) if pool > 1 else x


class EmbeddingNet(nn.Module):
    """The DCASE cross-task CNN-9 trunk (64-128-256-512): mean over frequency, max over time."""

    def __init__(self):
        super().__init__()
        widths = (64, 128, 256, 512)
        for index, (in_channels, out_channels) in enumerate(zip((1, *widths[:-1]), widths), start=1):
            setattr(self, f"conv_block{index}", ConvBlock(in_channels, out_channels))

    def forward(self, spectrograms: Tensor) -> Tensor:  # N×time×96
        x = spectrograms.unsqueeze(1)
        for index, pool in ((1, 2), (2, 2), (3, 2), (4, 1)):
            x = getattr(self, f"conv_block{index}")(x, pool)
        return x.mean(dim=3).amax(dim=2)


def load_aisfx_state(path: Path) -> dict[str, Tensor]:
    """The trunk's tensors from the package's ``(state_dict, datasets)`` file, with nothing unpickled blindly.

    ``weights_only=True`` refuses every global; the file's dataset table needs three numpy ones (a numpy scalar and
    its dtype), named here under the numpy-1 names the file was written with.
    """
    import numpy.dtypes

    try:
        from numpy._core.multiarray import scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import scalar
    allowed = [(scalar, "numpy.core.multiarray.scalar"), np.dtype, numpy.dtypes.Int64DType]
    try:
        with torch.serialization.safe_globals(allowed):
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(f"aiSFX weights file {path} is corrupt or not the aiSFX checkpoint ({error}).") from None
    state = loaded[0] if isinstance(loaded, (tuple, list)) and loaded else loaded
    if not isinstance(state, dict):
        raise CheckpointError(f"aiSFX weights file {path} does not hold a state dict.")
    prefix = "embedding_net."
    return {key[len(prefix) :]: value for key, value in state.items() if key.startswith(prefix)}


@lru_cache(maxsize=1)
def mel_filters() -> Tensor:
    """(FFT/2+1)×96 HTK triangles over 0–22.05 kHz, each summing to 1 (librosa's ``norm=1``)."""
    filters = torchaudio.functional.melscale_fbanks(FFT // 2 + 1, 0.0, RATE / 2, MEL_BANDS, RATE, None, "htk")
    return filters / filters.sum(dim=0).clamp(min=1e-12)


def aisfx_spectrogram(waveform: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Tensor:
    """frames×96 log-mel of a mono waveform, frame k centred at k·HOP/44100 s."""
    audio = torch.from_numpy(np.asarray(waveform, dtype=np.float32))
    if sample_rate != RATE:
        audio = torchaudio.functional.resample(audio, sample_rate, RATE)
    peak = audio.abs().max() if audio.numel() else torch.tensor(0.0)
    audio = audio / peak if peak > 0 else audio
    window = torch.hann_window(FFT)
    spectrum = torch.stft(audio, FFT, HOP, window=window, center=True, pad_mode="constant", return_complex=True)
    power = spectrum.abs().pow(2).T  # frames × bins
    return torch.log10(power @ mel_filters() * 1e4 + 1) / LOG_SCALE


@register_encoder("aisfx")
class AiSFXEncoder(Encoder):
    audio_dim = EMBEDDING_SIZE
    audio_front_end = (
        f"aiSFX log-mel: {RATE} Hz, STFT {FFT}/{HOP}, {MEL_BANDS} HTK bands, "
        f"{FRAMES_PER_SEGMENT} frames per 1 s segment"
    )

    def __init__(self, weights: str | os.PathLike | None = None):
        super().__init__(weights=weights)
        self.trunk = EmbeddingNet()
        self.load_weights(self.trunk, weights, AISFX_WEIGHTS, load_aisfx_state)
        # Frozen, so each BatchNorm folds into its convolution (saved encoders hold the folded weights).
        fold_batch_norms((block, f"conv{i}", f"bn{i}") for block in self.trunk.children() for i in (1, 2))

    def audio_input(self, clip) -> Tensor:
        """T×41×96: each segment's own frames (the waveform zero-padded so that the last one has all of them)."""
        needed = clip.num_segments * clip.sample_rate + clip.sample_rate // 2
        audio = clip.audio if clip.audio.size >= needed else np.pad(clip.audio, (0, needed - clip.audio.size))
        spectrogram = aisfx_spectrogram(audio, clip.sample_rate)
        starts = torch.ceil(torch.arange(clip.num_segments) * RATE / HOP).long() + 1  # first window starts at t
        return spectrogram[starts[:, None] + torch.arange(FRAMES_PER_SEGMENT)]

    def embed_audio(self, examples: Tensor) -> Tensor:
        return self.trunk(examples)
