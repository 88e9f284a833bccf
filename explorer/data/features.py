"""Feature stores: our per-video safetensors folders and the official AVE h5 files.

Both offer ``read_sample(sample)`` and ``has_sample(sample)``, so
:class:`FeatureDataset` pairs samples with either without branching.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from explorer.atomic import write_atomically
from explorer.data.dataset import Sample
from explorer.errors import DataError

SUFFIX = ".safetensors"
Features = tuple[Tensor, Tensor]  # audio T×Da, visual T×H×W×Dv


def _shape_text(shape: Sequence[int | str]) -> str:
    return "×".join(str(n) for n in shape)


def _check_shapes(path: Path, audio: Tensor, visual: Tensor, audio_dim: int, visual_dim: int, grid: tuple[int, int]):
    """Audio T×Da and visual T×H×W×Dv with the store's dims and the same T; else a DataError naming ``path``."""
    expected_visual = ("T", *grid, visual_dim)
    if audio.ndim != 2 or audio.shape[1] != audio_dim:
        expected_audio = _shape_text(("T", audio_dim))
        raise DataError(f"{path}: audio features must be {expected_audio}, got {_shape_text(audio.shape)}.")
    if visual.ndim != 4 or tuple(visual.shape[1:]) != (*grid, visual_dim):
        raise DataError(
            f"{path}: visual features must be {_shape_text(expected_visual)}, got {_shape_text(visual.shape)}."
        )
    if audio.shape[0] != visual.shape[0] or audio.shape[0] == 0:
        raise DataError(
            f"{path}: audio has {audio.shape[0]} segments and visual {visual.shape[0]}; both need the same T > 0."
        )


def _as_tensor(value, name: str) -> Tensor:
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not isinstance(value, Tensor) or not value.is_floating_point():
        raise DataError(
            f"{name} features must be a floating-point torch tensor or numpy array, got {type(value).__name__}."
        )
    return value.detach().cpu().contiguous()


class FeatureStore:
    """A folder of ``<video_id>.safetensors`` files plus ``meta.json``; written atomically, so resumable."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(f"Feature store {self.root} does not exist; extract features into it first.")
        meta_path = self.root / "meta.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DataError(f"Feature store {self.root} has no meta.json; it is not a feature store.") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise DataError(f"{meta_path} is not readable JSON ({error}).") from None
        self.encoder, self.audio_dim, self.visual_dim, self.grid = self._parse_meta(meta, meta_path)

    @staticmethod
    def _parse_meta(meta, path: Path) -> tuple[str, int, int, tuple[int, int]]:
        def positive(value) -> bool:
            return isinstance(value, int) and not isinstance(value, bool) and value > 0

        grid = meta.get("grid") if isinstance(meta, dict) else None
        if not (
            isinstance(meta, dict)
            and isinstance(meta.get("encoder"), str)
            and positive(meta.get("audio_dim"))
            and positive(meta.get("visual_dim"))
            and isinstance(grid, list)
            and len(grid) == 2
            and all(positive(n) for n in grid)
        ):
            raise DataError(
                f'{path} must hold {{"encoder": str, "audio_dim": int, "visual_dim": int, "grid": [H, W]}}.'
            )
        return meta["encoder"], meta["audio_dim"], meta["visual_dim"], (grid[0], grid[1])

    @classmethod
    def create(
        cls, root: str | Path, encoder: str, audio_dim: int, visual_dim: int, grid: Sequence[int]
    ) -> "FeatureStore":
        """Make a store, or open an existing one whose meta.json matches (to resume an extraction)."""
        root = Path(root)
        meta = {"encoder": encoder, "audio_dim": audio_dim, "visual_dim": visual_dim, "grid": list(grid)}
        cls._parse_meta(meta, root / "meta.json")  # the arguments themselves must be well formed
        if (root / "meta.json").exists():
            store = cls(root)
            found = {
                "encoder": store.encoder,
                "audio_dim": store.audio_dim,
                "visual_dim": store.visual_dim,
                "grid": list(store.grid),
            }
            if found != meta:
                raise DataError(f"Feature store {root} holds {found}, not {meta}; use another folder.")
            return store
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataError(f"Cannot create feature store {root} ({error}).") from None
        _atomic_write(root / "meta.json", lambda path: path.write_text(json.dumps(meta, indent=2), encoding="utf-8"))
        return cls(root)

    def path(self, video_id: str) -> Path:
        if not video_id or "/" in video_id or "\\" in video_id or video_id.startswith(".") or "\0" in video_id:
            raise DataError(f"{video_id!r} cannot be a feature file name; video ids must be plain file names.")
        return self.root / f"{video_id}{SUFFIX}"

    def write(self, video_id: str, audio, visual) -> None:
        """Store one video's features; a killed writer never leaves a half-written file behind."""
        path = self.path(video_id)
        audio, visual = _as_tensor(audio, "audio"), _as_tensor(visual, "visual")
        _check_shapes(path, audio, visual, self.audio_dim, self.visual_dim, self.grid)
        tensors = {
            "audio": audio.float(),
            "visual": visual if visual.dtype == torch.float16 else visual.float(),  # float16 halves big maps
        }
        _atomic_write(path, lambda temp: save_file(tensors, str(temp)))

    def read(self, video_id: str) -> Features:
        """(audio T×Da, visual T×H×W×Dv), both float32."""
        path = self.path(video_id)
        if not path.is_file():
            raise DataError(f"No features for {video_id!r} in {self.root}; extract them first.")
        try:
            tensors = load_file(str(path))
        except (SafetensorError, OSError) as error:
            raise DataError(f"Feature file {path} is corrupt ({error}); delete it and extract it again.") from None
        if set(tensors) != {"audio", "visual"}:
            raise DataError(f"Feature file {path} must hold exactly the tensors 'audio' and 'visual'.")
        _check_shapes(path, tensors["audio"], tensors["visual"], self.audio_dim, self.visual_dim, self.grid)
        return tensors["audio"].float(), tensors["visual"].float()

    def __contains__(self, video_id: str) -> bool:
        return self.path(video_id).is_file()

    def ids(self) -> list[str]:
        names = (path.name for path in self.root.glob(f"*{SUFFIX}"))
        return sorted(name[: -len(SUFFIX)] for name in names if not name.startswith("."))  # "." marks temp files

    def __len__(self) -> int:
        return len(self.ids())

    def has_sample(self, sample: Sample) -> bool:
        return sample.video_id in self

    def __str__(self) -> str:
        return f"feature store {self.root}"

    def read_sample(self, sample: Sample) -> Features:
        return self.read(sample.video_id)


def _atomic_write(path: Path, write) -> None:
    try:
        write_atomically(path, write)
    except OSError as error:
        raise DataError(f"Cannot write {path} ({error}).") from None


class OfficialAVEFeatures:
    """The released AVE features (VGGish audio, VGG-19 pool5 maps), read lazily by Annotations.txt row."""

    KEY = "avadataset"
    AUDIO_SHAPE = (10, 128)
    VISUAL_SHAPE = (10, 7, 7, 512)
    encoder = "official-ave"
    audio_dim, visual_dim, grid = 128, 512, (7, 7)

    def __init__(self, audio_h5: str | Path, visual_h5: str | Path):
        self.paths = {"audio": Path(audio_h5), "visual": Path(visual_h5)}
        rows = {name: self._check(name, path) for name, path in self.paths.items()}
        if rows["audio"] != rows["visual"]:
            raise DataError(
                f"{self.paths['audio']} has {rows['audio']} rows but {self.paths['visual']} has {rows['visual']}."
            )
        self.num_rows = rows["audio"]
        self._files: dict[str, h5py.File] = {}
        self._pid = os.getpid()

    def _check(self, name: str, path: Path) -> int:
        expected = self.AUDIO_SHAPE if name == "audio" else self.VISUAL_SHAPE
        if not path.is_file():
            raise DataError(f"Official AVE {name} feature file {path} is missing.")
        try:
            with h5py.File(path, "r") as file:
                if self.KEY not in file:
                    raise DataError(f"{path} has no '{self.KEY}' dataset; is it the official AVE {name} feature file?")
                shape = tuple(file[self.KEY].shape)
        except OSError as error:
            raise DataError(f"{path} is not a readable HDF5 file ({error}).") from None
        if shape[1:] != expected:
            raise DataError(f"{path}: {name} features must be N×{_shape_text(expected)}, got {_shape_text(shape)}.")
        return shape[0]

    def _dataset(self, name: str) -> h5py.Dataset:
        # h5py handles must not cross a fork (DataLoader workers): reopen in each process.
        if self._pid != os.getpid():
            self._files, self._pid = {}, os.getpid()
        if name not in self._files:
            self._files[name] = h5py.File(self.paths[name], "r")
        return self._files[name][self.KEY]

    def read_many(self, rows: Sequence[int]) -> Features:
        """(audio N×10×128, visual N×10×7×7×512) float32 for the given rows, in their order."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if rows.size == 0 or rows.min() < 0 or rows.max() >= self.num_rows:
            raise DataError(
                f"Rows must be in 0..{self.num_rows - 1} of the official AVE features, got {rows.tolist()}."
            )
        unique, inverse = np.unique(rows, return_inverse=True)  # h5py wants increasing indices
        return tuple(
            torch.from_numpy(np.asarray(self._dataset(name)[unique], dtype=np.float32)[inverse])
            for name in ("audio", "visual")
        )

    def read(self, row: int) -> Features:
        audio, visual = self.read_many([row])
        return audio[0], visual[0]

    def __len__(self) -> int:
        return self.num_rows

    def __str__(self) -> str:
        return f"the official AVE features {self.paths['audio']}"

    def has_sample(self, sample: Sample) -> bool:
        return sample.source == "ave" and 0 <= sample.index < self.num_rows

    def read_sample(self, sample: Sample) -> Features:
        if not self.has_sample(sample):
            raise DataError(
                f"The official AVE features hold only AVE rows; {sample.video_id} ({sample.source}) has none."
            )
        return self.read(sample.index)


class FeatureDataset(torch.utils.data.Dataset):
    """(audio, visual, labels, sample index) per sample, from a FeatureStore or the official AVE features."""

    def __init__(self, samples: Sequence[Sample], features: FeatureStore | OfficialAVEFeatures):
        self.samples = list(samples)
        self.features = features
        missing = [s.video_id for s in self.samples if not features.has_sample(s)]
        if missing:
            raise DataError(
                f"{len(missing)} of {len(self.samples)} videos have no features in {features} "
                f"(first: {missing[0]}); extract them or pass only the videos that have features."
            )

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, position: int) -> tuple[Tensor, Tensor, Tensor, int]:
        sample = self.samples[position]
        audio, visual = self.features.read_sample(sample)
        return audio, visual, torch.tensor(sample.labels), sample.index


def collate_features(batch: list[tuple[Tensor, Tensor, Tensor, int]]) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Stack a batch: audio N×T×Da, visual N×T×H×W×Dv, labels N×K, indices N."""
    audio, visual, labels, indices = zip(*batch)
    lengths = {a.shape[0] for a in audio}
    if len(lengths) > 1:
        raise DataError(f"Videos in a batch have different numbers of segments {sorted(lengths)}; use batch size 1.")
    return torch.stack(audio), torch.stack(visual), torch.stack(labels), torch.tensor(indices, dtype=torch.long)
