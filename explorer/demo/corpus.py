"""The demo corpus: scenes as in-memory clips with ground truth, and the on-disk build (mp4 + annotations + masks)."""

from __future__ import annotations

import io
import json
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from explorer.demo.render import RenderedScene, check_render_options, render_scene
from explorer.demo.scene import DURATION_SECONDS, EVENT, OBJECT_SCALE, SceneSpec, sample_scene
from explorer.demo.sources import CLASS_NAMES, SourceLibrary
from explorer.errors import DataError
from explorer.media import SAMPLE_RATE, Clip, write_clip

ANNOTATION_HEADER = "Category&VideoID&Quality&StartTime&EndTime"
APP_FPS, APP_SIZE = 8, 224  # what ``explorer demo build`` writes and the app decodes


@dataclass
class GroundTruth:
    """Where and when each object of one clip is. Masks are at frame resolution, objects in ``spec.objects`` order
    restricted to the visible ones (``visible`` holds their indices)."""

    spec: SceneSpec
    fps: int
    visible: list[int]
    object_masks: np.ndarray  # V×F×H×W bool, every frame

    @property
    def video_id(self) -> str:
        return self.spec.video_id

    @property
    def events(self) -> list[tuple[str, int, int]]:
        return self.spec.events

    @property
    def labels(self) -> np.ndarray:
        """K multi-hot float32 over ``CLASS_NAMES``."""
        labels = np.zeros(len(CLASS_NAMES), np.float32)
        labels[[CLASS_NAMES.index(name) for name in self.spec.labels]] = 1.0
        return labels

    @property
    def time_mask(self) -> np.ndarray:
        """T×K float32: 1 where a labelled class sounds in that second."""
        mask = np.zeros((DURATION_SECONDS, len(CLASS_NAMES)), np.float32)
        for name, start, end in self.events:
            mask[start:end, CLASS_NAMES.index(name)] = 1.0
        return mask

    @property
    def middle_frames(self) -> list[int]:
        """The frame index of each segment's middle frame (``Clip.middle_frame``'s convention)."""
        return [t * self.fps + self.fps // 2 for t in range(DURATION_SECONDS)]

    @property
    def segment_masks(self) -> np.ndarray:
        """V×T×H×W bool: each visible object's mask at each segment's middle frame."""
        return self.object_masks[:, self.middle_frames]

    @property
    def event_mask(self) -> np.ndarray:
        """T×H×W uint8 (0/1): union of the labelled objects' masks at each segment's middle frame."""
        events = [k for k, i in enumerate(self.visible) if self.spec.objects[i].role == EVENT]
        return self.segment_masks[events].any(axis=0).astype(np.uint8)

    def describe_objects(self) -> list[dict]:
        """JSON-ready: class, role, audible interval and, for visible objects, the box per segment (x0, y0, x1, y1,
        end exclusive; null where the object is fully covered) and its row in the per-frame masks."""
        segment_masks = self.segment_masks
        described = []
        for index, obj in enumerate(self.spec.objects):
            entry = {
                "class": obj.class_name,
                "role": obj.role,
                "audible_interval": list(obj.interval) if obj.interval else None,
                "image": obj.image,
                "sound": obj.sound,
            }
            if index in self.visible:
                row = self.visible.index(index)
                entry["mask_index"] = row
                entry["boxes"] = [_box(mask) for mask in segment_masks[row]]
            described.append(entry)
        return described


def _box(mask: np.ndarray) -> list[int] | None:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return [int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1]


def to_clip(rendered: RenderedScene, fps: int) -> Clip:
    frames = rendered.frames.reshape(DURATION_SECONDS, fps, *rendered.frames.shape[1:])
    return Clip.from_arrays(list(frames), rendered.audio, sample_rate=SAMPLE_RATE)


def decoded_picks(rate: int, frames_per_segment: int) -> list[int]:
    """Which of a second's ``rate`` frames ``load_clip`` keeps at F frames a second: those on screen at
    t + (k + 0.5) / F."""
    return [int((k + 0.5) * rate / frames_per_segment) for k in range(frames_per_segment)]


def as_decoded(clip: Clip, frames_per_segment: int) -> Clip:
    """The frames ``load_clip`` keeps from this clip's mp4: each second, the one on screen at t + (k + 0.5) / F."""
    picks = decoded_picks(clip.frames[0].shape[0], frames_per_segment)
    return Clip.from_arrays([segment[picks] for segment in clip.frames], clip.audio, clip.sample_rate)


def iter_decoded_scenes(
    n: int,
    seed: int,
    frames_per_segment: int,
    first_index: int = 0,
    object_scale: float = OBJECT_SCALE,
    library: SourceLibrary | None = None,
    outliers: bool = False,
) -> Iterator[tuple[Clip, GroundTruth]]:
    """``as_decoded`` over ``iter_scenes`` at the app's frame rate and size, drawing only the frames it keeps and the
    segments' middle frames (where the ground truth is): 1 frame in 8 at F = 1, the same pixels. The ground truth
    holds the masks of the middle frames alone, as a clip of one frame a second (``fps`` 1), so its event and
    segment masks are those of the full render. ``outliers``: the seed's outlier clips (``sample_scene``)."""
    _check_scenes(n, seed, first_index, object_scale, APP_FPS, APP_SIZE)
    indices = range(first_index, first_index + n)
    return _decoded_scenes(indices, seed, frames_per_segment, library or SourceLibrary(), object_scale, outliers)


def _decoded_scenes(
    indices: range, seed: int, frames_per_segment: int, library: SourceLibrary, object_scale: float, outliers: bool
):
    picks, middle = decoded_picks(APP_FPS, frames_per_segment), APP_FPS // 2
    per_second = sorted({*picks, middle})
    keep, mask_row = [per_second.index(pick) for pick in picks], per_second.index(middle)
    only_frames = [t * APP_FPS + f for t in range(DURATION_SECONDS) for f in per_second]
    for index in indices:
        spec = sample_scene(seed, index, object_scale, outliers)
        rendered = render_scene(spec, library, fps=APP_FPS, size=APP_SIZE, only_frames=only_frames)
        frames = rendered.frames.reshape(DURATION_SECONDS, len(per_second), *rendered.frames.shape[1:])
        masks = rendered.object_masks.reshape(
            len(rendered.visible), DURATION_SECONDS, len(per_second), APP_SIZE, APP_SIZE
        )
        clip = Clip.from_arrays(list(frames[:, keep]), rendered.audio, sample_rate=SAMPLE_RATE)
        yield clip, GroundTruth(spec, 1, rendered.visible, masks[:, :, mask_row])


def iter_scenes(
    n: int,
    seed: int,
    fps: int = 8,
    size: int = 224,
    first_index: int = 0,
    library: SourceLibrary | None = None,
    object_scale: float = OBJECT_SCALE,
) -> Iterator[tuple[Clip, GroundTruth]]:
    """Clips ``first_index`` … ``first_index + n - 1`` of ``seed`` in memory, with their ground truth."""
    _check_scenes(n, seed, first_index, object_scale, fps, size)
    return _scenes(range(first_index, first_index + n), seed, fps, size, library or SourceLibrary(), object_scale)


def _check_scenes(n: int, seed: int, first_index: int, object_scale: float, fps: int, size: int) -> None:
    """Check the arguments now, not at the first clip."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DataError(f"The number of demo clips must be a positive integer, got {n!r}.")
    check_render_options(fps, size)
    sample_scene(seed, first_index, object_scale)


def _scenes(indices: range, seed: int, fps: int, size: int, library: SourceLibrary, object_scale: float):
    for index in indices:
        spec = sample_scene(seed, index, object_scale)
        rendered = render_scene(spec, library, fps=fps, size=size)
        yield to_clip(rendered, fps), GroundTruth(spec, fps, rendered.visible, rendered.object_masks)


def generate_features(n: int, seed: int, encoder, fps: int = 8, size: int = 224, first_index: int = 0):
    """Yield ``(ground_truth, audio T×Da, visual T×H×W×Dv)`` from ``encoder.encode`` without writing any video."""
    for clip, truth in iter_scenes(n, seed, fps=fps, size=size, first_index=first_index):
        audio, visual = encoder.encode(clip)
        yield truth, audio, visual


def build_corpus(
    out: str | Path,
    n: int,
    seed: int,
    fps: int = 8,
    size: int = 224,
    progress: bool = True,
    object_scale: float = OBJECT_SCALE,
) -> dict:
    """Write the corpus folder (see docs/DEMO.md) and return a summary with the build speed."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise DataError(f"Cannot build the demo corpus in {out}: it is a file, not a folder.")
    started = time.perf_counter()
    scenes = iter_scenes(n, seed, fps=fps, size=size, object_scale=object_scale)  # checks before anything is written
    (out / "clips").mkdir(parents=True, exist_ok=True)
    rows, event_masks, object_masks, objects = [ANNOTATION_HEADER], {}, {}, {}
    for clip, truth in tqdm(scenes, total=n, desc="demo clips", unit="clip", disable=not progress):
        write_clip(out / "clips" / f"{truth.video_id}.mp4", clip, fps=fps)
        rows += [f"{name}&{truth.video_id}&good&{start}&{end}" for name, start, end in truth.events]
        event_masks[truth.video_id] = truth.event_mask
        object_masks[truth.video_id] = np.packbits(truth.object_masks, axis=-1)
        objects[truth.video_id] = truth.describe_objects()
    (out / "annotations.txt").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (out / "classes.json").write_text(json.dumps(list(CLASS_NAMES), indent=1) + "\n", encoding="utf-8")
    write_npz(out / "masks.npz", event_masks)
    write_npz(out / "object_masks.npz", object_masks)
    meta = {
        "seed": seed,
        "fps": fps,
        "size": size,
        "num_segments": DURATION_SECONDS,
        "sample_rate": SAMPLE_RATE,
        "object_scale": object_scale,
    }
    (out / "objects.json").write_text(json.dumps({**meta, "videos": objects}, indent=1) + "\n", encoding="utf-8")
    seconds = time.perf_counter() - started
    return {"clips": n, "events": len(rows) - 1, "seconds": seconds, "clips_per_second": n / seconds}


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Like ``np.savez_compressed`` but byte-identical for identical arrays (fixed zip timestamps)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            archive.writestr(
                zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)),
                buffer.getvalue(),
                compress_type=zipfile.ZIP_DEFLATED,
            )


def load_object_masks(root: str | Path, video_id: str) -> np.ndarray:
    """V×F×H×W bool per-frame masks of one built clip's visible objects (rows = ``mask_index`` in objects.json)."""
    root = Path(root)
    try:
        size = json.loads((root / "objects.json").read_text(encoding="utf-8"))["size"]
        with np.load(root / "object_masks.npz", allow_pickle=False) as archive:
            packed = archive[video_id]
    except KeyError:
        raise DataError(
            f"{root} holds no object masks for {video_id!r}; rebuild it with `explorer demo build`."
        ) from None
    except (OSError, ValueError, zipfile.BadZipFile, json.JSONDecodeError, TypeError) as error:
        raise DataError(
            f"The object masks in {root} are missing or unreadable ({error}); rebuild the corpus."
        ) from None
    return np.unpackbits(packed, axis=-1, count=size).astype(bool)
