"""Typed paths on a public server: with EXPLORER_ROOTS set, only paths inside those folders are opened."""

from __future__ import annotations

import os
from pathlib import Path

from explorer.errors import InvalidInputError
from explorer.paths import ROOTS_VARIABLE, allowed_roots

REFUSAL = (
    f"That path is outside the folders this server opens ({ROOTS_VARIABLE}); ask whoever runs it to add its "
    "folder there."
)


def confined(path: str | os.PathLike, suffixes: tuple[str, ...] = ()) -> Path:
    """``path`` unchanged when it (and each ``path + suffix``, which a checkpoint's files are) resolves, symlinks and
    ``..`` included, inside an allowed root; else one InvalidInputError sentence that does not say whether it exists."""
    roots = allowed_roots()
    path = Path(path)
    if roots is None:
        return path
    candidates = [path, *(path.with_name(path.name + suffix) for suffix in suffixes)]
    for candidate in candidates:
        resolved = candidate.expanduser().resolve()
        if not any(resolved == root or resolved.is_relative_to(root) for root in roots):
            raise InvalidInputError(REFUSAL)
    return path
