"""AVE (Tian et al. 2018): ``Annotations.txt`` rows and the official ``*_order.h5`` splits."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import h5py
import numpy as np

from explorer.data.dataset import NUM_SEGMENTS, SPLITS, Dataset, Sample, frozen
from explorer.data.files import cached_by_root, read_lines
from explorer.errors import DataError

FORMAT = "Category&VideoID&Quality&StartTime&EndTime"


@dataclass(frozen=True)
class AnnotationRow:
    category: str
    video_id: str
    start: int
    end: int


def read_ave_rows(path: str | Path, num_segments: int = NUM_SEGMENTS) -> list[AnnotationRow]:
    """The rows of an AVE-format file, with or without its header line."""
    path = Path(path)
    lines = read_lines(path)
    if lines and _is_header(lines[0][1]):
        lines = lines[1:]  # the copy in AVE_Dataset.zip has one
    rows = []
    for number, line in lines:
        fields = line.split("&")
        if len(fields) != 5 or not _is_row(line):
            raise DataError(f"{path} line {number} is not in the AVE format {FORMAT}: {line!r}.")
        category, video_id, _quality, start, end = fields
        start, end = int(start), int(end)
        if not 0 <= start <= end <= num_segments or not category or not video_id:
            raise DataError(
                f"{path} line {number} needs a category, a video id and 0 <= StartTime <= EndTime <= {num_segments}."
            )
        rows.append(AnnotationRow(category, video_id, start, end))
    if not rows:
        raise DataError(f"{path} holds no annotation rows.")
    return rows


def _is_row(line: str) -> bool:
    fields = line.split("&")
    return len(fields) == 5 and all(f.strip().lstrip("-").isdigit() for f in fields[3:])


def _is_header(line: str) -> bool:
    fields = line.split("&")
    return len(fields) == 5 and not any(f.strip().lstrip("-").isdigit() for f in fields[3:])


def classes_by_first_appearance(rows: list[AnnotationRow]) -> list[str]:
    """The official AVE class order: the order in which each category first appears."""
    return list(dict.fromkeys(row.category for row in rows))


def event_masks(events, class_index: dict[str, int], num_segments: int = NUM_SEGMENTS) -> np.ndarray:
    """T×K mask of (class, start, end) events; segment t is on when start <= t < end."""
    mask = np.zeros((num_segments, len(class_index)), dtype=np.float32)
    for category, start, end in events:
        mask[max(start, 0) : max(end, 0), class_index[category]] = 1.0
    return mask


def labels_of(categories, class_index: dict[str, int]) -> np.ndarray:
    labels = np.zeros(len(class_index), dtype=np.float32)
    labels[[class_index[c] for c in categories]] = 1.0
    return labels


def class_index_for(classes: list[str], categories, path: Path) -> dict[str, int]:
    index = {name: k for k, name in enumerate(classes)}
    unknown = sorted(set(categories) - index.keys())
    if unknown:
        raise DataError(f"{path} uses categories that are not in the class list: {', '.join(unknown)}.")
    return index


def parse_ave_annotations(path: str | Path, classes: list[str] | None = None, source: str = "ave") -> list[Sample]:
    """One sample per row, indexed by row; ``classes`` default to the order of first appearance.

    AVE events are audio-visual by definition (audible and visible), so the
    visual mask equals the audio one.
    """
    path = Path(path)
    rows = read_ave_rows(path)
    class_index = class_index_for(classes or classes_by_first_appearance(rows), [r.category for r in rows], path)
    samples = []
    for index, row in enumerate(rows):
        events = ((row.category, row.start, row.end),)
        mask = frozen(event_masks(events, class_index))
        samples.append(
            Sample(
                index, row.video_id, frozen(labels_of([row.category], class_index)), mask, mask, events, None, source
            )
        )
    return samples


def read_order(path: Path, num_rows: int) -> list[int]:
    """Row indices of one official split file (h5 key ``order``, 0-based)."""
    if not path.is_file():
        raise DataError(f"Split file {path} is missing.")
    try:
        with h5py.File(path, "r") as file:
            order = np.asarray(file["order"][:])
    except KeyError:
        raise DataError(f"Split file {path} has no 'order' dataset.") from None
    except OSError as error:
        raise DataError(f"Split file {path} is not a readable HDF5 file ({error}).") from None
    if (
        order.ndim != 1
        or not np.issubdtype(order.dtype, np.integer)
        or (order.size and not (0 <= order.min() and order.max() < num_rows))
    ):
        raise DataError(f"Split file {path} must hold a 1-D list of row indices in 0..{num_rows - 1}.")
    return order.tolist()


@cached_by_root("ave")
def load_ave(root: Path) -> Dataset:
    rows = read_ave_rows(root / "Annotations.txt")
    classes = classes_by_first_appearance(rows)
    order = {name: read_order(root / f"{name}_order.h5", len(rows)) for name in SPLITS}
    split_of = {row: name for name in SPLITS for row in order[name]}
    if len(split_of) != sum(len(o) for o in order.values()):
        raise DataError(f"The split files in {root} share rows; each row must be in one split only.")
    rows_as_samples = parse_ave_annotations(root / "Annotations.txt", classes)
    samples = [replace(s, split=split_of.get(s.index)) for s in rows_as_samples]
    id_counts = Counter(row.video_id for row in rows)
    quirks = {
        "rows_sharing_a_video_id": sum(n for n in id_counts.values() if n > 1),
        "zero_length_events": sum(row.start == row.end for row in rows),
        "rows_in_no_split": len(rows) - len(split_of),
    }
    split_order = {name: tuple(rows) for name, rows in order.items()}
    return Dataset("ave", tuple(classes), tuple(samples), quirks=quirks, split_order=split_order)
