"""Streamlit glue shared by every page: the sidebar's selection and the page context built on it.

``page_context()`` is the one way a page starts: it reads what the sidebar chose, loads the dataset, and words the
checks every page needs (a model, a model that knows the dataset's classes, clips on disk) once, here.
What is loaded and computed is cached in :mod:`explorer.ui.cache`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd
import streamlit as st

from explorer.data.dataset import Dataset, Sample
from explorer.errors import ExplorerError
from explorer.explain.overlay import COLORMAPS
from explorer.media import Clip
from explorer.models import AVModel, Explanation, display_name, list_checkpoints
from explorer.paths import DATASET_ROOT_VARIABLES, checkpoints_dir, demo_samples_dir
from explorer.ui import cache
from explorer.ui.cards import checkpoint_label, encoder_summary, metric_rows, pick_defaults, target_rows
from explorer.ui.confine import confined
from explorer.ui.samples import CONTAINERS

DEMO_DATASET = "Demo samples"
DATASETS = {DEMO_DATASET: "demo", "AVE": "ave", "LLP": "llp"}
CUSTOM_PATH = "Other path…"


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


def misfit(model: AVModel, dataset: Dataset) -> str | None:
    """Why ``model`` cannot explain ``dataset`` (None when it can): the one wording of that check."""
    if model.num_classes == len(dataset.classes):
        return None
    return (
        f"{display_name(model)} knows {model.num_classes} classes but {dataset.name} has "
        f"{len(dataset.classes)}; pick a checkpoint trained on {dataset.name} in the sidebar."
    )


@dataclass(frozen=True)
class PageContext:
    """What a page works with: the sidebar's selection, its dataset, and the checks and clips every page needs."""

    selection: "Selection"
    dataset: Dataset

    @property
    def model(self) -> AVModel | None:
        return self.selection.model

    @property
    def model_path(self) -> str | None:
        return self.selection.model_path

    @property
    def classes(self) -> list[str]:
        """The dataset's class names as the pages show them (LLP's underscores read as spaces)."""
        return self.dataset.readable_classes

    def require_model(self) -> AVModel:
        """The selected model, or its one-line problem and the end of the page."""
        if self.model is None:
            st.warning(self.selection.model_problem)
            st.stop()
        return self.model

    def require_fit(self) -> AVModel:
        """A model that knows the dataset's classes, or why not and the end of the page."""
        model = self.require_model()
        if problem := misfit(model, self.dataset):
            st.warning(problem)
            st.stop()
        return model

    def fits(self, model: AVModel) -> bool:
        return misfit(model, self.dataset) is None

    def video_path(self, sample: Sample) -> Path | None:
        return video_path(self.selection, sample.video_id)

    @property
    def feature_stores(self) -> tuple:
        """The feature stores under the dataset root (none without a root)."""
        root = self.selection.dataset_root
        return () if root is None else cache.feature_stores(str(root))[0]

    def has_features(self, sample: Sample) -> bool:
        return any(store.has_sample(sample) for store in self.feature_stores)

    def on_disk(self, sample: Sample) -> bool:
        """Whether the sample can be explained: its features are in the root, or its video is on disk."""
        return self.has_features(sample) or self.video_path(sample) is not None

    def samples_on_disk(self, needs: str, keep: Callable[[Sample], bool] = lambda sample: True) -> list[Sample]:
        """The samples with features in the root or a video on disk (and that ``keep`` accepts), or a note that
        this page ``needs`` them and the end of the page."""
        found = [sample for sample in self.dataset.samples if keep(sample) and self.on_disk(sample)]
        if not found:
            st.info(
                f"{needs} No such clip of {self.dataset.name} is on disk: choose the demo samples, or set the "
                "dataset root in the sidebar (videos and/or features)."
            )
            st.stop()
        return found

    def split_picker(self, samples: list[Sample], key: str) -> tuple[str, list[Sample]]:
        """A split of ``samples`` (the test split first) and its samples; a dataset without splits (the demo
        samples) is one "all samples" choice."""
        splits = [name for name in ("test", "val", "train") if any(sample.split == name for sample in samples)]
        if not splits:
            return "all samples", samples
        name = st.selectbox("Split", splits, key=f"{key}_split", help="The official split, in its order.")
        chosen = [sample for sample in samples if sample.split == name]
        return f"the {name} split", chosen

    def clip(self, sample: Sample) -> Clip:
        """The sample as the views draw it; with features in the root, the models read them from there."""
        if self.has_features(sample):
            return cache.sample_clip(str(self.selection.dataset_root), sample, self.video_path(sample))
        return cache.decode_clip(self.video_path(sample))

    def explain(self, clip: Clip, model_path: str | None = None) -> Explanation:
        """The Explanation of ``clip`` by the selected model (or the checkpoint at ``model_path``)."""
        return cache.explain(model_path or self.model_path, clip)

    def checkpoints(self) -> list[str]:
        """Every checkpoint under the checkpoints folder that knows this dataset's classes."""
        found = [str(path) for path in list_checkpoints(checkpoints_dir())]
        return [path for path in found if _loads(path) and self.fits(cache.load_model(path))]


def _loads(path: str) -> bool:
    try:
        cache.load_model(path)
        return True
    except ExplorerError:
        return False


def page_context() -> PageContext:
    """The selection of this run and its dataset (or the dataset's one-line error and the end of the page)."""
    selected = selection()
    try:
        dataset = cache.load_dataset(selected.dataset)
    except ExplorerError as error:
        st.error(str(error))
        st.stop()
    return PageContext(selected, dataset)


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
        "Model",
        options,
        index=default,
        key="model_choice",
        format_func=checkpoint_name,
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
        return cache.load_model(choice), choice, None
    except ExplorerError as error:
        return None, choice, str(error)


def _model_for_dataset() -> None:
    """When the visitor switches dataset and the chosen model does not know its classes, switch to a checkpoint
    that does (STAN first), so that the new dataset opens explained; a fitting choice is kept."""
    try:
        dataset = cache.load_dataset(DATASETS[st.session_state["dataset_choice"]])
    except ExplorerError:
        return  # the page says why
    fitting = [
        path
        for path in map(str, list_checkpoints(checkpoints_dir()))
        if _loads(path) and misfit(cache.load_model(path), dataset) is None
    ]
    current = st.session_state.get("model_choice")
    if fitting and current not in fitting and current != CUSTOM_PATH:
        st.session_state["model_choice"] = (pick_defaults(fitting, ["stan"]) or fitting)[0]


def checkpoint_name(path: str) -> str:
    """How pickers show a checkpoint path."""
    return path if path == CUSTOM_PATH else checkpoint_label(path, checkpoints_dir())


def model_card(model: AVModel) -> None:
    """Classes, metrics, encoder, demo targets and the retrain command of the model's card."""
    card = model.card
    st.markdown(
        f"**{display_name(model)}** · {model.num_classes} classes · trained on "
        f"**{card.get('dataset', 'unknown data')}** · encoder {encoder_summary(card)}"
    )
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
    training = card.get("training")
    if isinstance(training, dict) and isinstance(selection := training.get("checkpoint_selection"), str):
        st.caption(f"Checkpoint: the {selection}.")  # a where/when score that picked it must be visible
    if card.get("training_command"):
        st.caption("Retrain with")
        st.text(card["training_command"])  # plain text: st.code would load a 1.5 MB highlighter into every browser


def sidebar() -> Selection:
    """Draw the sidebar on every page and return what it selected."""
    st.sidebar.header("Model")
    model, model_path, problem = _model_picker()
    if model is not None:
        with st.sidebar.expander("Model card"):
            model_card(model)
    st.sidebar.header("Data")
    label = st.sidebar.radio(
        "Dataset", list(DATASETS), key="dataset_choice", horizontal=True, on_change=_model_for_dataset
    )
    dataset = DATASETS[label]
    root = None
    if dataset in DATASET_ROOT_VARIABLES:
        typed = st.sidebar.text_input(
            f"{label} root (videos and/or a feature store)",
            value=os.environ.get(DATASET_ROOT_VARIABLES[dataset], ""),
            key=f"{dataset}_root",
            help=f"Or set {DATASET_ROOT_VARIABLES[dataset]} before starting the app.",
        ).strip()
        root = Path(typed) if typed else None
        if root is not None:
            try:
                confined(root)
            except ExplorerError as error:
                st.sidebar.error(str(error))
                root = None
        if root is not None:
            stores, problems = cache.feature_stores(str(root))
            for problem in problems:
                st.sidebar.warning(problem)
            if stores:
                st.sidebar.caption("Features found: " + "; ".join(str(store) for store in stores))
    st.sidebar.header("Display")
    settings()
    st.sidebar.selectbox(
        "Colormap",
        list(COLORMAPS),
        key="colormap",
        help="How attention values become colours; with jet, red is attended and blue ignored.",
    )
    st.sidebar.slider("Overlay opacity", 0.0, 1.0, step=0.05, key="opacity", help="0: the bare frame; 1: only the map.")
    st.sidebar.toggle(
        "Stretch maps to each clip's range",
        key="stretch_maps",
        help="Helps when the attention is nearly uniform; the caption still gives the raw range.",
    )
    st.session_state["selection"] = Selection(model, model_path, problem, dataset, root)
    return st.session_state["selection"]


def selection() -> Selection:
    """What the sidebar (drawn by Home.py before each page) selected in this run."""
    return st.session_state["selection"]
