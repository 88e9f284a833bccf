"""Where things are: the project's folders and every ``EXPLORER_*`` variable that moves them, in one place."""

from __future__ import annotations

import os
from pathlib import Path

from explorer.errors import DataError

REPO_ROOT = Path(__file__).resolve().parents[1]
ASSETS = REPO_ROOT / "assets"
PAGES_DIR = REPO_ROOT / "pages"
HOME_PAGE = REPO_ROOT / "explorer" / "Home.py"
DEMO_SOURCES = ASSETS / "demo" / "sources"
REAL_MEDIA = ASSETS / "real"
DATASET_ASSETS = ASSETS / "datasets"

# The variables, each with what it moves.
CHECKPOINTS_VARIABLE = "EXPLORER_CHECKPOINTS_DIR"  # the checkpoints the app lists (default <repo>/checkpoints)
DEMO_SAMPLES_VARIABLE = "EXPLORER_DEMO_SAMPLES"  # the demo samples the app browses
DATASET_ROOT_VARIABLES = {"ave": "EXPLORER_AVE_ROOT", "llp": "EXPLORER_LLP_ROOT"}  # the app's dataset roots
ENCODER_DIR_VARIABLE = "EXPLORER_ENCODER_DIR"  # local encoder weights (default <repo>/checkpoints/encoders)
DEMO_CACHE_VARIABLE = "EXPLORER_DEMO_CACHE"  # the demo's feature cache (default ~/.cache/stan-explorer)
ROOTS_VARIABLE = "EXPLORER_ROOTS"  # colon-separated folders a public server may open; unset on a laptop


def _from(variable: str, default: Path) -> Path:
    return Path(os.environ.get(variable) or default)


def checkpoints_dir() -> Path:
    return _from(CHECKPOINTS_VARIABLE, REPO_ROOT / "checkpoints")


def demo_samples_dir() -> Path:
    return _from(DEMO_SAMPLES_VARIABLE, ASSETS / "demo" / "samples")


def encoder_weights_dir() -> Path:
    return _from(ENCODER_DIR_VARIABLE, REPO_ROOT / "checkpoints" / "encoders")


def demo_cache_dir(path: str | os.PathLike | None = None) -> Path:
    return (
        Path(path) if path else _from(DEMO_CACHE_VARIABLE, Path.home() / ".cache" / "stan-explorer" / "demo-features")
    )


def dataset_root(dataset: str) -> str | None:
    """The root folder the environment gives ``dataset`` ("ave", "llp"), if any."""
    variable = DATASET_ROOT_VARIABLES.get(dataset)
    return os.environ.get(variable) if variable else None


def allowed_roots() -> list[Path] | None:
    """The resolved folders of EXPLORER_ROOTS, or None when it is unset or empty (no confinement)."""
    value = os.environ.get(ROOTS_VARIABLE, "")
    roots = [Path(part).expanduser().resolve() for part in value.split(":") if part.strip()]
    return roots or None


def make_folder(path: Path, what: str) -> Path:
    """``path`` as a folder (created if needed), or a DataError that names it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or error
        raise DataError(f"Cannot use {path} as the {what} folder ({reason}); pick another path.") from None
    return path
