"""Samples known by their precomputed features (no streamlit): the clip the views draw and the features the model
reads, so that a dataset root holding only features (the released AVE h5 pair, LLP's .npy, an ``explorer extract``
store) is browsed, perturbed and pointed at like one holding videos.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from explorer.data.dataset import Sample
from explorer.errors import DataError
from explorer.media import SAMPLE_RATE, Clip
from explorer.models import AVModel, display_name

NEUTRAL_SIZE = 224  # the encoders' input size: a stand-in frame as large as the frames the maps were made from
NEUTRAL_GREY, GRID_GREY = 236, 180


def neutral_frame(grid: tuple[int, int], size: int = NEUTRAL_SIZE) -> np.ndarray:
    """A light-grey H×W×3 frame ruled into the feature map's cells: what a space map is drawn over without video."""
    frame = np.full((size, size, 3), NEUTRAL_GREY, np.uint8)
    rows, columns = grid
    for edge in np.linspace(0, size - 1, rows + 1).round().astype(int):
        frame[max(edge - 1, 0) : edge + 1, :] = GRID_GREY
    for edge in np.linspace(0, size - 1, columns + 1).round().astype(int):
        frame[:, max(edge - 1, 0) : edge + 1] = GRID_GREY
    return frame


def model_feature_key(model: AVModel) -> tuple[str | None, int, int]:
    """What a model's features must be: its card's encoder name and its input dims."""
    spec = model.card.get("encoder") if isinstance(model.card.get("encoder"), dict) else {}
    return spec.get("name"), model.audio_dim, model.visual_dim


@dataclass(eq=False)
class StoredClip(Clip):
    """A dataset sample whose features lie in the root's stores. A model whose encoder made them reads them and
    never re-encodes; the frames and sound are the video's when it is on disk, otherwise a neutral grid and silence
    with ``has_video`` False (the views then leave out the waveform and say what the frames are)."""

    sample: Sample | None = None
    stores: tuple = ()
    root: str = ""

    @cached_property
    def fingerprint(self) -> str:
        video = super().fingerprint if self.has_video else ""
        identity = f"{self.root}|{self.sample.source}|{self.sample.index}|{self.sample.video_id}|{video}"
        return hashlib.sha1(identity.encode()).hexdigest()[:16]

    def store_for(self, model: AVModel):
        """The store holding this sample's features in the shape ``model`` reads, or None."""
        encoder, audio_dim, visual_dim = model_feature_key(model)
        for store in self.stores:
            if (store.encoder, store.audio_dim, store.visual_dim) == (encoder, audio_dim, visual_dim):
                if store.has_sample(self.sample):
                    return store
        return None

    def features_for(self, model: AVModel) -> tuple[np.ndarray, np.ndarray] | None:
        """(audio T×Da, visual T×H×W×Dv) from the store ``model``'s encoder filled; None when there is none, and a
        DataError when there is none and no video to encode either."""
        store = self.store_for(model)
        if store is not None:
            audio, visual = store.read_sample(self.sample)
            return audio.numpy(), visual.numpy()
        if not self.has_video:
            encoder = model_feature_key(model)[0]
            raise DataError(
                f"{self.sample.video_id} has no features of {display_name(model)}'s encoder ({encoder}) under "
                f"{self.root}, and no video to encode: pick a model trained on the features there."
            )
        return None


def stored_clip(sample: Sample, stores: Sequence, root: str, video: Clip | None) -> StoredClip:
    """The sample as a clip: ``video`` when it was decoded, otherwise a neutral grid (in the first store's grid)
    with silence, one second per stored feature segment."""
    holding = [store for store in stores if store.has_sample(sample)]
    if not holding:
        raise DataError(f"{sample.video_id} has no features under {root}.")
    if video is not None:
        fields = {field.name: getattr(video, field.name) for field in dataclasses.fields(Clip)}
        return StoredClip(**fields, sample=sample, stores=tuple(stores), root=root)
    seconds = holding[0].segments(sample)  # a header read: the features themselves are read once, by the model's cache
    blank = neutral_frame(holding[0].grid)[None]
    return StoredClip(
        frames=[blank] * seconds,
        audio=np.zeros(seconds * SAMPLE_RATE, np.float32),
        sample_rate=SAMPLE_RATE,
        duration=float(seconds),
        fps=1.0,
        num_segments=seconds,
        has_audio=False,
        has_video=False,
        truncated=False,
        source_duration=float(seconds),
        warnings=[],
        sample=sample,
        stores=tuple(stores),
        root=root,
    )
