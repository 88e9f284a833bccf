"""Pointing game: does the attention agree with human annotations? (paper §4.3, Table 3)."""
import streamlit as st

from explorer.models import display_name
from explorer.explain.pointing import pointing_game, spatial_pointing_details
from explorer.models.checkpoint import list_checkpoints
from explorer.ui import state
from explorer.ui.figures import draw_peak, frame_grid, pointing_figure
from explorer.ui.samples import demo_event_masks

st.title("Pointing game")
st.caption("The human temporal boxes become a 0/1 mask per second; the mean absolute error (MAE) between it and the "
           "time attention says how far the model's *when* is from a person's (lower is better). Binary attention "
           "thresholds the attention at 0.5 first.")
selection = state.selection()
model = state.require_model(selection)
dataset = state.dataset_or_stop(selection)
scored = state.samples_or_stop(selection, dataset, "The pointing game needs clips on disk with temporal boxes, and a "
                               "model trained on this dataset's classes.", keep=lambda s: s.time_mask is not None, model=model)

clip_tab, dataset_tab, space_tab = st.tabs(["This clip", "Whole dataset (Table 3)", "Spatial pointing (demo)"])
with clip_tab:
    sample = st.selectbox("Clip", scored, format_func=lambda s: s.video_id, key="pointing_sample")
    clip = state.sample_clip(selection, sample.video_id)
    result = state.explain_clip(selection.model_path, state.clip_key(clip), clip)
    if result.time_attention is None:
        st.info(f"{display_name(model)} has no time attention, so it cannot play the temporal pointing game.")
    else:
        human = sample.time_mask_any
        soft, binary = (pointing_game([result.time_attention], [human], binary=b) for b in (False, True))
        left, right = st.columns(2)
        left.metric("MAE, soft attention", f"{soft:.3f}")
        right.metric("MAE, binary attention", f"{binary:.3f}")
        st.plotly_chart(pointing_figure(result.time_attention, human), width="stretch", key="pointing_chart")
        st.caption("Green: the seconds a person marked as the event. Red: the time attention; blue: it thresholded at "
                   "0.5. The MAE is the mean gap between a curve and the green mask.")

with dataset_tab:
    st.caption("Every checkpoint with time attention, on every clip of this dataset with temporal boxes.")
    if st.button("Run on the dataset", key="pointing_run"):
        rows = []
        progress = st.progress(0.0)
        checkpoints = [str(path) for path in list_checkpoints(state.checkpoints_dir())]
        for done, path in enumerate(checkpoints, start=1):
            candidate = state.load_model(path)
            if candidate.num_classes == len(dataset.classes):
                attention = []
                for s in scored:
                    c = state.sample_clip(selection, s.video_id)
                    attention.append(state.explain_clip(path, state.clip_key(c), c).time_attention)
                if attention[0] is not None:
                    masks = [s.time_mask_any for s in scored]
                    rows += [{"model": f"{state.checkpoint_name(path)} + {kind} attention", "clips": len(scored),
                              "MAE": round(pointing_game(attention, masks, binary=kind == "binary"), 3)}
                             for kind in ("soft", "binary")]
            progress.progress(done / len(checkpoints), text=f"{done} of {len(checkpoints)} checkpoints")
        st.dataframe(rows, hide_index=True, width="stretch")

with space_tab:
    masks = demo_event_masks(state.demo_samples_dir(), sample.video_id) if selection.dataset == "demo" else None
    if masks is None or result.space_attention is None:
        st.info("Spatial pointing needs object masks (only the demo samples have them) and a model with space attention.")
    else:
        details = spatial_pointing_details([result.space_attention], [list(masks)])
        st.metric("Hits (attention peak inside the sounding object)", f"{details.hits} of {details.scored}",
                  help=f"{details.skipped} seconds without a visible sounding object were skipped.")
        drawn = [draw_peak(clip.middle_frame(t), result.space_attention[t], masks[t]) for t in range(clip.num_segments)
                 if masks[t].any()]
        if drawn:
            st.image(frame_grid(drawn), width="stretch",
                     caption="Green: the sounding object's true mask. Cross: where the space attention peaks.")
