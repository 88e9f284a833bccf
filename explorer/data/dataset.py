"""The sample and dataset types every loader returns."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from explorer.errors import DataError

SPLITS = ("train", "val", "test")
NUM_SEGMENTS = 10  # AVE and LLP clips are 10 one-second segments


@dataclass(frozen=True, eq=False)  # eq=False: comparing numpy fields is ambiguous; samples compare by identity
class Sample:
    """One annotated video. ``dataset.samples[sample.index] is sample``.

    Masks are ``T×K`` float32 with 1 where class k is annotated in segment t;
    ``None`` means "no human boxes", not "no event". Arrays are read-only
    because loaders cache and share them.
    """

    index: int
    video_id: str
    labels: np.ndarray = field(repr=False)  # K multi-hot float32
    time_mask: np.ndarray | None = field(repr=False)  # T×K, audio events
    visual_time_mask: np.ndarray | None = field(repr=False)  # T×K, visual events
    events: tuple[tuple[str, int, int], ...] = ()  # (class name, start, end) of the audio events, end exclusive
    split: str | None = None
    source: str = "ave"  # "ave", "llp" or "demo"

    @property
    def time_mask_any(self) -> np.ndarray | None:
        """T vector: 1 where any audio event is annotated (the pointing game's target)."""
        return None if self.time_mask is None else self.time_mask.max(axis=1)


@dataclass(frozen=True)
class Dataset:
    """Classes in the official order, samples in file order, and the official splits."""

    name: str
    classes: tuple[str, ...]
    samples: tuple[Sample, ...]
    num_segments: int = NUM_SEGMENTS
    quirks: dict[str, int] = field(default_factory=dict)  # counts of oddly formed rows handled while loading
    split_order: dict[str, tuple[int, ...]] | None = None  # official order of each split; None: file order

    def __post_init__(self):
        if self.split_order is None:
            order = {name: tuple(s.index for s in self.samples if s.split == name) for name in SPLITS}
            object.__setattr__(self, "split_order", order)

    @property
    def readable_classes(self) -> list[str]:
        """The class names as people read them (:func:`readable_class_name`)."""
        return [readable_class_name(name) for name in self.classes]

    def split(self, name: str) -> list[Sample]:
        """The samples of one split, in the official order."""
        if name not in SPLITS:
            raise DataError(f"Unknown split {name!r}; choose one of {', '.join(SPLITS)}.")
        return [self.samples[i] for i in self.split_order[name]]

    def stats(self) -> dict:
        """Table-friendly statistics for the browse page."""
        per_class = np.zeros((len(self.classes), len(SPLITS)), dtype=np.int64)
        for column, name in enumerate(SPLITS):
            for sample in self.split(name):
                per_class[:, column] += sample.labels > 0
        lengths = [end - start for sample in self.samples for _, start, end in sample.events]
        return {
            "name": self.name,
            "num_samples": len(self.samples),
            "num_classes": len(self.classes),
            "split_sizes": {name: len(self.split_order[name]) for name in SPLITS},
            "per_class": [
                {
                    "class": cls,
                    **{name: int(per_class[k, c]) for c, name in enumerate(SPLITS)},
                    "total": int(per_class[k].sum()),
                }
                for k, cls in enumerate(self.classes)
            ],
            "num_events": len(lengths),
            "mean_event_length": float(np.mean(lengths)) if lengths else None,
            "quirks": dict(self.quirks),
        }


def readable_class_name(class_name: str) -> str:
    """``Violin_fiddle`` -> ``Violin fiddle``: LLP's official names use underscores for spaces."""
    return class_name.replace("_", " ")


def frozen(array: np.ndarray) -> np.ndarray:
    """Make ``array`` read-only so a cached dataset cannot be changed by a caller."""
    array.flags.writeable = False
    return array
