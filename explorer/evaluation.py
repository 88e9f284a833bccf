"""Evaluate a trained model: recognition metrics, pointing games and perturbation tests (paper §4).

:func:`evaluate_model` returns one JSON-ready dict, the same for the CLI, the
app and the report. A value that does not apply (a model without time
attention has no temporal pointing game) is ``None``, never a made-up number.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from explorer.errors import DataError
from explorer.explain import perturbation_tvd, pointing_game, spatial_pointing_game
from explorer.explain.clip import checkpoint_encoder, encode_clip
from explorer.explain.pointing import POINTING_TOLERANCE_PX, trivial_spatial_hits
from explorer.metrics import evaluate_predictions
from explorer.models.base import AVModel
from explorer.training import Predictions, iterate_batches, predict

DEFAULT_SIGMA2 = tuple(round(0.1 * step, 1) for step in range(11))  # the paper's Figure 3 axis, 0 … 1


def _finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN: an undefined metric (no positives, nothing scored) becomes null."""
    return None if value is None or not math.isfinite(value) else float(value)


def json_ready(value):
    """``value`` with numpy scalars made plain and NaN / infinity made None, ready for strict JSON."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return _finite_or_none(float(value))
    if isinstance(value, np.integer):
        return int(value)
    return value


def _annotated(masks: Sequence[np.ndarray | None] | None) -> list[int]:
    return [] if masks is None else [i for i, mask in enumerate(masks) if mask is not None]


def temporal_pointing(predictions: Predictions, time_masks: Sequence[np.ndarray | None] | None) -> dict:
    """MAE of time attention against human masks (Table 3), soft and thresholded, over clips that have a mask; the
    same for the top class's CAV (min-max per clip), and the MAE of answering "every second" beside them."""
    annotated = _annotated(time_masks)
    masks = [np.asarray(time_masks[i]) for i in annotated]
    scores = {
        "pointing_mae_soft": None,
        "pointing_mae_binary": None,
        "pointing_clips": len(annotated),
        "cav_mae_soft": None,
        "baseline_mae_every_second": pointing_game([np.ones(len(mask)) for mask in masks], masks) if masks else None,
    }
    if predictions.time_attention is not None and annotated:
        attention = [predictions.time_attention[i] for i in annotated]
        scores["pointing_mae_soft"] = pointing_game(attention, masks)
        scores["pointing_mae_binary"] = pointing_game(attention, masks, binary=True)
    if predictions.class_time is not None and annotated:
        scores["cav_mae_soft"] = pointing_game([predictions.class_time[i] for i in annotated], masks)
    return scores


def spatial_pointing(predictions: Predictions, space_masks: Sequence[np.ndarray | None] | None) -> dict:
    """Hit rates of the space attention's peak and of the top class's CAM peak against per-segment object masks
    (T×H×W per clip): within 15 px at 224 (the field's pointing game) and strictly inside; the centre point and
    a random point beside them."""
    annotated = _annotated(space_masks)
    masks = [np.asarray(space_masks[i]) for i in annotated]
    scores = {}
    for key, maps in (("spatial_hit_rate", predictions.space_attention), ("cam_hit_rate", predictions.class_space)):
        for suffix, tolerance in (("", POINTING_TOLERANCE_PX), ("_strict", 0)):
            scores[key + suffix] = (
                None
                if maps is None or not masks
                else _finite_or_none(spatial_pointing_game([maps[i] for i in annotated], masks, tolerance))
            )
    for suffix, tolerance in (("", POINTING_TOLERANCE_PX), ("_strict", 0)):
        trivial = trivial_spatial_hits(masks, tolerance) if masks else {"centre": None, "random": None}
        scores["baseline_hit_centre" + suffix] = _finite_or_none(trivial["centre"])
        scores["baseline_hit_random" + suffix] = _finite_or_none(trivial["random"])
    return scores


def perturbation(
    model: AVModel,
    dataset: Dataset,
    sigma2: Sequence[float] = DEFAULT_SIGMA2,
    draws: int = 100,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
    seed: int = 0,
    sampling: str = "exact",
) -> dict[str, list[float]]:
    """Mean TVD per σ² over every clip, perturbing relevant and irrelevant features (Figure 3); ``sampling`` as
    :func:`explorer.explain.perturbation.perturbation_tvd`."""
    generator = torch.Generator().manual_seed(seed)
    per_clip = {"relevant": [], "irrelevant": []}
    for audio, visual, _, _ in iterate_batches(dataset, batch_size):
        batch = (audio.to(device).float(), visual.to(device).float())
        for kind in per_clip:
            relevant = kind == "relevant"
            per_clip[kind].append(perturbation_tvd(model, batch, sigma2, draws, relevant, generator, sampling=sampling))
    return {
        "sigma2": [float(level) for level in sigma2],
        **{f"tvd_{kind}": np.concatenate(parts, axis=1).mean(axis=1).tolist() for kind, parts in per_clip.items()},
    }


def evaluate_model(
    model: AVModel,
    dataset: Dataset,
    time_masks: Sequence[np.ndarray | None] | None = None,
    space_masks: Sequence[np.ndarray | None] | None = None,
    perturb: bool = False,
    sigma2: Sequence[float] = DEFAULT_SIGMA2,
    draws: int = 100,
    batch_size: int = 32,
    device: str | torch.device = "cpu",
) -> dict:
    """Every number of paper §4 for ``model`` on ``dataset`` (items: audio, visual, labels, index).

    ``time_masks`` / ``space_masks`` are aligned with the data set: a T vector /
    T×H×W array per clip, or ``None`` for a clip without human annotation.
    """
    predictions = predict(model, dataset, batch_size, device)
    scores = evaluate_predictions(predictions.probs, predictions.labels)
    result = {
        "model": model.name,
        "num_clips": len(predictions.indices),
        **{name: _finite_or_none(value) for name, value in scores.items()},
        **temporal_pointing(predictions, time_masks),
        **spatial_pointing(predictions, space_masks),
        "sigma2": [],
        "tvd_relevant": [],
        "tvd_irrelevant": [],
    }
    has_attention = predictions.time_attention is not None or predictions.space_attention is not None
    if perturb and has_attention:
        result.update(perturbation(model, dataset, sigma2, draws, batch_size, device))
    return result


# -- clips instead of stored features ------------------------------------------------------------------------------
def read_segment_masks(path: Path) -> dict[str, np.ndarray]:
    """``masks.npz`` of a demo folder: per video id, T×H×W 0/1 masks of the sounding objects."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise DataError(f"Mask file {path} is missing; rebuild the demo folder with `explorer demo build`.") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DataError(f"Mask file {path} is not a readable npz archive ({error}).") from None


def encode_demo_folder(model: AVModel, dataset, root: Path) -> tuple[list, list, list]:
    """Encode every clip of a demo folder for ``model``: (items, time masks, space masks), aligned."""
    encoder = checkpoint_encoder(model)
    segment_masks = read_segment_masks(root / "masks.npz")
    items, time_masks, space_masks = [], [], []
    for sample in dataset.samples:
        audio, visual = encode_clip(encoder, root / "clips" / f"{sample.video_id}.mp4")
        items.append((audio, visual, torch.tensor(sample.labels), sample.index))
        time_masks.append(sample.time_mask_any)
        space_masks.append(segment_masks.get(sample.video_id))
    return items, time_masks, space_masks


def annotated_clips(
    items: Sequence, time_masks: Sequence[np.ndarray | None], space_masks: Sequence[np.ndarray | None] | None
) -> list:
    """Feature items ``(audio, visual, labels, index)`` with their masks as the methods' AnnotatedClip
    (:meth:`AnnotatedClip.of_sample`)."""
    from explorer.explain.methods.metrics import AnnotatedClip

    masks = space_masks or [None] * len(items)
    return [
        AnnotatedClip.of_sample(audio, visual, labels, time_mask, space_mask)
        for (audio, visual, labels, _), time_mask, space_mask in zip(items, time_masks, masks)
    ]


def evaluate_methods(model: AVModel, clips: Sequence, names: Sequence[str], draws: int = 16, seed: int = 0) -> dict:
    """Every explanation method's scores on ``clips`` (:func:`annotated_clips`), by method name; a method that does
    not apply to the model says why instead (``unavailable``) and has no scores."""
    from explorer.explain.methods import create_method
    from explorer.explain.methods.metrics import score_method

    results = {}
    for name in names:
        method = create_method(name)
        reason = method.unavailable(model)
        results[name] = (
            {"unavailable": reason} if reason else score_method(model, method, clips, draws=draws, seed=seed)
        )
    return results
