"""Demo features, rendered once and encoded once: chunks of clips kept as safetensors under a cache folder.

Rendering and the pretrained encoders dominate ``explorer demo reproduce`` and every lever study, so each chunk of
:data:`CHUNK` clips of one (seed, object scale) is rendered once and encoded by every encoder that lacks it. A chunk
is keyed by the encoder's description *and* a hash of its weights, so a retrained encoder never reads stale
features. Ground truth (labels, time masks, event masks) is stored once per chunk, encoder-independent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from tqdm.auto import tqdm

from explorer.atomic import write_atomically
from explorer.demo.corpus import iter_decoded_scenes
from explorer.demo.scene import OBJECT_SCALE
from explorer.demo.workers import run_jobs
from explorer.encoders import Encoder
from explorer.paths import demo_cache_dir

CHUNK = 50


def encoder_key(encoder: Encoder) -> str:
    """A short hash of what the encoder computes: its description (paths aside) and its weights."""
    description = {key: value for key, value in encoder.describe().items() if key != "weights"}
    digest = hashlib.sha1(json.dumps(description, sort_keys=True, default=str).encode())
    for name, tensor in sorted(encoder.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return f"{encoder.name}-{digest.hexdigest()[:12]}"


def corpus_key(outliers: bool = False) -> str:
    """A short hash of everything that decides what a seed's clips (or its outlier clips) look and sound like."""
    from explorer.demo import scene, sources

    facts = (
        sources.DEMO_CLASSES,
        sources.AMBIENT_SOUNDS,
        sources.BACKGROUNDS,
        scene.DURATION_SECONDS,
        scene.MIN_EVENT_SECONDS,
        scene.MULTI_LABEL_RATE,
        scene.SILENT_DISTRACTOR_RATE,
        scene.OFFSCREEN_DISTRACTOR_RATE,
        scene.MAX_EXTENT,
    )
    if outliers:
        facts += (sources.OUTLIER_CLASSES,)
    return "corpus-" + hashlib.sha1(repr(facts).encode()).hexdigest()[:10]


def _chunk_name(seed: int, object_scale: float, chunk: int, clips: int = CHUNK) -> str:
    partial = "" if clips == CHUNK else f"_first{clips}"
    return f"seed{seed}_scale{object_scale:g}_chunk{chunk:04d}{partial}.safetensors"


def _chunk_paths(
    folder: Path, keys: list[str], seed: int, object_scale: float, chunk: int, count: int
) -> tuple[int, Path, list[Path]]:
    """(clips, truth path, one path per encoder) of the file that serves the chunk's first ``count`` clips: the whole
    chunk when it is cached for every encoder, else a file of just those clips, so that a short split (``--quick``,
    the tests) renders only what it uses."""

    def paths(clips: int) -> tuple[int, Path, list[Path]]:
        name = _chunk_name(seed, object_scale, chunk, clips)
        return clips, folder / "truth" / name, [folder / key / name for key in keys]

    _, truth_path, encoded_paths = whole = paths(CHUNK)
    if count == CHUNK or all(path.is_file() for path in (truth_path, *encoded_paths)):
        return whole
    return paths(count)


def _render_chunk(seed: int, object_scale: float, chunk: int, n: int, frames_per_segment: int, outliers: bool):
    """The chunk's clips as the app decodes their mp4s, with their ground truth."""
    first = chunk * CHUNK
    return list(iter_decoded_scenes(n, seed, frames_per_segment, first, object_scale, outliers=outliers))


def _encode(encoder: Encoder, scenes, batch: int = 8) -> dict[str, torch.Tensor]:
    clips = [clip for clip, _ in scenes]
    audio, visual = [], []
    for start in range(0, len(clips), batch):
        for features_audio, features_visual in encoder.encode_batch(clips[start : start + batch]):
            audio.append(features_audio)
            visual.append(features_visual)
    return {"audio": torch.stack(audio), "visual": torch.stack(visual)}


def _truth(scenes) -> tuple[dict[str, torch.Tensor], list[str]]:
    truths = [truth for _, truth in scenes]
    arrays = {
        "labels": torch.from_numpy(np.stack([truth.labels for truth in truths])),
        "time_masks": torch.from_numpy(np.stack([truth.time_mask.max(axis=1) for truth in truths])),
        "event_masks": torch.from_numpy(np.stack([truth.event_mask for truth in truths])),
    }
    return arrays, [truth.video_id for truth in truths]


def _save(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {key: value.contiguous() for key, value in tensors.items()}
    write_atomically(path, lambda target: save_file(tensors, str(target), metadata=metadata))


def _fill_chunk(
    encoders: Sequence[Encoder],
    truth_path: Path,
    paths: list[Path],
    seed: int,
    object_scale: float,
    chunk: int,
    clips: int,
    outliers: bool,
) -> None:
    """Render the chunk's ``clips`` once if any of its files is missing, and write those: the ground truth and each
    encoder's features (per encoder, the frames it decodes)."""
    scenes = {}

    def rendered(frames_per_segment: int):
        if frames_per_segment not in scenes:
            scenes[frames_per_segment] = _render_chunk(seed, object_scale, chunk, clips, frames_per_segment, outliers)
        return scenes[frames_per_segment]

    if not truth_path.is_file():
        arrays, chunk_ids = _truth(rendered(encoders[0].frames_per_segment))
        _save(truth_path, arrays, {"video_ids": json.dumps(chunk_ids)})
    for encoder, path in zip(encoders, paths):
        if not path.is_file():
            features = _encode(encoder, rendered(encoder.frames_per_segment))
            _save(path, features, {"encoder": json.dumps(encoder.describe(), default=str)})


def cached_features(
    encoders: Sequence[Encoder],
    n: int,
    seed: int,
    object_scale: float = OBJECT_SCALE,
    cache: Path | None = None,
    progress: bool = True,
    workers: int = 1,
    outliers: bool = False,
) -> tuple[list[str], dict[str, torch.Tensor], list[dict[str, torch.Tensor]]]:
    """(video ids, ground truth arrays, one {audio, visual} dict per encoder) for clips 0 … n-1 of ``seed`` (its
    outlier clips with ``outliers``); the missing chunks are rendered and encoded by ``workers`` processes
    (:mod:`explorer.demo.workers`)."""
    folder = demo_cache_dir(cache) / corpus_key(outliers)
    keys = [encoder_key(encoder) for encoder in encoders]
    plans = []  # (chunk, clips used, clips in the file, truth path, feature paths)
    for chunk in range((n + CHUNK - 1) // CHUNK):
        count = min(CHUNK, n - chunk * CHUNK)
        plans.append((chunk, count, *_chunk_paths(folder, keys, seed, object_scale, chunk, count)))
    missing = [plan for plan in plans if not all(path.is_file() for path in (plan[3], *plan[4]))]

    def fill(plan) -> None:
        chunk, _, clips, truth_path, paths = plan
        _fill_chunk(encoders, truth_path, paths, seed, object_scale, chunk, clips, outliers)

    filled = run_jobs(fill, missing, workers)
    description = f"features seed {seed}{' outliers' if outliers else ''}"
    for _ in tqdm(filled, total=len(missing), desc=description, disable=not progress, leave=False):
        pass
    ids, truth_parts, feature_parts = [], [], [[] for _ in encoders]
    for _, count, _, truth_path, paths in plans:
        for index, path in enumerate(paths):
            feature_parts[index].append({key: value[:count] for key, value in load_file(str(path)).items()})
        with safe_open(str(truth_path), "pt") as handle:  # one read: the arrays and the ids in the metadata
            truth_parts.append({key: handle.get_tensor(key)[:count] for key in handle.keys()})
            ids += json.loads(handle.metadata()["video_ids"])[:count]
    truth = {key: torch.cat([part[key] for part in truth_parts]) for key in truth_parts[0]}
    features = [
        {key: torch.cat([part[key] for part in parts]) for key in ("audio", "visual")} for parts in feature_parts
    ]
    return ids, truth, features
