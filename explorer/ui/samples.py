"""Sample tables, filters and annotation boxes for Browse and the pointing game (no streamlit)."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from explorer.data.dataset import Sample
from explorer.errors import DataError
from explorer.ui.analysis import is_correct

CONTAINERS = ("mp4", "mov", "webm", "mkv", "avi", "ogv", "flv")  # what explorer.media decodes


@dataclass(frozen=True)
class SampleFilter:
    classes: tuple[str, ...] = ()  # empty: any class
    split: str | None = None
    correctness: str = "all"  # "all", "correct" or "incorrect"
    confidence: tuple[float, float] = (0.0, 1.0)


def sample_rows(samples: Sequence[Sample], classes: Sequence[str], probs: dict[int, np.ndarray]) -> list[dict]:
    """One table row per sample; prediction columns only for samples in ``probs`` (index → K probabilities)."""
    rows = []
    for sample in samples:
        row = {
            "index": sample.index,
            "video": sample.video_id,
            "split": sample.split or "",
            "labels": ", ".join(classes[i] for i in np.flatnonzero(sample.labels)),
        }
        if sample.index in probs:
            p = probs[sample.index]
            top = int(np.argmax(p))
            row.update(predicted=classes[top], confidence=float(p[top]), correct=is_correct(p, sample.labels))
        rows.append(row)
    return rows


def filter_rows(rows: Iterable[dict], wanted: SampleFilter) -> list[dict]:
    """Rows that pass every filter; prediction filters drop rows that have no prediction."""
    kept = []
    for row in rows:
        labels = set(row["labels"].split(", "))
        if wanted.classes and not labels.intersection(wanted.classes):
            continue
        if wanted.split and row["split"] != wanted.split:
            continue
        needs_prediction = wanted.correctness != "all" or wanted.confidence != (0.0, 1.0)
        if needs_prediction and "confidence" not in row:
            continue
        if wanted.correctness != "all" and row["correct"] != (wanted.correctness == "correct"):
            continue
        if "confidence" in row and not wanted.confidence[0] <= row["confidence"] <= wanted.confidence[1]:
            continue
        kept.append(row)
    return kept


def _mask_boxes(mask: np.ndarray | None, classes: Sequence[str], prefix: str) -> list[tuple[str, float, float]]:
    """Runs of 1 in each column of a T×K mask as (label, start, end) boxes."""
    if mask is None:
        return []
    boxes = []
    for k in np.flatnonzero(mask.max(axis=0)):
        column = np.concatenate([[0], mask[:, k] > 0, [0]]).astype(int)
        starts, ends = np.flatnonzero(np.diff(column) == 1), np.flatnonzero(np.diff(column) == -1)
        boxes += [(f"{prefix}{classes[k]}", float(s), float(e)) for s, e in zip(starts, ends)]
    return boxes


def annotation_boxes(sample: Sample, classes: Sequence[str]) -> list[tuple[str, float, float]]:
    """Temporal boxes to shade: audio events (AVE, demo), plus visual events where annotated (LLP)."""
    if sample.visual_time_mask is None:
        return [(name, float(start), float(end)) for name, start, end in sample.events]
    return _mask_boxes(sample.time_mask, classes, "audio: ") + _mask_boxes(sample.visual_time_mask, classes, "visual: ")


def demo_event_masks(root: Path, video_id: str) -> np.ndarray | None:
    """T×H×W 0/1 masks of the sounding objects at each second's middle frame (demo corpus), or None."""
    path = root / "masks.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            return archive[video_id] if video_id in archive.files else None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DataError(f"The object masks file {path} is unreadable ({error}); rebuild the demo corpus.") from None
