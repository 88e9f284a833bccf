"""Datasets: AVE, LLP, their union AVR, and the demo corpus. Feature stores live in ``explorer.data.features``."""

from __future__ import annotations

from pathlib import Path

from explorer.data.ave import load_ave, parse_ave_annotations
from explorer.data.avr import load_avr
from explorer.data.dataset import NUM_SEGMENTS, SPLITS, Dataset, Sample, readable_class_name
from explorer.data.demo import load_demo_dataset
from explorer.data.llp import load_llp
from explorer.errors import DataError

LOADERS = {"ave": load_ave, "llp": load_llp, "avr": load_avr}


def load_dataset(name: str, root: str | Path | None = None) -> Dataset:
    """``root`` is the folder of the dataset's files (for ``avr``: the folder holding ``ave/`` and ``llp/``);
    by default the copies shipped in ``assets/datasets``. Parsed once per process."""
    if name not in LOADERS:
        raise DataError(f"Unknown dataset {name!r}; choose one of {', '.join(LOADERS)}.")
    return LOADERS[name](root)


__all__ = [
    "NUM_SEGMENTS",
    "SPLITS",
    "Dataset",
    "Sample",
    "readable_class_name",
    "load_dataset",
    "load_demo_dataset",
    "parse_ave_annotations",
]
