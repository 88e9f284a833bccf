"""The one on-disk format for anything trained: ``NAME.safetensors`` (weights) next to ``NAME.json`` (what it is).

Model checkpoints and trained encoders both use it. Weights go through safetensors and the rest through JSON, so
reading an artifact never unpickles anything; writes are atomic.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from explorer.atomic import write_atomically
from explorer.errors import CheckpointError, ExplorerError

SUFFIXES = (".json", ".safetensors")


def artifact_base(path: str | os.PathLike) -> Path:
    """The artifact's path without suffix; ``.json`` / ``.safetensors`` are stripped."""
    path = Path(path)
    for suffix in SUFFIXES:
        if path.name.endswith(suffix):
            return path.with_name(path.name[: -len(suffix)])
    return path


def description_path(base: Path) -> Path:
    return base.with_name(base.name + ".json")


def weights_path(base: Path) -> Path:
    return base.with_name(base.name + ".safetensors")


def save_artifact(path: str | os.PathLike, description: dict, state: dict[str, torch.Tensor]) -> Path:
    """Write both files (the folder is created); returns the suffix-less path."""
    base = artifact_base(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    try:
        text = json.dumps(description, indent=2, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"the description of {base} holds a value JSON cannot store: {error}") from None
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in state.items()}
    write_atomically(weights_path(base), lambda target: save_file(state, str(target)))
    write_atomically(description_path(base), lambda target: target.write_text(text + "\n"))
    return base


def read_description(
    path: Path, what: str, missing: type[ExplorerError] = CheckpointError, keys: tuple[str, ...] = ()
) -> dict:
    """The JSON object in ``path``, holding ``keys``; ``missing`` is raised when there is no such file,
    CheckpointError when it is not such an object."""
    if not path.is_file():
        raise missing(f"the {what} {path} does not exist; it must sit next to its .safetensors file.")
    try:
        description = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"the {what} {path} is not valid JSON ({error}).") from None
    if not isinstance(description, dict) or any(key not in description for key in keys):
        with_keys = f" with the keys {', '.join(keys)}" if keys else ""
        raise CheckpointError(f"the {what} {path} must be a JSON object{with_keys}.")
    return description


def read_weights(path: Path, what: str, missing: type[ExplorerError] = CheckpointError) -> dict[str, torch.Tensor]:
    """The tensors in a safetensors file, or one error sentence naming it."""
    if not path.is_file():
        raise missing(f"the {what} {path} does not exist.")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"the {what} {path} is corrupt or not a safetensors file ({error}).") from None
