"""What the app loads and computes, cached once per server and shared by every session.

Models, encoders and annotations are few and read-only: ``st.cache_resource``. Decoded clips, features,
explanations and perturbation curves grow with the visitors: byte-bounded caches (:mod:`explorer.ui.memo`), keyed by
the clip itself, so no caller passes a cache key by hand. The budgets below are the whole of what they may hold.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

import numpy as np
import streamlit as st
import torch

from explorer.data import load_dataset as load_annotations
from explorer.data import load_demo_dataset
from explorer.data.dataset import Sample
from explorer.data.features import find_feature_stores
from explorer.explain import checkpoint_encoder, explain_features
from explorer.explain.familiarity import Familiarity, FeatureReference, reference_for
from explorer.explain.methods import METHODS, MethodMaps, create_method
from explorer.explain.methods.metrics import AnnotatedClip, score_method
from explorer.explain.perturbation import perturbation_test
from explorer.media import Clip, load_clip
from explorer.models import AVModel, Explanation, load_checkpoint
from explorer.paths import demo_samples_dir
from explorer.ui.memo import memoize
from explorer.ui.samples import demo_event_masks
from explorer.ui.stored import StoredClip, stored_clip

# Byte budgets (MiB). A decoded 60 s clip at the demo's 224 px and 8 fps is ~70 MiB; its features ~1 MiB.
DECODED_MB, UPLOADS_MB, FEATURES_MB, EXPLANATIONS_MB, CURVES_MB = 768, 256, 256, 128, 16
# Encodes of different clips at once: each already uses every core, so more only multiplies the peak memory (8
# visitors uploading at once reached 3.2 GiB) and makes each of them slower.
ENCODES_AT_ONCE = 2
_encoding = threading.BoundedSemaphore(ENCODES_AT_ONCE)
# A method's maps of a 60 s clip on a 14×14 grid are ~50 KiB; a leaderboard cell is a few floats.
METHOD_MAPS_MB, METHOD_SCORES_MB = 32, 1


@st.cache_resource(show_spinner="Loading the model…", max_entries=16)
def load_model(path: str) -> AVModel:
    return load_checkpoint(path)


def encoder_id(model_path: str) -> str:
    """What identifies a model's encoder: its card entry, resolved against the checkpoint folder as the card's
    relative weights paths are. Models that share it share one encoder and one set of encoded features."""
    card = load_model(model_path).card
    return f"{Path(model_path).parent.resolve()}:{json.dumps(card.get('encoder'), sort_keys=True)}"


@st.cache_resource(show_spinner="Loading the encoders…", max_entries=4)
def _shared_encoder(identity: str, _model_path: str):
    return checkpoint_encoder(load_model(_model_path))


def load_encoder(model_path: str):
    return _shared_encoder(encoder_id(model_path), model_path)


def load_dataset(name: str):
    """The demo samples or AVE / LLP annotations (read-only, so one copy serves every session); the demo samples'
    folder is part of the key, so moving EXPLORER_DEMO_SAMPLES is seen."""
    return _load_dataset(name, str(demo_samples_dir()) if name == "demo" else None)


@st.cache_resource(show_spinner="Reading the annotations…", max_entries=4)
def _load_dataset(name: str, demo_folder: str | None):
    return load_demo_dataset(demo_folder) if demo_folder else load_annotations(name)


@memoize("decoded clips", DECODED_MB)
def _decode_file(path: str, modified: float) -> Clip:
    with st.spinner("Decoding the clip…"):
        return load_clip(path)


def decode_clip(path: str | Path) -> Clip:
    """A video file decoded once; its modification time is part of the key, so an edited file is decoded again."""
    return _decode_file(str(path), Path(path).stat().st_mtime)


@memoize("decoded uploads", UPLOADS_MB)
def decode_upload(data: bytes, filename: str) -> Clip:
    """Write the upload to a temporary folder that is always removed, and decode it."""
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="explorer-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return load_clip(path)


@st.cache_resource(show_spinner="Looking for features in the dataset root…", max_entries=8, ttl=60)
def feature_stores(root: str) -> tuple[tuple, tuple[str, ...]]:
    """The feature stores under a dataset root and a sentence for each broken one (looked at again after a
    minute, so features added meanwhile are seen)."""
    stores, problems = find_feature_stores(root)
    return tuple(stores), tuple(problems)


def sample_clip(root: str, sample: Sample, video: Path | None) -> StoredClip:
    """A sample with features under ``root`` as a clip: its video when on disk, otherwise a neutral grid."""
    return stored_clip(sample, feature_stores(root)[0], root, None if video is None else decode_clip(video))


@memoize("features", FEATURES_MB)
def _encode(identity: str, clip: Clip, _model_path: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(clip, StoredClip) and (stored := clip.features_for(load_model(_model_path))) is not None:
        return stored
    with st.spinner("Encoding…"), _encoding:
        audio, visual = load_encoder(_model_path).encode(clip)
    return np.asarray(audio, dtype=np.float32), np.asarray(visual, dtype=np.float32)


def features(model_path: str, clip: Clip) -> tuple[np.ndarray, np.ndarray]:
    """The clip's features for this model, shared with every model trained on the same encoder: read from the
    dataset root's store when the clip is a stored sample that has them (never re-encoded), else encoded."""
    return _encode(encoder_id(model_path), clip, _model_path=model_path)


@memoize("explanations", EXPLANATIONS_MB)
def explain(model_path: str, clip: Clip) -> Explanation:
    """The model's Explanation of the clip (a batch of one)."""
    audio, visual = features(model_path, clip)
    return explain_features(load_model(model_path), torch.from_numpy(audio), torch.from_numpy(visual))


@st.cache_resource(show_spinner=False, max_entries=16)
def feature_reference(model_path: str) -> FeatureReference | None:
    """The training clips' feature statistics stored beside the checkpoint, if they match its encoder."""
    return reference_for(load_model(model_path))


def familiarity(model_path: str, clip: Clip) -> Familiarity | None:
    """How far the clip's features lie from the model's training clips; None when its folder has no reference."""
    reference = feature_reference(model_path)
    return None if reference is None else reference.assess(*features(model_path, clip))


@memoize("perturbation curves", CURVES_MB)
def perturbation_curve(
    model_path: str, clips: tuple[Clip, ...], sigma2_levels: tuple[float, ...], draws: int, relevant: bool
) -> np.ndarray:
    """Mean TVD per σ² level over the clips, with a fixed seed so reruns agree; the noise is drawn only where it
    lands (``sampling="fast"``, exact in distribution), which makes the paper's 100 draws quick enough for a page."""
    batch = tuple(torch.from_numpy(np.stack(part)) for part in zip(*(features(model_path, clip) for clip in clips)))
    generator = torch.Generator().manual_seed(0)
    model = load_model(model_path)
    return perturbation_test(model, batch, list(sigma2_levels), draws, relevant, generator, sampling="fast")


@memoize("method maps", METHOD_MAPS_MB)
def _method_maps(model_path: str, clip: Clip, method: str, target: int) -> MethodMaps:
    audio, visual = features(model_path, clip)
    return create_method(method).maps(
        load_model(model_path), torch.from_numpy(audio)[None], torch.from_numpy(visual)[None], target
    )


def method_maps(model_path: str, clip: Clip, method: str, target: int) -> MethodMaps:
    """The maps of an explanation method (:mod:`explorer.explain.methods`) of the clip for class ``target``,
    computed once per model, clip, method and class (occlusion runs a forward per visual cell and audio second).

    The spinner is outside the cached computation on purpose: a rerun the visitor starts meanwhile stops the script
    at its next Streamlit call, which comes only after the result is kept, so the work is never thrown away.
    """
    with st.spinner(f"Computing {METHODS[method].label} for this clip…", show_time=True):
        return _method_maps(model_path, clip, method, int(target))


def annotated_clips(
    model_path: str, dataset: str, clips: tuple[Clip, ...], sample_indices: tuple[int, ...]
) -> list[AnnotatedClip]:
    """The clips (of the dataset's samples at ``sample_indices``, in order) with their annotations, on this model's
    features; object masks only for the demo samples, the only ones that have them."""
    samples = load_dataset(dataset).samples
    annotated = []
    for clip, index in zip(clips, sample_indices, strict=True):
        sample = samples[index]
        masks = demo_event_masks(demo_samples_dir(), sample.video_id) if dataset == "demo" else None
        annotated.append(
            AnnotatedClip.of_sample(*features(model_path, clip), sample.labels, sample.time_mask_any, masks)
        )
    return annotated


@memoize("method scores", METHOD_SCORES_MB)
def method_scores(
    model_path: str, method: str, dataset: str, clips: tuple[Clip, ...], sample_indices: tuple[int, ...], draws: int
) -> dict[str, float | None]:
    """Every score of the method on the model over the annotated clips (:func:`score_method`; ``draws`` noises per
    σ² level in the perturbation test)."""
    annotated = annotated_clips(model_path, dataset, clips, sample_indices)
    return score_method(load_model(model_path), create_method(method), annotated, draws=draws)
