"""EXPLORER_ROOTS: typed paths outside the allowed folders are refused, symlinks and .. included."""

from __future__ import annotations

import pytest

from explorer.errors import InvalidInputError
from explorer.paths import ROOTS_VARIABLE
from explorer.ui.confine import REFUSAL, confined


def test_unset_allows_any_path(monkeypatch, tmp_path):
    monkeypatch.delenv(ROOTS_VARIABLE, raising=False)
    assert str(confined(tmp_path / "anything")) == str(tmp_path / "anything")


def test_inside_is_allowed_outside_refused(monkeypatch, tmp_path):
    allowed, other = tmp_path / "allowed", tmp_path / "other"
    allowed.mkdir(), other.mkdir()
    (other / "secret.json").write_text("{}")
    monkeypatch.setenv(ROOTS_VARIABLE, f"{allowed}:/nonexistent-root")
    assert confined(allowed / "demo" / "stan", suffixes=(".json",)) == allowed / "demo" / "stan"
    for path in (other / "secret", allowed / ".." / "other" / "secret", "/etc"):
        with pytest.raises(InvalidInputError) as refused:
            confined(path, suffixes=(".json",))
        assert str(refused.value) == REFUSAL and ROOTS_VARIABLE in REFUSAL
    # the sentence is the same whether the path exists or not
    with pytest.raises(InvalidInputError, match="outside the folders"):
        confined(other / "does-not-exist")


def test_symlinks_are_resolved(monkeypatch, tmp_path):
    allowed, other = tmp_path / "allowed", tmp_path / "other"
    allowed.mkdir(), other.mkdir()
    (other / "model.json").write_text("{}")
    (allowed / "model.json").symlink_to(other / "model.json")
    (allowed / "escape").symlink_to(other)
    monkeypatch.setenv(ROOTS_VARIABLE, str(allowed))
    with pytest.raises(InvalidInputError):
        confined(allowed / "model", suffixes=(".json",))
    with pytest.raises(InvalidInputError):
        confined(allowed / "escape")
