"""Train and score the demo's models several at a time, one worker process each.

The demo's models are small, and most of their training time goes to memory-bound element-wise work that a second
thread barely speeds up; two single-threaded processes get through two models in about the time one two-threaded
process takes for one (benchmarks/bench_reproduce.py measures it). Workers are forked, so they read the parent's
feature splits without a copy, and send back only each model's weights (safetensors bytes), its training summary and
its test metrics.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

import torch
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from explorer.demo.scoring import evaluate_demo_model
from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import FeatureSplit, Recipe, model_config, train_model
from explorer.models import AVModel, create_model

Splits = tuple[FeatureSplit, FeatureSplit, FeatureSplit]  # train, val, test
# The splits a forked worker reads; set in the parent just before the workers start.
_SPLITS: Splits | None = None


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _fit(name: str, recipe: Recipe, splits: Splits) -> tuple[AVModel, dict, dict]:
    train_split, val_split, test_split = splits
    model, trained, seconds = train_model(name, train_split, val_split, recipe)
    summary = {
        "best_epoch": trained.best_epoch,
        "epochs_run": len(trained.history),
        "val_metrics": trained.val_metrics,
        "wall_seconds": round(seconds, 1),
    }
    return model, summary, evaluate_demo_model(model, test_split, recipe)


def _fit_in_worker(name: str, recipe: Recipe) -> tuple[str, bytes, dict, dict]:
    model, summary, metrics = _fit(name, recipe, _SPLITS)
    state = {key: value.contiguous() for key, value in model.state_dict().items()}
    return name, save_tensors(state), summary, metrics


def _rebuild(name: str, recipe: Recipe, splits: Splits, state: bytes) -> AVModel:
    train_split = splits[0]
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
    ``(name, (model, training summary, test metrics))`` as each finishes. ``workers`` > 1 runs that many single-threaded
    worker processes (their cores shared out), the longest ``expected_seconds`` first so that none is left alone at
    the end; 1 trains in this process, in order."""
    if workers <= 1 or len(names) <= 1:
        for name in names:
            yield name, _fit(name, recipe, splits)
        return
    global _SPLITS
    expected = expected_seconds or {}
    order = sorted(names, key=lambda name: -expected.get(name, 0.0))
    threads = max(1, default_workers() // workers)
    _SPLITS = splits
    try:
        with ProcessPoolExecutor(
            min(workers, len(names)),
            mp_context=multiprocessing.get_context("fork"),
            initializer=torch.set_num_threads,
            initargs=(threads,),
        ) as pool:
            futures = [pool.submit(_fit_in_worker, name, recipe) for name in order]
            for future in as_completed(futures):
                name, state, summary, metrics = future.result()
                yield name, (_rebuild(name, recipe, splits, state), summary, metrics)
    finally:
        _SPLITS = None
