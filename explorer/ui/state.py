"""Streamlit glue shared by every page: the sidebar, the settings and the cached loaders.

Models and encoders are cached with ``st.cache_resource`` (one copy per server, shared by
every session); decoded clips and explanations with ``st.cache_data``.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st
import torch

from explorer.models import display_name
from explorer.data import load_dataset as load_annotations, load_demo_dataset
from explorer.evaluation import checkpoint_encoder
from explorer.errors import ExplorerError
from explorer.explain.overlay import COLORMAPS
from explorer.explain.perturbation import perturbation_test
from explorer.models.base import AVModel
from explorer.models.checkpoint import list_checkpoints, load_checkpoint
from explorer.media import load_clip
from explorer.ui.analysis import ClipResult, explain_features
from explorer.ui.cards import checkpoint_label, encoder_summary, metric_rows, pick_defaults, target_rows
from explorer.ui.confine import confined
from explorer.ui.samples import CONTAINERS
from explorer.paths import DATASET_ROOT_VARIABLES, checkpoints_dir, demo_samples_dir

DEMO_DATASET = "Demo samples"
DATASETS = {DEMO_DATASET: "demo", "AVE": "ave", "LLP": "llp"}
CUSTOM_PATH = "Other path…"


# -- cached loaders -------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the model…", max_entries=8)
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
    """The encoder the model's card names, with its weights (one copy per server for every model that shares it)."""
    return _shared_encoder(encoder_id(model_path), model_path)


@st.cache_data(show_spinner="Decoding the clip…", max_entries=32)
def decode_clip(path: str, modified: float):
    """``modified`` (the file's mtime) keys the cache so an edited file is decoded again."""
    return load_clip(path)


@st.cache_data(show_spinner="Decoding the upload…", max_entries=8)
def decode_upload(data: bytes, filename: str):
    """Write the upload to a temporary folder that is always removed, and decode it."""
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="explorer-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return load_clip(path)


def clip_key(clip) -> str:
    """A short fingerprint of a clip's pixels and samples, to key cached explanations."""
    digest = hashlib.sha1(np.ascontiguousarray(clip.audio).tobytes())
    for frame in clip.frames:
        digest.update(np.ascontiguousarray(frame).tobytes())
    return digest.hexdigest()[:16]


@st.cache_data(show_spinner="Encoding…", max_entries=64)
def encode_features(identity: str, key: str, _clip, _model_path: str) -> tuple[np.ndarray, np.ndarray]:
    """The clip's features from the encoder ``identity`` names (:func:`encoder_id`); ``key`` (:func:`clip_key`)
    stands in for the clip."""
    audio, visual = load_encoder(_model_path).encode(_clip)
    return np.asarray(audio, dtype=np.float32), np.asarray(visual, dtype=np.float32)


def encode_clip(model_path: str, key: str, clip) -> tuple[np.ndarray, np.ndarray]:
    """The clip's features for this model, shared with every model trained on the same encoder."""
    return encode_features(encoder_id(model_path), key, clip, model_path)


@st.cache_data(show_spinner="Explaining…", max_entries=256)
def explain_clip(model_path: str, key: str, _clip) -> ClipResult:
    """The model's explanation of a clip; ``key`` (:func:`clip_key`) stands in for the clip in the cache."""
    audio, visual = encode_clip(model_path, key, _clip)
    return explain_features(load_model(model_path), torch.from_numpy(audio), torch.from_numpy(visual))


@st.cache_data(show_spinner="Perturbing…", max_entries=128)
def perturbation_curve(model_path: str, keys: tuple[str, ...], _clips: list, sigma2_levels: tuple[float, ...],
                       draws: int, relevant: bool) -> np.ndarray:
    """Mean TVD per σ² level over the clips (``keys`` stand in for them), with a fixed seed so reruns agree."""
    features = [encode_clip(model_path, key, clip) for key, clip in zip(keys, _clips)]
    batch = tuple(torch.from_numpy(np.stack(part)) for part in zip(*features))
    generator = torch.Generator().manual_seed(0)
    return perturbation_test(load_model(model_path), batch, list(sigma2_levels), draws, relevant, generator)


@st.cache_resource(show_spinner="Reading the annotations…", max_entries=4)
def load_dataset(name: str):
    """The demo samples or AVE / LLP annotations (read-only, so one copy serves every session)."""
    return load_demo_dataset(demo_samples_dir()) if name == "demo" else load_annotations(name)


def video_path(selection: "Selection", video_id: str) -> Path | None:
    """Where a sample's video lies: the demo clips folder, or the AVE / LLP root (top level or videos/)."""
    folders = [demo_samples_dir() / "clips"] if selection.dataset == "demo" else []
    if selection.dataset_root is not None:
        folders += [selection.dataset_root, selection.dataset_root / "videos"]
    for folder in folders:
        for container in CONTAINERS:
            if (candidate := folder / f"{video_id}.{container}").is_file():
                return candidate
    return None


def dataset_or_stop(selection: "Selection"):
    """The selected dataset, or its one-line error and the end of the page."""
    try:
        return load_dataset(selection.dataset)
    except ExplorerError as error:
        st.error(str(error))
        st.stop()


def samples_or_stop(selection: "Selection", dataset, missing: str, keep=lambda sample: True,
                    model: AVModel | None = None) -> list:
    """The dataset's samples whose video is on disk (and that ``keep`` accepts), or the note ``missing`` and the end
    of the page when there are none or ``model`` does not know the dataset's classes."""
    found = [s for s in dataset.samples if keep(s) and video_path(selection, s.video_id) is not None]
    if not found or (model is not None and model.num_classes != len(dataset.classes)):
        st.info(missing)
        st.stop()
    return found


def sample_clip(selection: "Selection", video_id: str):
    """The decoded clip of a sample, or None when its video is not on disk."""
    path = video_path(selection, video_id)
    return None if path is None else decode_clip(str(path), path.stat().st_mtime)


# -- settings ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Selection:
    """What the sidebar chose: a loaded model (or the reason there is none) and a dataset."""

    model: AVModel | None
    model_path: str | None
    model_problem: str | None
    dataset: str  # "demo", "ave" or "llp"
    dataset_root: Path | None

    @property
    def classes(self) -> list[str]:
        return list(self.model.card.get("classes", [])) if self.model is not None else []


def settings() -> dict:
    """Display settings shared by every page of the session."""
    defaults = {"colormap": "jet", "opacity": 0.5, "stretch_maps": False}
    for key, value in defaults.items():
        st.session_state.setdefault(key, value)
    return {key: st.session_state[key] for key in defaults}


def _model_picker() -> tuple[AVModel | None, str | None, str | None]:
    found = [str(path) for path in list_checkpoints(checkpoints_dir())]
    options = [*found, CUSTOM_PATH]
    preferred = pick_defaults(found, ["stan"])
    default = found.index(preferred[0]) if preferred else 0
    choice = st.sidebar.selectbox(
        "Model", options, index=default, key="model_choice", format_func=checkpoint_name,
        help="Every checkpoint under the checkpoints folder (EXPLORER_CHECKPOINTS_DIR), or a path you type.",
    )
    if choice == CUSTOM_PATH:
        choice = st.sidebar.text_input("Checkpoint path (without .json / .safetensors)", key="model_path_text").strip()
    if not choice:
        if not found:
            return None, None, f"No trained checkpoint found under {checkpoints_dir()}. Run `explorer demo reproduce`."
        return None, None, "Type the path of a checkpoint to load it."
    try:
        if choice not in found:  # typed by the visitor
            confined(choice, suffixes=(".json", ".safetensors"))
        return load_model(choice), choice, None
    except ExplorerError as error:
        return None, choice, str(error)


def checkpoint_name(path: str) -> str:
    """How pickers show a checkpoint path."""
    return path if path == CUSTOM_PATH else checkpoint_label(path, checkpoints_dir())


def model_card(model: AVModel) -> None:
    """Classes, metrics, encoder, demo targets and the retrain command of the model's card."""
    card = model.card
    st.markdown(f"**{display_name(model)}** · {model.num_classes} classes · trained on "
                f"**{card.get('dataset', 'unknown data')}** · encoder {encoder_summary(card)}")
    # st.table is static HTML: lighter for the browser than the interactive grid, which Home would otherwise load
    if rows := metric_rows(card):
        st.caption(card.get("metrics_split", "Metrics"))
        st.table(pd.DataFrame(rows).set_index("metric"))
    if rows := target_rows(card):
        met = sum(row["met"] == "yes" for row in rows)
        st.caption(f"Demo targets: {met} of {len(rows)} met")
        st.table(pd.DataFrame(rows).set_index("metric"))
    if card.get("classes"):
        st.caption("Classes: " + ", ".join(card["classes"]))
    if card.get("training_command"):
        st.caption("Retrain with")
        st.code(card["training_command"], language="bash", wrap_lines=True)


def sidebar() -> Selection:
    """Draw the sidebar on every page and return what it selected."""
    st.sidebar.header("Model")
    model, model_path, problem = _model_picker()
    if model is not None:
        with st.sidebar.expander("Model card"):
            model_card(model)
    st.sidebar.header("Data")
    label = st.sidebar.radio("Dataset", list(DATASETS), key="dataset_choice", horizontal=True)
    dataset = DATASETS[label]
    root = None
    if dataset in DATASET_ROOT_VARIABLES:
        typed = st.sidebar.text_input(
            f"{label} root (videos and/or a feature store)", value=os.environ.get(DATASET_ROOT_VARIABLES[dataset], ""),
            key=f"{dataset}_root", help=f"Or set {DATASET_ROOT_VARIABLES[dataset]} before starting the app.",
        ).strip()
        root = Path(typed) if typed else None
        if root is not None:
            try:
                confined(root)
            except ExplorerError as error:
                st.sidebar.error(str(error))
                root = None
    st.sidebar.header("Display")
    settings()
    st.sidebar.selectbox("Colormap", list(COLORMAPS), key="colormap",
                         help="How attention values become colours; with jet, red is attended and blue ignored.")
    st.sidebar.slider("Overlay opacity", 0.0, 1.0, step=0.05, key="opacity", help="0: the bare frame; 1: only the map.")
    st.sidebar.toggle("Stretch maps to each clip's range", key="stretch_maps",
                      help="Helps when the attention is nearly uniform; the caption still gives the raw range.")
    st.session_state["selection"] = Selection(model, model_path, problem, dataset, root)
    return st.session_state["selection"]


def selection() -> Selection:
    """What the sidebar (drawn by Home.py before each page) selected in this run."""
    return st.session_state["selection"]


def require_model(selection: Selection) -> AVModel:
    """The selected model, or a one-line reason and the end of the page."""
    if selection.model is None:
        st.warning(selection.model_problem)
        st.stop()
    return selection.model
