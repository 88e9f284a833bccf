"""The demo's per-model work (training and scoring each model, scoring each model's explanation methods) several
models at a time, one forked worker process each.

The demo's models are small, and much of their time goes to memory-bound element-wise work that a second thread
barely speeds up: two single-threaded processes get through two models in about the time one two-threaded process
takes for one (benchmarks/bench_reproduce.py measures it). Workers are forked, so they read the parent's features and
models without a copy, and send back only what they made: each model's weights as safetensors bytes, its training
summary and metrics.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from explorer.demo.scoring import evaluate_demo_model
from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import FeatureSplit, Recipe, model_config, train_model
from explorer.models import AVModel, create_model

Splits = tuple[FeatureSplit, FeatureSplit, FeatureSplit]  # train, val, test
# What a forked worker's task reads (features, models); set in the parent just before the workers start.
_SHARED: Any = None


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _call_shared(task: Callable[[str, Any], Any], name: str) -> tuple[str, Any]:
    return name, task(name, _SHARED)


def per_model(
    task: Callable[[str, Any], Any],
    names: Sequence[str],
    shared: Any,
    workers: int = 1,
    expected_seconds: Mapping[str, float] | None = None,
) -> Iterator[tuple[str, Any]]:
    """``(name, task(name, shared))`` for each name, as each finishes. ``workers`` > 1 runs the tasks in that many
    forked single-threaded processes (the cores shared out among them), the longest ``expected_seconds`` first so that
    none is left running alone at the end; ``task`` must be a module-level function and its result picklable. 1 runs
    them here, in order."""
    if workers <= 1 or len(names) <= 1:
        for name in names:
            yield name, task(name, shared)
        return
    global _SHARED
    expected = expected_seconds or {}
    order = sorted(names, key=lambda name: -expected.get(name, 0.0))
    _SHARED = shared
    try:
        with ProcessPoolExecutor(
            min(workers, len(names)),
            mp_context=multiprocessing.get_context("fork"),
            initializer=torch.set_num_threads,
            initargs=(max(1, default_workers() // workers),),
        ) as pool:
            futures = [pool.submit(_call_shared, task, name) for name in order]
            for future in as_completed(futures):
                yield future.result()
    finally:
        _SHARED = None


def _fit(name: str, job: tuple[Splits, Recipe]) -> tuple[bytes, dict, dict]:
    (train_split, val_split, test_split), recipe = job
    model, trained, seconds = train_model(name, train_split, val_split, recipe)
    summary = {
        "best_epoch": trained.best_epoch,
        "epochs_run": len(trained.history),
        "val_metrics": trained.val_metrics,
        "wall_seconds": round(seconds, 1),
    }
    state = {key: value.contiguous() for key, value in model.state_dict().items()}
    return save_tensors(state), summary, evaluate_demo_model(model, test_split, recipe)


def _rebuild(name: str, recipe: Recipe, train_split: FeatureSplit, state: bytes) -> AVModel:
    preset, config = model_config(name, recipe)
    model = create_model(preset, len(CLASS_NAMES), train_split.audio.shape[-1], train_split.visual.shape[-1], **config)
    model.load_state_dict(load_tensors(state))
    return model.eval()


def fit_models(
    names: Sequence[str],
    splits: Splits,
    recipe: Recipe,
    workers: int = 1,
    expected_seconds: Mapping[str, float] | None = None,
) -> Iterator[tuple[str, tuple[AVModel, dict, dict]]]:
    """Train each of ``names`` on the train split (early stopping on val), score it on the test split, and yield
    ``(name, (model, training summary, test metrics))`` as each finishes (:func:`per_model` runs them)."""
    for name, (state, summary, metrics) in per_model(_fit, names, (splits, recipe), workers, expected_seconds):
        yield name, (_rebuild(name, recipe, splits[0], state), summary, metrics)
