"""Compare: two models side by side on the same clip."""
import streamlit as st

from explorer.models import display_name
from explorer.errors import ExplorerError
from explorer.models.checkpoint import list_checkpoints
from explorer.ui import state, views
from explorer.ui.cards import COMPARISON_DEFAULTS, leads_with_class_maps, pick_defaults
from explorer.ui.samples import annotation_boxes

st.title("Compare two models")
st.caption("The same clip through two checkpoints: their predictions, where they look and when. "
           + views.SPACE_HELP)
selection = state.selection()
checkpoints = [str(path) for path in list_checkpoints(state.checkpoints_dir())]
if len(checkpoints) < 2:
    st.info(f"Comparing needs two checkpoints under {state.checkpoints_dir()}; found {len(checkpoints)}. "
            "Run `explorer demo reproduce` to train the demo models.")
    st.stop()
dataset = state.dataset_or_stop(selection)
available = state.samples_or_stop(selection, dataset, "No videos of this dataset are on disk; "
                                  "choose the demo samples or set the dataset root in the sidebar.")

sample = st.selectbox("Clip", available, format_func=lambda s: f"{s.video_id} ({s.split or 'demo'})", key="compare_sample")
clip = state.sample_clip(selection, sample.video_id)
views.clip_warnings(clip)
boxes = annotation_boxes(sample, dataset.classes)
preferred = pick_defaults(checkpoints, COMPARISON_DEFAULTS)
defaults = [checkpoints.index(path) for path in preferred] + [i for i, path in enumerate(checkpoints) if path not in preferred]
for side, column in enumerate(st.columns(2, gap="large")):
    with column:
        path = st.selectbox(f"Model {'AB'[side]}", checkpoints, index=defaults[side], format_func=state.checkpoint_name,
                            key=f"compare_model_{side}")
        try:
            model = state.load_model(path)
        except ExplorerError as error:
            st.error(str(error))
            continue
        if model.num_classes != len(dataset.classes):
            st.warning(f"{state.checkpoint_name(path)} knows {model.num_classes} classes, this dataset has {len(dataset.classes)}.")
            continue
        result = state.explain_clip(path, state.clip_key(clip), clip)
        views.predictions(result, dataset.classes, sample.labels)
        class_index, per_class = views.class_picker(result, dataset.classes, sample.labels, f"compare_{side}",
                                                    leads_with_class_maps(model.card, "space"))
        views.space_view(clip, result, dataset.classes, class_index if per_class else None, f"compare_{side}", display_name(model),
                         explain=False)
        views.time_view(clip, result, dataset.classes, class_index, boxes, f"compare_{side}", display_name(model))
