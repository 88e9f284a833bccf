"""The Browse page's parts: dataset statistics, the predicted sample table, and one opened sample."""

from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.data.dataset import SPLITS, Sample
from explorer.explain import reads_released_features
from explorer.paths import DATASET_ROOT_VARIABLES, DEMO_SAMPLES_VARIABLE
from explorer.ui import cache, views
from explorer.ui.samples import SampleFilter, annotation_boxes, filter_rows, sample_rows
from explorer.ui.state import PageContext, misfit

MAX_PREDICTED = 100  # explaining more clips on page load would make the page slow


def samples_on_disk(context: PageContext) -> dict[int, Sample]:
    """Sample index → sample, for the samples with features in the dataset root or a video on disk."""
    return {sample.index: sample for sample in context.dataset.samples if context.on_disk(sample)}


def annotations_only(context: PageContext) -> None:
    """What Browse shows without videos or features: where to point it, and the dataset's statistics."""
    variable = DATASET_ROOT_VARIABLES.get(context.selection.dataset, DEMO_SAMPLES_VARIABLE)
    st.info(
        "Showing annotations only: no videos or features found; set the root in the sidebar or "
        f"{variable} to explain clips."
    )
    with st.expander("Dataset statistics", expanded=True):
        stats = context.dataset.stats()
        splits = ", ".join(f"{name} {size}" for name, size in stats["split_sizes"].items())
        st.markdown(
            f"{stats['num_samples']} videos · {stats['num_classes']} classes · splits: {splits} · "
            f"{stats['num_events']} annotated events"
        )
        st.dataframe(stats["per_class"], hide_index=True, width="stretch")


def predictions_on_disk(context: PageContext, on_disk: dict[int, Sample]) -> dict[int, np.ndarray]:
    """Each on-disk sample's class probabilities (the first MAX_PREDICTED), with a progress bar; {} when there is
    no model that knows the dataset's classes (the reason is shown)."""
    model = context.model
    problem = context.selection.model_problem if model is None else misfit(model, context.dataset)
    if problem:
        st.warning(problem + (" Predictions are hidden." if model is not None else ""))
        return {}
    if not on_disk:
        return {}
    explained = list(on_disk.items())[:MAX_PREDICTED]
    progress = st.progress(0.0, text="Explaining the clips…")
    probs = {}
    for done, (index, sample) in enumerate(explained, start=1):
        probs[index] = context.explain(context.clip(sample)).numpy("probs")
        progress.progress(done / len(explained), text=f"Explained {done} of {len(explained)} clips")
    progress.empty()
    return probs


def sample_table(context: PageContext, on_disk: dict[int, Sample], probs: dict[int, np.ndarray]) -> Sample | None:
    """The filters and the table of the samples on disk (every annotated sample when none is); the clicked sample
    (the first row until one is clicked), None when the filters leave no row."""
    dataset = context.dataset
    listed = list(on_disk.values()) or dataset.samples
    columns = st.columns([3, 1, 1, 2])
    wanted = SampleFilter(
        classes=tuple(columns[0].multiselect("Class", dataset.classes, key="browse_classes")),
        split=columns[1].selectbox("Split", [None, *SPLITS], format_func=lambda s: s or "all", key="browse_split"),
        correctness=columns[2].selectbox(
            "Prediction", ["all", "correct", "incorrect"], key="browse_correct", disabled=not probs
        ),
        confidence=columns[3].slider("Confidence", 0.0, 1.0, (0.0, 1.0), key="browse_confidence", disabled=not probs),
    )
    rows = filter_rows(sample_rows(listed, context.classes, probs), wanted)
    where = f" (the {len(on_disk)} with a video or features here)" if on_disk else ""
    st.caption(f"{len(rows)} of {len(dataset.samples)} samples{where}. Click a row to open it.")
    confidence = st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="%.2f")
    table = st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        height=250,
        on_select="rerun",
        selection_mode="single-row",
        key="browse_table",
        column_config={"index": None, "confidence": confidence},
    )  # index finds the sample
    if not rows:
        return None
    picked = table.selection.rows
    sample = dataset.samples[rows[picked[0] if picked else 0]["index"]]
    st.subheader(f"{sample.video_id}" + ("" if picked else " (first row; click another to switch)"))
    return sample


def open_sample(context: PageContext, sample: Sample, on_disk: dict[int, Sample], explain: bool) -> None:
    """The sample's video (or which features stand for it), and with ``explain`` its predictions, views and
    counterfactuals."""
    if sample.index not in on_disk:
        st.info(
            "This sample has neither a video nor features on disk; point the sidebar's root at the folder that "
            "holds them."
        )
        return
    clip = context.clip(sample)
    views.clip_warnings(clip)
    video_column, prediction_column = st.columns([1, 1])
    if (video := context.video_path(sample)) is not None:
        video_column.video(str(video))
    else:
        video_column.info(views.no_video_note(clip, context.model))
    if not explain:
        return
    result = context.explain(clip)
    classes = context.classes
    with prediction_column:
        views.predictions(result, classes, sample.labels)
    views.explanation_views(
        clip,
        result,
        classes,
        sample.labels,
        annotation_boxes(sample, classes),
        "browse",
        sample.video_id,
        context.model,
    )
    if not clip.has_video:
        return  # counterfactuals change the video and encode it again: features alone give nothing to change
    if reads_released_features(context.model):
        st.caption(
            "Counterfactuals change the video and encode it again; this model reads released features whose "
            "encoders are not here, so it has none."
        )
        return
    with st.expander("Counterfactuals: mute, blank or swap the audio"):
        others = {
            other.video_id: (lambda path=path: cache.decode_clip(path))
            for other in on_disk.values()
            if other.index != sample.index and (path := context.video_path(other)) is not None
        }
        views.counterfactual_panel(clip, result, context.model_path, classes, others, "browse")
