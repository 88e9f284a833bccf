"""Reading annotation files, turning every I/O or format problem into a DataError that names the file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Callable, TypeVar

from explorer.errors import DataError
from explorer.paths import DATASET_ASSETS

T = TypeVar("T")


def require_folder(path: Path) -> Path:
    if not path.is_dir():
        raise DataError(f"Dataset folder {path} does not exist; pass the folder that holds the annotation files.")
    return path


def read_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the non-empty lines of a UTF-8 file (a leading byte-order mark is ignored)."""
    if not path.is_file():
        raise DataError(f"Annotation file {path} is missing.")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"Cannot read annotation file {path} as UTF-8 text ({error}).") from None
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def read_tsv(path: Path, columns: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """Rows of a tab-separated file whose header must be ``columns``, as (line number, fields)."""
    lines = read_lines(path)
    if not lines or lines[0][1].split("\t") != list(columns):
        raise DataError(f"{path} must start with the tab-separated header {' '.join(columns)!r}.")
    rows = []
    for number, line in lines[1:]:
        fields = line.split("\t")
        if len(fields) != len(columns):
            raise DataError(f"{path} line {number} has {len(fields)} tab-separated fields, expected {len(columns)}.")
        rows.append((number, fields))
    return rows


def parse_seconds(text: str, path: Path, number: int) -> int:
    """A time in whole seconds; fractions are truncated as the official code's ``int()`` does."""
    try:
        return int(float(text))
    except ValueError:
        raise DataError(f"{path} line {number}: {text!r} is not a time in seconds.") from None


def cached_by_root(default: str) -> Callable[[Callable[[Path], T]], Callable[[str | Path | None], T]]:
    """Parse each dataset folder once per process; ``None`` means the shipped copy ``assets/datasets/<default>``."""

    def decorate(loader: Callable[[Path], T]) -> Callable[[str | Path | None], T]:
        cached = functools.lru_cache(maxsize=None)(loader)

        @functools.wraps(loader)
        def load(root: str | Path | None = None) -> T:
            return cached(require_folder(Path(root) if root is not None else DATASET_ASSETS / default).resolve())

        load.cache_clear = cached.cache_clear
        return load

    return decorate
