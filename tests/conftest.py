"""Fixtures shared by the test modules.

Test helpers (``media_factory``, ``perturbation_reference``) sit beside the tests and are imported by module name:
pytest puts this folder on ``sys.path``. Paths come from :mod:`explorer.paths`, as in the library.
"""

from __future__ import annotations

import pytest

from explorer.explain import checkpoint_encoder
from explorer.models import load_checkpoint
from explorer.paths import REPO_ROOT

DEMO_CHECKPOINTS = REPO_ROOT / "checkpoints" / "demo"


@pytest.fixture(scope="session")
def stan():
    """The committed demo STAN and its pretrained encoder, loaded once for the whole run."""
    model = load_checkpoint(DEMO_CHECKPOINTS / "stan")
    return model, checkpoint_encoder(model)
