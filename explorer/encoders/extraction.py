"""Batch feature extraction: videos listed in an annotation file → a :class:`FeatureStore`.

Worker threads decode clips ahead (PyAV decodes outside the GIL) while the main thread runs batched
encoder forwards. Videos already in the store are skipped, so a killed run resumes where it stopped;
``shard=(i, n)`` takes every n-th video from the i-th, so n machines can share one store. A file that
cannot be decoded is skipped and listed, with the reason, in the report.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch
from tqdm import tqdm

from explorer.data.ave import read_ave_rows
from explorer.data.features import FeatureStore
from explorer.data.files import read_lines
from explorer.encoders.base import Encoder
from explorer.errors import DataError, ExplorerError
from explorer.media import Clip, MediaError, load_clip

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".avi", ".mov")


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` → (i, n) with 0 <= i < n."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise DataError(f"--shard must be i/n with 0 <= i < n (for example 0/4), got {text!r}.")
    return int(index), int(count)


def read_video_ids(annotations: str | Path) -> list[str]:
    """Video ids, in file order, from an AVE ``Annotations.txt`` or an LLP (AVVP) csv with a ``filename`` column."""
    annotations = Path(annotations)
    lines = read_lines(annotations)
    header = lines[0][1] if lines else ""
    delimiter = "\t" if "\t" in header else ","
    columns = [column.strip() for column in header.split(delimiter)]
    if "filename" in columns:
        position = columns.index("filename")
        ids = [fields[position].strip() for _, line in lines[1:] if len(fields := line.split(delimiter)) > position]
    else:
        ids = [row.video_id for row in read_ave_rows(annotations)]
    ids = list(dict.fromkeys(video_id for video_id in ids if video_id))
    if not ids:
        raise DataError(
            f"{annotations} lists no videos; expected AVE Annotations.txt rows or an LLP csv with a filename column."
        )
    return ids


def find_video(videos: Path, video_id: str) -> Path | None:
    """``<videos>/<id>.mp4`` or ``<videos>/AVE/<id>.mp4`` (the AVE zip's layout), or another common container."""
    for folder in (videos, videos / "AVE"):
        for suffix in VIDEO_SUFFIXES:
            if (folder / f"{video_id}{suffix}").is_file():
                return folder / f"{video_id}{suffix}"
    return None


def report_path(store_root: Path, shard: tuple[int, int]) -> Path:
    """One report per shard, so shards sharing a store never overwrite each other's."""
    index, count = shard
    return store_root / ("extract_report.json" if count == 1 else f"extract_report.shard{index}of{count}.json")


def extract_features(
    videos: str | Path,
    annotations: str | Path,
    encoder: Encoder,
    out: str | Path,
    shard: tuple[int, int] = (0, 1),
    workers: int = 2,
    max_seconds: float = 60,
    batch_size: int = 4,
    progress: bool = True,
) -> dict:
    """Encode every listed video of this shard that the store lacks; returns (and writes) the report."""
    videos = Path(videos)
    if not videos.is_dir():
        raise DataError(f"video folder {videos} does not exist; pass the folder that holds <video_id>.mp4 files.")
    if workers < 1 or batch_size < 1:
        raise DataError(f"workers and batch size must be at least 1, got {workers} and {batch_size}.")
    index, count = shard
    ids = read_video_ids(annotations)[index::count]
    store = FeatureStore.create(out, encoder.name, encoder.audio_dim, encoder.visual_dim, encoder.grid)
    todo = [video_id for video_id in ids if video_id not in store]
    failed: list[dict] = []
    started = time.perf_counter()

    def decode(video_id: str) -> Clip:
        path = find_video(videos, video_id)
        if path is None:
            raise MediaError(f"no video file for {video_id} in {videos} (looked for {video_id}.mp4, also under AVE/).")
        max_side = max(320, 2 * encoder.frame_size)  # enough pixels for the encoder's input, no more
        return load_clip(
            path, max_seconds=max_seconds, frames_per_segment=encoder.frames_per_segment, max_side=max_side
        )

    with (
        _cores_left_to_torch(workers),
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=len(todo), unit="clip", disable=not progress, desc=f"extract {encoder.name}") as bar,
    ):
        batch: list[tuple[str, Clip]] = []
        for video_id, clip_or_error in _decoded_ahead(pool, decode, todo, ahead=2 * workers + batch_size):
            if isinstance(clip_or_error, Clip):
                batch.append((video_id, clip_or_error))
            else:
                failed.append({"video_id": video_id, "reason": clip_or_error})
                bar.update(1)
            if len(batch) == batch_size:
                _encode_and_store(encoder, store, batch, failed)
                bar.update(len(batch))
                batch = []
        if batch:
            _encode_and_store(encoder, store, batch, failed)
            bar.update(len(batch))

    seconds = time.perf_counter() - started
    report = {
        "encoder": encoder.describe(),
        "videos": str(videos),
        "annotations": str(annotations),
        "shard": f"{index}/{count}",
        "listed": len(ids),
        "already_in_store": len(ids) - len(todo),
        "extracted": len(todo) - len(failed),
        "failed": failed,
        "seconds": round(seconds, 3),
        "clips_per_second": round(len(todo) / seconds, 3) if todo and seconds > 0 else None,
    }
    report_path(store.root, shard).write_text(json.dumps(report, indent=2) + "\n")
    return report


@contextmanager
def _cores_left_to_torch(decoding_workers: int):
    """Give torch the cores the decoders leave free: oversubscribed OpenMP threads spin and run 2-3x slower."""
    before = torch.get_num_threads()
    torch.set_num_threads(max(1, min(before, (os.cpu_count() or 1) - decoding_workers)))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _decoded_ahead(
    pool: ThreadPoolExecutor, decode, video_ids: list[str], ahead: int
) -> Iterator[tuple[str, Clip | str]]:
    """(id, clip) in order, or (id, reason) for a file that failed, keeping ``ahead`` decodes in flight."""
    pending: deque[tuple[str, Future]] = deque()
    remaining = iter(video_ids)
    for video_id in remaining:
        pending.append((video_id, pool.submit(decode, video_id)))
        if len(pending) >= ahead:
            break
    while pending:
        video_id, future = pending.popleft()
        next_id = next(remaining, None)
        if next_id is not None:
            pending.append((next_id, pool.submit(decode, next_id)))
        try:
            yield video_id, future.result()
        except ExplorerError as error:
            yield video_id, str(error)
        except Exception as error:  # a decoder bug on one odd file must not stop a long extraction
            yield video_id, f"unexpected {type(error).__name__} while decoding: {error}"


def _encode_and_store(encoder: Encoder, store: FeatureStore, batch: list[tuple[str, Clip]], failed: list[dict]) -> None:
    """One forward for the batch; if that fails, clip by clip, so one bad clip fails alone."""
    try:
        features = encoder.encode_batch([clip for _, clip in batch])
    except ExplorerError as error:
        if len(batch) == 1:
            failed.append({"video_id": batch[0][0], "reason": str(error)})
            return
        for item in batch:
            _encode_and_store(encoder, store, [item], failed)
        return
    for (video_id, _), (audio, visual) in zip(batch, features):
        store.write(video_id, audio, visual)
