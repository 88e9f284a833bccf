"""Every Python code block in README.md and docs/*.md runs as written, on the shipped demo files."""

from __future__ import annotations

import os
import re

import pytest

from explorer.paths import REPO_ROOT

DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[tuple[str, str]]:
    blocks = []
    for document in DOCUMENTS:
        for index, match in enumerate(BLOCK.finditer(document.read_text(encoding="utf-8"))):
            blocks.append((f"{document.relative_to(REPO_ROOT)}#{index}", match.group(1)))
    return blocks


def test_the_readme_has_a_library_example():
    assert any(name.startswith("README.md") for name, _ in python_blocks())


@pytest.mark.parametrize("name, code", python_blocks(), ids=[name for name, _ in python_blocks()])
def test_code_block_runs(name, code, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # the blocks use paths relative to the repository, as a reader would
    namespace: dict = {"__name__": "__doc_example__"}
    exec(compile(code, name, "exec"), namespace)  # noqa: S102 - our own documentation
    assert os.getcwd() == str(REPO_ROOT)
