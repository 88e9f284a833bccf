"""Browse: the samples of the chosen dataset with their predictions; open one to see where and when."""
import streamlit as st

from explorer.data.dataset import SPLITS
from explorer.paths import DATASET_ROOT_VARIABLES, DEMO_SAMPLES_VARIABLE
from explorer.ui import state, views
from explorer.ui.samples import SampleFilter, annotation_boxes, filter_rows, sample_rows

MAX_PREDICTED = 100  # explaining more clips on page load would make the page slow

st.title("Browse")
selection = state.selection()
dataset = state.dataset_or_stop(selection)

on_disk = {s.index: path for s in dataset.samples if (path := state.video_path(selection, s.video_id)) is not None}
if not on_disk:
    variable = DATASET_ROOT_VARIABLES.get(selection.dataset, DEMO_SAMPLES_VARIABLE)
    st.info(f"Showing annotations only: no videos found; set the root in the sidebar or {variable} to explain clips.")
    with st.expander("Dataset statistics", expanded=True):
        stats = dataset.stats()
        splits = ", ".join(f"{name} {size}" for name, size in stats["split_sizes"].items())
        st.markdown(f"{stats['num_samples']} videos · {stats['num_classes']} classes · splits: {splits} · "
                    f"{stats['num_events']} annotated events")
        st.dataframe(stats["per_class"], hide_index=True, width="stretch")

model = selection.model
usable = model is not None and model.num_classes == len(dataset.classes)
if model is None:
    st.warning(selection.model_problem)
elif not usable:
    st.warning(f"The model knows {model.num_classes} classes but {dataset.name} has {len(dataset.classes)}; predictions are hidden.")
probs = {}
if usable and on_disk:
    explained = list(on_disk.items())[:MAX_PREDICTED]
    progress = st.progress(0.0, text="Explaining the clips…")
    for done, (index, path) in enumerate(explained, start=1):
        clip = state.decode_clip(str(path), path.stat().st_mtime)
        probs[index] = state.explain_clip(selection.model_path, state.clip_key(clip), clip).probs
        progress.progress(done / len(explained), text=f"Explained {done} of {len(explained)} clips")
    progress.empty()

columns = st.columns([3, 1, 1, 2])
wanted = SampleFilter(
    classes=tuple(columns[0].multiselect("Class", dataset.classes, key="browse_classes")),
    split=columns[1].selectbox("Split", [None, *SPLITS], format_func=lambda s: s or "all", key="browse_split"),
    correctness=columns[2].selectbox("Prediction", ["all", "correct", "incorrect"], key="browse_correct", disabled=not probs),
    confidence=columns[3].slider("Confidence", 0.0, 1.0, (0.0, 1.0), key="browse_confidence", disabled=not probs),
)
rows = filter_rows(sample_rows(dataset.samples, dataset.classes, probs), wanted)
st.caption(f"{len(rows)} of {len(dataset.samples)} samples. Click a row to open it.")
table = st.dataframe(rows, hide_index=True, width="stretch", height=250, on_select="rerun",
                     selection_mode="single-row", key="browse_table",
                     column_config={"index": None,  # kept in the rows to find the sample, not worth a column
                                    "confidence": st.column_config.ProgressColumn("confidence", min_value=0.0, max_value=1.0, format="%.2f")})
if not rows:
    st.stop()
picked = table.selection.rows
sample = dataset.samples[rows[picked[0] if picked else 0]["index"]]
st.subheader(f"{sample.video_id}" + ("" if picked else " (first row; click another to switch)"))
if sample.index not in on_disk:
    st.info("This sample's video is not on disk; point the sidebar's root at the folder that holds it.")
    st.stop()

clip = state.decode_clip(str(on_disk[sample.index]), on_disk[sample.index].stat().st_mtime)
views.clip_warnings(clip)
video_column, prediction_column = st.columns([1, 1])
video_column.video(str(on_disk[sample.index]))
if not usable:
    st.stop()
result = state.explain_clip(selection.model_path, state.clip_key(clip), clip)
with prediction_column:
    views.predictions(result, dataset.classes, sample.labels)
views.explanation_views(clip, result, dataset.classes, sample.labels, annotation_boxes(sample, dataset.classes),
                        "browse", sample.video_id, model)
with st.expander("Counterfactuals: mute, blank or swap the audio"):
    others = {s.video_id: (lambda s=s: state.sample_clip(selection, s.video_id)) for s in dataset.samples
              if s.index in on_disk and s.index != sample.index}
    views.counterfactual_panel(clip, result, selection.model_path, dataset.classes, others, "browse")
