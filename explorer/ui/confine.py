"""Typed paths on a public server: with EXPLORER_ROOTS set, only paths inside those folders are opened (no streamlit)."""
from __future__ import annotations

import os
from pathlib import Path

from explorer.errors import InvalidInputError

ROOTS_VARIABLE = "EXPLORER_ROOTS"  # colon-separated folders; unset on a laptop, where any path works
REFUSAL = (f"That path is outside the folders this server opens ({ROOTS_VARIABLE}); ask whoever runs it to add its "
           "folder there.")


def allowed_roots() -> list[Path] | None:
    """The resolved folders of EXPLORER_ROOTS, or None when it is unset or empty (no confinement)."""
    value = os.environ.get(ROOTS_VARIABLE, "")
    roots = [Path(part).expanduser().resolve() for part in value.split(":") if part.strip()]
    return roots or None


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
