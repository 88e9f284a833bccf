"""Every Python code block in README.md and docs/*.md runs as written, on the shipped demo files."""

from __future__ import annotations

import os
import re

import pytest

from explorer.paths import REPO_ROOT

DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
# `print(EXPRESSION)  # OUTPUT` in a block claims what the line prints: the comment must begin with it.
CLAIMED_PRINT = re.compile(r"^(\s*)print\((.*)\)\s+#\s*(.+)$", re.MULTILINE)


def checked_prints(code: str) -> str:
    """The block with each claimed print turned into a print that fails when the output is not what it claims."""
    return CLAIMED_PRINT.sub(lambda match: f"{match[1]}__printed__(({match[2]}), {match[3]!r})", code)


def printed(value, claim: str) -> None:
    print(value)
    assert claim.startswith(str(value)), f"the comment claims {claim!r}, the line prints {value}"


def python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for document in DOCUMENTS:
        for index, match in enumerate(BLOCK.finditer(document.read_text(encoding="utf-8"))):
            blocks.append((f"{document.relative_to(REPO_ROOT)}#{index}", match.group(1)))
    return blocks


def test_a_claimed_print_that_is_wrong_fails():
    namespace = {"__printed__": printed}
    exec(checked_prints("x = [1]\nprint(x)  # [1]: one item\n"), namespace)  # noqa: S102
    with pytest.raises(AssertionError, match="the comment claims"):
        exec(checked_prints("print(len('ab'))  # 3\n"), namespace)  # noqa: S102


def test_the_readme_has_a_library_example():
    assert any(name.startswith("README.md") for name, _ in python_blocks())


@pytest.mark.parametrize("name, code", python_blocks(), ids=[name for name, _ in python_blocks()])
def test_code_block_runs(name, code, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # the blocks use paths relative to the repository, as a reader would
    namespace: dict = {"__name__": "__doc_example__", "__printed__": printed}
    exec(compile(checked_prints(code), name, "exec"), namespace)  # noqa: S102 - our own documentation
    assert os.getcwd() == str(REPO_ROOT)
