"""AVR (the paper's union of AVE and LLP): 43 classes, samples keep their dataset of origin."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np

from explorer.data.ave import load_ave
from explorer.data.dataset import SPLITS, Dataset, Sample, frozen
from explorer.data.files import cached_by_root
from explorer.data.llp import load_llp


def normalise(class_name: str) -> str:
    """The key under which AVE and LLP names match: lower case, only letters and digits."""
    return re.sub(r"[^a-z0-9]", "", class_name.lower())


def union_classes(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """``first`` in its order, then the classes of ``second`` it lacks; a match keeps the first's name."""
    known = {normalise(name) for name in first}
    return first + tuple(name for name in second if normalise(name) not in known)


def _remap(sample: Sample, columns: np.ndarray, names: dict[str, str], num_classes: int, index: int) -> Sample:
    def widen(array: np.ndarray | None) -> np.ndarray | None:
        if array is None:
            return None
        wide = np.zeros(array.shape[:-1] + (num_classes,), dtype=np.float32)
        wide[..., columns] = array
        return frozen(wide)

    return replace(
        sample,
        index=index,
        labels=widen(sample.labels),
        time_mask=widen(sample.time_mask),
        visual_time_mask=widen(sample.visual_time_mask),
        events=tuple((names[c], start, end) for c, start, end in sample.events),
    )


@cached_by_root(".")
def load_avr(root: Path) -> Dataset:
    """``root`` holds ``ave/`` and ``llp/``. AVE rows come first, so an AVE sample keeps its row as index.

    Splits follow the parts (val = AVE val + LLP val, test = AVE test + LLP test).
    """
    parts = (load_ave(root / "ave"), load_llp(root / "llp"))
    classes = union_classes(parts[0].classes, parts[1].classes)
    position = {normalise(name): k for k, name in enumerate(classes)}
    samples: list[Sample] = []
    order: dict[str, list[int]] = {name: [] for name in SPLITS}
    quirks = {}
    for part in parts:
        columns = np.array([position[normalise(name)] for name in part.classes])
        names = {name: classes[position[normalise(name)]] for name in part.classes}
        offset = len(samples)
        samples.extend(_remap(s, columns, names, len(classes), offset + s.index) for s in part.samples)
        for name in SPLITS:
            order[name].extend(offset + i for i in part.split_order[name])
        quirks.update({f"{part.name}_{key}": count for key, count in part.quirks.items()})
    return Dataset("avr", classes, tuple(samples), quirks=quirks, split_order={k: tuple(v) for k, v in order.items()})
