"""Where encoder weights live and how they are read: local files only, never downloaded, never unpickled."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from explorer.errors import CheckpointError, WeightsError

ENCODER_DIR_VARIABLE = "EXPLORER_ENCODER_DIR"  # overrides <project>/checkpoints/encoders
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def weight_folders() -> list[Path]:
    """The folders searched, in order: the project's ``checkpoints/encoders``, then torch's hub cache."""
    project = Path(os.environ.get(ENCODER_DIR_VARIABLE) or _PROJECT_ROOT / "checkpoints" / "encoders")
    return [project, Path(torch.hub.get_dir()) / "checkpoints"]


def find_weights(file_names: Sequence[str], url: str, what: str) -> Path:
    """The first of ``file_names`` found in :func:`weight_folders`, else a WeightsError that says how to get it."""
    folders = weight_folders()
    for folder in folders:
        for file_name in file_names:
            if (folder / file_name).is_file():
                return folder / file_name
    raise WeightsError(
        f"the {what} weights file {file_names[0]} was not found; put it in {folders[0]} or {folders[1]} "
        f"(on a machine with internet: download {url})."
    )


def load_torch_weights(path: Path) -> dict[str, torch.Tensor]:
    """A state dict from a ``.pth`` file, read with ``weights_only=True`` so nothing is unpickled."""
    if not path.is_file():
        raise WeightsError(f"the encoder weights file {path} does not exist.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # torch raises many types for a damaged or foreign file
        raise CheckpointError(
            f"encoder weights file {path} is corrupt or not a PyTorch weights file ({error})."
        ) from None
    if not isinstance(state, dict) or not all(isinstance(value, torch.Tensor) for value in state.values()):
        raise CheckpointError(f"encoder weights file {path} does not hold a state dict of tensors.")
    return state


def load_safetensors_weights(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise WeightsError(f"the encoder weights file {path} does not exist.")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"encoder weights file {path} is corrupt or not a safetensors file ({error}).") from None


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise WeightsError(f"the encoder description {path} does not exist; it must sit next to its .safetensors file.")
    try:
        description = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"encoder description {path} is not valid JSON ({error}).") from None
    if not isinstance(description, dict):
        raise CheckpointError(f"encoder description {path} must be a JSON object.")
    return description


def load_into(module: nn.Module, state: dict[str, torch.Tensor], source: Path) -> None:
    """``load_state_dict`` that reports a mismatch as one CheckpointError naming the file."""
    try:
        module.load_state_dict(state)
    except RuntimeError as error:
        detail = " ".join(str(error).split())
        detail = detail if len(detail) <= 300 else detail[:300] + " ..."
        raise CheckpointError(
            f"encoder weights in {source} do not fit the {type(module).__name__} network: {detail}"
        ) from None
