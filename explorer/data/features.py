"""Feature stores: our per-video safetensors folders, the official AVE h5 files and LLP's released .npy features.

Each offers ``read_sample(sample)``, ``has_sample(sample)`` and ``segments(sample)`` plus its ``encoder`` name and
dims, so :class:`FeatureDataset` and the app pair samples with any of them without branching.
:func:`open_feature_folder` opens a folder of either folder kind; :func:`find_feature_stores` finds every store a
dataset root holds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

import h5py
import numpy as np
import torch
from safetensors import SafetensorError, safe_open
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


def plain_name(video_id: str) -> str:
    """``video_id`` when it can name a file inside a store's folder (no path, no hidden or temporary name)."""
    if not video_id or "/" in video_id or "\\" in video_id or video_id.startswith(".") or "\0" in video_id:
        raise DataError(f"{video_id!r} cannot be a feature file name; video ids must be plain file names.")
    return video_id


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
            found = store_dims(store)
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
        return self.root / f"{plain_name(video_id)}{SUFFIX}"

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

    def segments(self, sample: Sample) -> int:
        """The sample's number of one-second segments, from the file's header alone (``read`` checks the rest)."""
        try:
            with safe_open(str(self.path(sample.video_id)), "pt") as file:
                return int(file.get_slice("audio").get_shape()[0])
        except (SafetensorError, OSError, KeyError) as error:
            raise DataError(f"Feature file {self.path(sample.video_id)} is corrupt ({error}).") from None

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

    def segments(self, sample: Sample) -> int:
        return self.AUDIO_SHAPE[0]

    def read_sample(self, sample: Sample) -> Features:
        if not self.has_sample(sample):
            raise DataError(
                f"The official AVE features hold only AVE rows; {sample.video_id} ({sample.source}) has none."
            )
        return self.read(sample.index)


POOLED_MAP_NOTE = (
    "meaningless: the visual features are globally pooled (a 1×1 map), so there is no where to attend to; the app "
    "hides the space view"
)


class LLPFeatures:
    """LLP's released features (Tian et al. 2020): per video ``vggish/<id>.npy`` (10×128) and ``res152/<id>.npy``
    (80×2048, 8 frames per second, globally pooled), read as a store with a 1×1 map: ResNet-152 averaged to 10
    one-second segments. Pooled maps carry no *where*, so a model's space attention over them is meaningless.
    (``r2plus1d_18/<id>.npy``, 10×512, is LLP's motion stream, which STAN's frame encoder has no place for.)"""

    encoder = "official-llp"
    audio_dim, visual_dim, grid = 128, 2048, (1, 1)
    AUDIO_FOLDER, VISUAL_FOLDER = "vggish", "res152"

    def __init__(self, root: str | Path):
        self.root = Path(root)
        missing = [name for name in (self.AUDIO_FOLDER, self.VISUAL_FOLDER) if not (self.root / name).is_dir()]
        if missing:
            raise DataError(
                f"{self.root} is not an LLP feature folder: it lacks {' and '.join(f'{m}/' for m in missing)}."
            )

    @classmethod
    def looks_like(cls, root: Path) -> bool:
        return (root / cls.AUDIO_FOLDER).is_dir() and (root / cls.VISUAL_FOLDER).is_dir()

    def _paths(self, video_id: str) -> tuple[Path, Path]:
        name = plain_name(video_id)
        return (self.root / self.AUDIO_FOLDER / f"{name}.npy", self.root / self.VISUAL_FOLDER / f"{name}.npy")

    def _load(self, path: Path) -> np.ndarray:
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError, EOFError) as error:
            raise DataError(f"{path} is not a readable .npy array ({error}).") from None
        if not np.issubdtype(array.dtype, np.number):
            raise DataError(f"{path} must hold numbers, not {array.dtype}.")
        return array.astype(np.float32, copy=False)

    def read(self, video_id: str) -> Features:
        audio_path, visual_path = self._paths(video_id)
        if not (audio_path.is_file() and visual_path.is_file()):
            raise DataError(f"No LLP features for {video_id!r} in {self.root} (needs vggish/ and res152/ files).")
        audio, frames = self._load(audio_path), self._load(visual_path)
        if audio.ndim != 2 or audio.shape[1] != self.audio_dim:
            raise DataError(f"{audio_path}: LLP audio features must be T×128, got {_shape_text(audio.shape)}.")
        segments = audio.shape[0]
        if frames.ndim != 2 or frames.shape[1] != self.visual_dim or segments == 0 or frames.shape[0] % segments:
            raise DataError(
                f"{visual_path}: LLP visual features must be (frames per second × {segments})×2048, got "
                f"{_shape_text(frames.shape)}."
            )
        visual = frames.reshape(segments, -1, self.visual_dim).mean(axis=1)[:, None, None, :]
        return torch.from_numpy(np.ascontiguousarray(audio)), torch.from_numpy(np.ascontiguousarray(visual))

    def __contains__(self, video_id: str) -> bool:
        return all(path.is_file() for path in self._paths(video_id))

    def ids(self) -> list[str]:
        audio = {path.stem for path in (self.root / self.AUDIO_FOLDER).glob("*.npy")}
        return sorted(audio & {path.stem for path in (self.root / self.VISUAL_FOLDER).glob("*.npy")})

    def __len__(self) -> int:
        return len(self.ids())

    def __str__(self) -> str:
        return f"the LLP features {self.root}"

    def has_sample(self, sample: Sample) -> bool:
        return sample.source == "llp" and sample.video_id in self

    def segments(self, sample: Sample) -> int:
        """The audio file's number of seconds, from its header alone (``read`` checks the rest)."""
        path = self._paths(sample.video_id)[0]
        try:
            return int(np.load(path, mmap_mode="r", allow_pickle=False).shape[0])
        except (OSError, ValueError, EOFError, IndexError) as error:
            raise DataError(f"{path} is not a readable .npy array ({error}).") from None

    def read_sample(self, sample: Sample) -> Features:
        return self.read(sample.video_id)


def open_feature_folder(root: str | Path) -> FeatureStore | LLPFeatures:
    """A feature folder of either kind: ours (``meta.json``) or LLP's released one (``vggish/``, ``res152/``)."""
    root = Path(root)
    if root.is_dir() and not (root / "meta.json").exists() and LLPFeatures.looks_like(root):
        return LLPFeatures(root)
    return FeatureStore(root)


OFFICIAL_AVE_FILES = ("audio_feature.h5", "visual_feature.h5")  # the released names, under the key "avadataset"
LLP_FEATURE_FOLDERS = ("", "feats")  # the released archive unpacks into feats/


def find_feature_stores(root: str | Path) -> tuple[list, list[str]]:
    """Every feature store a dataset root holds, and one sentence for each that is there but broken.

    Looked for: the official AVE pair under its released names, LLP's released folders (in the root or its
    ``feats/``), and stores of ``explorer extract`` (the root itself or any folder directly inside it).
    """
    root = Path(root)
    stores, problems = [], []

    def attempt(opener, *args) -> None:
        try:
            stores.append(opener(*args))
        except DataError as error:
            problems.append(str(error))

    if any((root / name).exists() for name in OFFICIAL_AVE_FILES):
        attempt(OfficialAVEFeatures, *(root / name for name in OFFICIAL_AVE_FILES))
    for folder in LLP_FEATURE_FOLDERS:
        if LLPFeatures.looks_like(root / folder):
            attempt(LLPFeatures, root / folder)
    candidates = [root, *sorted(path for path in root.iterdir() if path.is_dir())] if root.is_dir() else []
    for folder in candidates:
        if (folder / "meta.json").is_file():
            attempt(FeatureStore, folder)
    return stores, problems


def store_dims(store) -> dict:
    """What a model trained on the store was fed: its encoder's name and the feature dims."""
    return {
        "encoder": store.encoder,
        "audio_dim": store.audio_dim,
        "visual_dim": store.visual_dim,
        "grid": list(store.grid),
    }


RELEASED_FEATURES = {  # the released feature sets, by the encoder name a model trained on them records
    OfficialAVEFeatures.encoder: "the released AVE features (VGGish audio, VGG-19 pool5 frames)",
    LLPFeatures.encoder: "LLP's released features (VGGish audio, pooled ResNet-152 frames)",
}


class FeatureDataset(torch.utils.data.Dataset):
    """(audio, visual, labels, sample index) per sample, from any feature store."""

    def __init__(self, samples: Sequence[Sample], features: FeatureStore | OfficialAVEFeatures | LLPFeatures):
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
