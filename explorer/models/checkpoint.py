"""Checkpoints: an artifact (:mod:`explorer.artifacts`) whose JSON holds ``describe()`` and the model card."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from pathlib import Path

import torch

from explorer.artifacts import (
    artifact_base,
    description_path,
    read_description,
    read_weights,
    save_artifact,
    weights_path,
)
from explorer.errors import CheckpointError
from explorer.models.base import AVModel
from explorer.models.registry import create_model, list_models, list_presets

_REQUIRED_KEYS = ("model", "num_classes", "audio_dim", "visual_dim", "config")


def git_commit() -> str | None:
    """The source tree's commit, so a checkpoint names the code that made it."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def save_checkpoint(model: AVModel, path: str | os.PathLike, card: dict) -> Path:
    """Write ``path.safetensors`` + ``path.json``; the card gains ``git_commit`` and ``date`` if absent."""
    card = {"git_commit": git_commit(), "date": datetime.datetime.now().astimezone().isoformat(), **card}
    return save_artifact(path, {**model.describe(), "card": card}, model.state_dict())


def _read_description(json_path: Path) -> dict:
    description = read_description(json_path, "checkpoint file", keys=_REQUIRED_KEYS)
    if description["model"] not in list_models():
        raise CheckpointError(
            f"checkpoint file {json_path} names the unknown model {description['model']!r}; "
            f"known models: {', '.join(list_models())}."
        )
    preset = description.get("preset")
    if preset is not None and (preset not in list_presets() or preset.partition(".")[0] != description["model"]):
        raise CheckpointError(
            f"checkpoint file {json_path} names the unknown preset {preset!r} of {description['model']}."
        )
    return description


def _build_model(description: dict, json_path: Path) -> AVModel:
    config = description["config"]
    if not isinstance(config, dict):
        raise CheckpointError(f"checkpoint file {json_path} has a 'config' that is not a JSON object.")
    try:
        return create_model(
            description.get("preset") or description["model"],
            num_classes=int(description["num_classes"]),
            audio_dim=int(description["audio_dim"]),
            visual_dim=int(description["visual_dim"]),
            **config,
        )
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"checkpoint file {json_path} describes a model that cannot be built: {error}") from None


def _check_state(state: dict[str, torch.Tensor], model: AVModel, weights_path: Path) -> None:
    expected = {name: tuple(tensor.shape) for name, tensor in model.state_dict().items()}
    found = {name: tuple(tensor.shape) for name, tensor in state.items()}
    problems = [f"missing {name}" for name in expected if name not in found]
    problems += [f"unexpected {name}" for name in found if name not in expected]
    problems += [
        f"{name} is {found[name]} instead of {shape}"
        for name, shape in expected.items()
        if name in found and found[name] != shape
    ]
    if problems:
        shown = "; ".join(problems[:3]) + ("; ..." if len(problems) > 3 else "")
        raise CheckpointError(f"weights in {weights_path} do not match the model its JSON describes: {shown}.")


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> AVModel:
    """Rebuild a saved model in eval mode, with its model card as ``model.card`` and its own path (no suffix)
    as ``model.checkpoint_path``: paths inside the card are relative to that checkpoint's folder."""
    base = artifact_base(path)
    json_path, weights = description_path(base), weights_path(base)
    for needed in (json_path, weights):
        if not needed.is_file():
            raise CheckpointError(
                f"checkpoint file {needed} does not exist; a checkpoint needs both {base}.json and {base}.safetensors."
            )
    description = _read_description(json_path)
    model = _build_model(description, json_path)
    state = read_weights(weights, "weights file")
    _check_state(state, model, weights)
    model.load_state_dict(state)
    model.card = description.get("card") or {}
    model.checkpoint_path = base
    return model.to(device).eval()


def read_checkpoint_description(path: str | os.PathLike) -> dict:
    """A checkpoint's JSON (``describe()`` and its card), checked, without reading its weights."""
    return _read_description(description_path(artifact_base(path)))


def _is_model_checkpoint(json_path: Path) -> bool:
    """Skip JSON files that are plainly something else (encoder weights' metadata, say)."""
    try:
        description = json.loads(json_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return True  # list it anyway: loading it names the problem
    return not isinstance(description, dict) or "model" in description


def list_checkpoints(root: str | os.PathLike = "checkpoints") -> list[Path]:
    """Every checkpoint under ``root`` (recursively), as suffix-less paths for :func:`load_checkpoint`."""
    root = Path(root)
    if not root.is_dir():
        return []
    return sorted(
        artifact_base(json_path)
        for json_path in root.rglob("*.json")
        if weights_path(artifact_base(json_path)).is_file() and _is_model_checkpoint(json_path)
    )
