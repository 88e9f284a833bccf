"""Create encoders by name; save and load trained ones as safetensors + JSON.

``"AUDIO+VISUAL"`` pairs the audio network of one encoder with the visual network of another:
``"vggish+resnet152"`` gives the paper's features (§4, implementation details).
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from torch import Tensor

from explorer.artifacts import (
    artifact_base,
    description_path,
    read_description,
    read_weights,
    save_artifact,
    weights_path,
)
from explorer.encoders.base import RANDOM, Encoder
from explorer.encoders.weights import load_into
from explorer.errors import CheckpointError, ExplorerError, WeightsError
from explorer.registry import Registry

PAPER_ENCODER = "vggish+resnet152"
_ENCODERS: Registry[type[Encoder]] = Registry("encoder")
register_encoder = _ENCODERS.register


def list_encoders() -> list[str]:
    return [*_ENCODERS.names(), PAPER_ENCODER]


def _encoder_class(name: str) -> type[Encoder]:
    if name not in _ENCODERS:
        raise ExplorerError(f"unknown encoder {name!r}; choose one of: {', '.join(list_encoders())}.")
    return _ENCODERS[name]


def create_encoder(name: str, weights: str | os.PathLike | None = None, **config) -> Encoder:
    """An encoder in eval mode.

    ``weights``: ``None`` finds the standard weights files (WeightsError if absent), ``"random"`` leaves the
    networks untrained, a ``.pth`` path loads those weights, any other path a :func:`save_encoder` output.
    """
    if "+" in name:
        audio_name, _, visual_name = name.partition("+")
        if weights not in (None, RANDOM):
            raise WeightsError(
                f"encoder {name} has two weights files, so it takes no single weights path; "
                "put both files in the weights folder (see checkpoints/encoders/README.md)."
            )
        audio_keys = inspect.signature(_encoder_class(audio_name)).parameters
        audio_config = {key: value for key, value in config.items() if key in audio_keys}
        visual_config = {key: value for key, value in config.items() if key not in audio_keys}
        return PairedEncoder(
            create_encoder(audio_name, weights, **audio_config), create_encoder(visual_name, weights, **visual_config)
        )
    cls = _encoder_class(name)
    if weights is None or weights == RANDOM or Path(weights).suffix == ".pth":
        return cls(weights=weights, **config).eval()
    return load_encoder(weights, name)


class PairedEncoder(Encoder):
    """The audio network of one encoder next to the visual network of another."""

    def __init__(self, audio: Encoder, visual: Encoder):
        super().__init__(weights=None)
        if not audio.audio_dim or not visual.visual_dim:
            raise ExplorerError(
                f"encoder {audio.name}+{visual.name} needs an audio encoder first and a visual one second."
            )
        self.audio_part, self.visual_part = audio, visual
        self.config = {**audio.config, **visual.config}  # create_encoder(name, **config) splits them again
        self.name = f"{audio.name}+{visual.name}"
        self.audio_dim, self.audio_hop_frames = audio.audio_dim, audio.audio_hop_frames
        self.visual_dim, self.frame_size, self.stride = visual.visual_dim, visual.frame_size, visual.stride
        self.normalization, self.frames_per_segment = visual.normalization, visual.frames_per_segment
        self.batch_frames = visual.batch_frames

    @property
    def audio_front_end(self) -> str:
        return self.audio_part.audio_front_end

    def audio_input(self, clip) -> Tensor:
        return self.audio_part.audio_input(clip)

    def embed_audio(self, examples: Tensor) -> Tensor:
        return self.audio_part.embed_audio(examples)

    def embed_frames(self, frames: Tensor) -> Tensor:
        return self.visual_part.embed_frames(frames)

    def describe(self) -> dict:
        parts = [self.audio_part.describe(), self.visual_part.describe()]
        return {**super().describe(), "weights": None, "parts": parts}


def save_encoder(encoder: Encoder, path: str | os.PathLike) -> Path:
    """Write ``path.safetensors`` (weights) + ``path.json`` (name and config); returns the suffix-less path."""
    return save_artifact(path, {**encoder.describe(), "weights": None}, encoder.state_dict())


def load_encoder(path: str | os.PathLike, expected_name: str | None = None) -> Encoder:
    """Rebuild an encoder written by :func:`save_encoder`, in eval mode."""
    base = artifact_base(path)
    json_path, weights = description_path(base), weights_path(base)
    description = read_description(json_path, "encoder description", missing=WeightsError)
    name, config = description.get("encoder"), description.get("config")
    if not isinstance(name, str) or not isinstance(config, dict):
        raise CheckpointError(f"encoder description {json_path} must name its 'encoder' and hold a 'config' object.")
    if expected_name is not None and name != expected_name:
        raise CheckpointError(f"{json_path} holds a {name!r} encoder, not the {expected_name!r} encoder asked for.")
    try:
        encoder = _encoder_class(name)(weights=RANDOM, **config)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"encoder description {json_path} has a config that cannot be built: {error}") from None
    load_into(encoder, read_weights(weights, "encoder weights file", missing=WeightsError), weights)
    encoder.weights_source = str(base)
    return encoder.eval()
