"""The demo corpus: ``annotations.txt`` (AVE format), optional ``classes.json``, and ``clips/<video_id>.mp4``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from explorer.data.ave import classes_by_first_appearance, parse_ave_annotations, read_ave_rows
from explorer.data.dataset import Dataset, Sample, frozen
from explorer.data.files import require_folder
from explorer.errors import DataError


def _read_classes(path: Path) -> list[str] | None:
    if not path.exists():
        return None
    try:
        classes = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"Class list {path} is not readable JSON ({error}).") from None
    if not isinstance(classes, list) or not classes or not all(isinstance(c, str) and c for c in classes):
        raise DataError(f"Class list {path} must be a non-empty JSON list of class names.")
    if len(set(classes)) != len(classes):
        raise DataError(f"Class list {path} names a class twice.")
    return classes


def _union(arrays: list[np.ndarray]) -> np.ndarray:
    return frozen(np.maximum.reduce(arrays))


def _merge(rows: list[Sample], index: int) -> Sample:
    """One sample per clip: the union of its rows' labels, masks and events."""
    time_mask = _union([r.time_mask for r in rows])
    labels = _union([r.labels for r in rows])
    # A labelled demo object is on screen for the whole clip; only its sound is limited to the annotated interval.
    visual_time_mask = frozen(np.broadcast_to(labels, time_mask.shape).astype(np.float32))
    return Sample(
        index=index,
        video_id=rows[0].video_id,
        labels=labels,
        time_mask=time_mask,
        visual_time_mask=visual_time_mask,
        events=tuple(event for r in rows for event in r.events),
        split="test",
        source="demo",
    )


def load_demo_dataset(root: str | Path) -> Dataset:
    """Unlike AVE, rows that share a VideoID describe one multi-label clip and are merged into one sample."""
    root = require_folder(Path(root))
    annotations = root / "annotations.txt"
    classes = _read_classes(root / "classes.json") or classes_by_first_appearance(read_ave_rows(annotations))
    by_clip: dict[str, list[Sample]] = {}
    for row in parse_ave_annotations(annotations, classes, source="demo"):
        by_clip.setdefault(row.video_id, []).append(row)
    missing = [video_id for video_id in by_clip if not (root / "clips" / f"{video_id}.mp4").is_file()]
    if missing:
        first = root / "clips" / f"{missing[0]}.mp4"
        raise DataError(f"Demo clip {first} is missing ({len(missing)} annotated clips have no video).")
    samples = tuple(_merge(rows, index) for index, rows in enumerate(by_clip.values()))
    quirks = {"rows_merged_into_earlier_clips": sum(len(rows) - 1 for rows in by_clip.values())}
    return Dataset("demo", tuple(classes), samples, quirks=quirks)
