"""LLP (Tian et al. 2020, the AVVP benchmark): weak labels for all videos, human time boxes for val/test."""

from __future__ import annotations

from pathlib import Path

from explorer.data.ave import event_masks, labels_of
from explorer.data.dataset import Dataset, Sample, frozen
from explorer.data.files import cached_by_root, parse_seconds, read_tsv
from explorer.errors import DataError

CLASSES = (
    "Speech",
    "Car",
    "Cheering",
    "Dog",
    "Cat",
    "Frying_(food)",
    "Basketball_bounce",
    "Fire_alarm",
    "Chainsaw",
    "Cello",
    "Banjo",
    "Singing",
    "Chicken_rooster",
    "Violin_fiddle",
    "Vacuum_cleaner",
    "Baby_laughter",
    "Accordion",
    "Lawn_mower",
    "Motorcycle",
    "Helicopter",
    "Acoustic_guitar",
    "Telephone_bell_ringing",
    "Baby_cry_infant_cry",
    "Blender",
    "Clapping",
)  # the official order (AVVP-ECCV20 main_avvp.py)
SPLIT_FILES = {"train": "AVVP_train.csv", "val": "AVVP_val_pd.csv", "test": "AVVP_test_pd.csv"}
WEAK_COLUMNS = ("filename", "event_labels")
EVAL_COLUMNS = ("filename", "onset", "offset", "event_labels")

Events = dict[str, list[tuple[str, int, int]]]


def _categories(text: str, class_index: dict[str, int], path: Path, number: int) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in class_index]
    if unknown or not names:
        raise DataError(f"{path} line {number}: {text!r} names no known LLP class (unknown: {', '.join(unknown)}).")
    return names


def _read_weak(path: Path, class_index: dict[str, int]) -> dict[str, list[str]]:
    """filename -> event labels, in file order."""
    weak = {}
    for number, (filename, labels) in read_tsv(path, WEAK_COLUMNS):
        if filename in weak:
            raise DataError(f"{path} line {number}: video {filename} is listed twice.")
        weak[filename] = _categories(labels, class_index, path, number)
    return weak


def _read_boxes(path: Path, videos: set[str], class_index: dict[str, int], quirks: dict[str, int], kind: str) -> Events:
    """filename -> [(class, onset, offset)] for the eval videos, as the official evaluation reads them.

    The official code fills ``GT[class, onset:offset] = 1`` for the rows of each
    val/test video: rows naming no such video are never read, and a row with
    onset >= offset fills nothing. Both are skipped here and counted.
    A video without rows of this kind gets no entry (its mask is None).
    """
    boxes: Events = {}
    unmatched = empty = 0
    for number, (filename, onset, offset, label) in read_tsv(path, EVAL_COLUMNS):
        categories = _categories(label, class_index, path, number)  # one per row in the real files
        start, end = parse_seconds(onset, path, number), parse_seconds(offset, path, number)
        if filename not in videos:
            unmatched += 1
            continue
        annotated = boxes.setdefault(filename, [])  # a video whose rows are all empty still has a (zero) mask
        if start >= end:
            empty += 1
        else:
            annotated.extend((category, start, end) for category in categories)
    quirks[f"{kind}_rows_matching_no_video"] = unmatched
    quirks[f"{kind}_rows_with_onset_not_before_offset"] = empty
    return boxes


@cached_by_root("llp")
def load_llp(root: Path) -> Dataset:
    class_index = {name: k for k, name in enumerate(CLASSES)}
    weak = _read_weak(root / "AVVP_dataset_full.csv", class_index)
    split_rows = {name: _read_weak(root / file, class_index) for name, file in SPLIT_FILES.items()}
    split_of = {}
    for name, rows in split_rows.items():
        for filename, labels in rows.items():
            if weak.get(filename) != labels or filename in split_of:
                raise DataError(
                    f"{root / SPLIT_FILES[name]}: video {filename} is missing from AVVP_dataset_full.csv, "
                    "has other labels there, or is in two splits."
                )
            split_of[filename] = name
    eval_videos = {f for f, name in split_of.items() if name != "train"}
    quirks: dict[str, int] = {}
    audio = _read_boxes(root / "AVVP_eval_audio.csv", eval_videos, class_index, quirks, "audio")
    visual = _read_boxes(root / "AVVP_eval_visual.csv", eval_videos, class_index, quirks, "visual")
    quirks["eval_videos_without_audio_rows"] = len(eval_videos - audio.keys())
    quirks["eval_videos_without_visual_rows"] = len(eval_videos - visual.keys())
    # The official evaluation keeps boxes of classes missing from a video's weak labels; so do we.
    quirks["audio_boxes_outside_weak_labels"] = sum(
        category not in weak[f] for f, events in audio.items() for category, _, _ in events
    )

    def mask(events: Events, filename: str):
        return frozen(event_masks(events[filename], class_index)) if filename in events else None

    samples = tuple(
        Sample(
            index=index,
            video_id=filename,
            labels=frozen(labels_of(labels, class_index)),
            time_mask=mask(audio, filename),
            visual_time_mask=mask(visual, filename),
            events=tuple(audio.get(filename, ())),
            split=split_of.get(filename),
            source="llp",
        )
        for index, (filename, labels) in enumerate(weak.items())
    )
    row_of = {sample.video_id: sample.index for sample in samples}
    order = {name: tuple(row_of[f] for f in rows) for name, rows in split_rows.items()}
    quirks["rows_in_no_split"] = len(weak) - len(split_of)
    return Dataset("llp", CLASSES, samples, quirks=quirks, split_order=order)
