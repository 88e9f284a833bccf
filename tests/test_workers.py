"""``explorer demo reproduce --workers``: models trained in worker processes are the models the parent would train."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer.demo.reproduce import previous_training_seconds
from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import QUICK, FeatureSplit
from explorer.demo.workers import fit_models

NAMES = ("stan", "av_abn", "audio_baseline")


def random_split(clips: int, seed: int) -> FeatureSplit:
    """Features of the demo's dims (aiSFX 512, a 4×4 map of 112) with one label per clip and object masks."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.zeros(clips, len(CLASS_NAMES))
    labels[torch.arange(clips), torch.randint(len(CLASS_NAMES), (clips,), generator=generator)] = 1
    rng = np.random.default_rng(seed)
    return FeatureSplit(
        [f"clip{index}" for index in range(clips)],
        torch.randn(clips, 3, 512, generator=generator),
        torch.randn(clips, 3, 4, 4, 112, generator=generator),
        labels,
        (rng.random((clips, 3)) > 0.5).astype(np.float32),
        (rng.random((clips, 3, 32, 32)) > 0.8).astype(np.uint8),
    )


@pytest.fixture(scope="module")
def splits():
    return random_split(24, 1), random_split(8, 2), random_split(6, 3)


def test_workers_train_exactly_what_one_process_trains(splits, monkeypatch):
    recipe = replace(QUICK, epochs=2, patience=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the workers' thread count, so that both sides run the same kernels
    try:
        serial = dict(fit_models(NAMES, splits, recipe, workers=1))
    finally:
        torch.set_num_threads(threads)
    monkeypatch.setattr("explorer.demo.workers.default_workers", lambda: 2)  # one thread per worker
    parallel = dict(fit_models(NAMES, splits, recipe, workers=2, expected_seconds={"av_abn": 9.0}))
    assert set(parallel) == set(NAMES)
    for name in NAMES:
        (model, summary, metrics), (twin, twin_summary, twin_metrics) = serial[name], parallel[name]
        assert type(twin) is type(model) and not twin.training
        for key, tensor in model.state_dict().items():
            torch.testing.assert_close(twin.state_dict()[key], tensor, rtol=0, atol=0)
        assert twin_metrics == metrics
        assert {key: value for key, value in twin_summary.items() if key != "wall_seconds"} == {
            key: value for key, value in summary.items() if key != "wall_seconds"
        }


def test_a_failing_worker_raises_its_error_in_the_parent(splits):
    with pytest.raises(ValueError, match="unknown model 'nope'"):
        list(fit_models(("cam", "nope"), splits, replace(QUICK, epochs=1, patience=1), workers=2))


def test_previous_training_seconds_reads_cards_and_skips_the_rest(tmp_path):
    (tmp_path / "stan.json").write_text('{"card": {"training": {"wall_seconds": 12.5}}}')
    (tmp_path / "cam.json").write_text("not json")
    (tmp_path / "abn.json").write_text('{"card": {}}')
    assert previous_training_seconds(tmp_path) == {"stan": 12.5}
