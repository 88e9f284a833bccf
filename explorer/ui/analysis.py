"""Pure logic behind the app's views: shape one clip's Explanation for display.

Nothing here imports streamlit, so every function is tested directly.
"""

from __future__ import annotations

import json
from typing import Sequence

import numpy as np
import torch

from explorer.models.base import PREDICTION_THRESHOLD, Explanation
from explorer.training import min_max


def unit_range(values: np.ndarray) -> np.ndarray:
    """Rescale a whole map to [0, 1] so raw CAM / CAV scores share the attention's colour scale; the same rule as
    the metrics' (:func:`explorer.training.min_max`: a constant map points at everything alike, so it becomes ones)."""
    flat = torch.from_numpy(np.asarray(values, dtype=np.float64).reshape(1, -1))
    return min_max(flat).numpy().reshape(np.shape(values))


def space_maps(result: Explanation, class_index: int | None) -> np.ndarray | None:
    """T×H×W maps in [0, 1] of the explained clip: class-agnostic A^s·A^t, or the CAM of ``class_index``."""
    if class_index is not None:
        cam = result.numpy("cam")
        return None if cam is None else unit_range(cam[..., class_index])
    return result.numpy("space_time_attention")


def class_activation_values(result: Explanation, class_index: int) -> np.ndarray | None:
    """The CAV of one class over time (T), rescaled to [0, 1]."""
    cav = result.numpy("cav")
    return None if cav is None else unit_range(cav[:, class_index])


def predicted_classes(probs: np.ndarray) -> list[int]:
    """Indices of predicted classes, most probable first; always at least the top one."""
    order = [int(i) for i in np.argsort(-probs)]
    chosen = [i for i in order if probs[i] >= PREDICTION_THRESHOLD]
    return chosen or order[:1]


def prediction_rows(
    probs: np.ndarray, classes: Sequence[str], labels: np.ndarray | None = None, top: int = 5
) -> list[dict]:
    """The ``top`` most probable classes as table rows, with the ground truth when known."""
    rows = []
    for index in [int(i) for i in np.argsort(-probs)[:top]]:
        row = {
            "class": classes[index],
            "probability": float(probs[index]),
            "predicted": bool(probs[index] >= PREDICTION_THRESHOLD),
        }
        if labels is not None:
            row["true label"] = bool(labels[index])
        rows.append(row)
    return rows


def is_correct(probs: np.ndarray, labels: np.ndarray) -> bool:
    """The paper's top-1 rule: the most probable class is one of the true labels."""
    return bool(labels[int(np.argmax(probs))])


def export_json(result: Explanation, classes: Sequence[str], source: str, model_label: str) -> str:
    """The explanation's JSON (:meth:`Explanation.to_json`, the layout ``explorer explain`` writes) for download."""
    return json.dumps({"clip": source, "model_label": model_label, **result.to_json(classes)}, indent=1)


def noisy_waveform(
    audio: np.ndarray,
    sample_rate: int,
    time_attention: np.ndarray,
    sigma2: float,
    relevant: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """Raw-audio analogue of the perturbation test: N(0, σ²) noise on the seconds whose attention is ≥ 0.5
    (``relevant``) or < 0.5, clipped to [-1, 1]."""
    chosen = (time_attention >= 0.5) if relevant else (time_attention < 0.5)
    mask = np.repeat(chosen, sample_rate)[: len(audio)]
    noise = rng.normal(0.0, np.sqrt(sigma2), size=len(audio)).astype(np.float32)
    return np.clip(audio + noise * mask, -1.0, 1.0)


def noisy_frame(
    frame: np.ndarray, attention: np.ndarray, sigma2: float, relevant: bool, rng: np.random.Generator
) -> np.ndarray:
    """A frame with N(0, σ²) pixel noise (pixels in [0, 1]) where the frame-sized attention is ≥ 0.5 (or < 0.5)."""
    chosen = (attention >= 0.5) if relevant else (attention < 0.5)
    noise = rng.normal(0.0, np.sqrt(sigma2), size=frame.shape) * chosen[..., None]
    return np.uint8(255 * np.clip(frame / 255.0 + noise, 0.0, 1.0))
