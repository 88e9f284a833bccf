"""Dataset roots that hold features (issue 9): the released AVE h5 pair, LLP's released .npy folders and stores of
``explorer extract``, browsed, perturbed, pointed at and compared in the app with videos optional.

The features are small random files in the official layouts, made here; the models are trained on them for one
epoch by ``explorer train``, as a researcher with the released features would.
"""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from app_testing import assert_clean, streamlit_testing
from media_factory import make_video

from explorer import cli
from explorer.data import load_dataset
from explorer.data.features import (
    POOLED_MAP_NOTE,
    FeatureStore,
    LLPFeatures,
    OfficialAVEFeatures,
    find_feature_stores,
    open_feature_folder,
)
from explorer.errors import CheckpointError, DataError
from explorer.explain import checkpoint_encoder
from explorer.models import load_checkpoint
from explorer.paths import HOME_PAGE

AVE_ROWS = 30  # rows 0..29 of Annotations.txt: train, val (2, 21) and test (10, 27) samples among them
LLP_VIDEOS = 12


def write_official_ave(root, rows: int = AVE_ROWS, seed: int = 0):
    """audio_feature.h5 and visual_feature.h5 under their released names and key, the first ``rows`` rows."""
    rng = np.random.default_rng(seed)
    labels = [int(np.flatnonzero(sample.labels)[0]) for sample in load_dataset("ave").samples[:rows]]
    audio = rng.normal(size=(rows, 10, 128)).astype(np.float32)
    visual = rng.normal(size=(rows, 10, 7, 7, 512)).astype(np.float16)
    for row, label in enumerate(labels):  # a learnable signal: the class shifts a few dims
        audio[row, :, label] += 3.0
        visual[row, :, 3, 3, label] += 3.0
    with h5py.File(root / "audio_feature.h5", "w") as file:
        file.create_dataset("avadataset", data=audio)
    with h5py.File(root / "visual_feature.h5", "w") as file:
        file.create_dataset("avadataset", data=visual)


def llp_samples():
    dataset = load_dataset("llp")
    return dataset.split("train")[:8] + dataset.split("val")[:2] + dataset.split("test")[:2]


def write_llp_features(root, seed: int = 0):
    """vggish/<id>.npy (10×128) and res152/<id>.npy (80×2048) for a few LLP videos of each split."""
    rng = np.random.default_rng(seed)
    for folder in ("vggish", "res152", "r2plus1d_18"):
        (root / folder).mkdir(parents=True)
    for sample in llp_samples():
        label = int(np.flatnonzero(sample.labels)[0])
        audio = rng.normal(size=(10, 128)).astype(np.float32)
        audio[:, label] += 3.0
        np.save(root / "vggish" / f"{sample.video_id}.npy", audio)
        np.save(root / "res152" / f"{sample.video_id}.npy", rng.normal(size=(80, 2048)).astype(np.float32))
        np.save(root / "r2plus1d_18" / f"{sample.video_id}.npy", rng.normal(size=(10, 512)).astype(np.float32))


def train(out, *source, dataset: str = "ave", model: str = "stan"):
    argv = ["train", "--model", model, "--dataset", dataset, *source, "--out", str(out)]
    assert cli.main([*argv, "--epochs", "2", "--hidden", "32", "--batch-size", "8", "--quiet"]) == 0


@pytest.fixture(scope="module")
def ave_root(tmp_path_factory):
    """A root with only the released AVE features, and STAN and AV-ABN trained on them."""
    base = tmp_path_factory.mktemp("ave_features")
    root = base / "AVE"
    root.mkdir()
    write_official_ave(root)
    official = [
        "--official-audio",
        str(root / "audio_feature.h5"),
        "--official-visual",
        str(root / "visual_feature.h5"),
    ]
    for model in ("stan", "av_abn"):
        train(base / "checkpoints" / "ave" / model, *official, model=model)
    return root, base / "checkpoints"


@pytest.fixture(scope="module")
def llp_root(tmp_path_factory):
    base = tmp_path_factory.mktemp("llp_features")
    root = base / "LLP"
    write_llp_features(root / "feats")
    train(base / "checkpoints" / "llp" / "stan", "--features", str(root / "feats"), dataset="llp")
    return root, base / "checkpoints"


def app_on(monkeypatch, checkpoints, dataset: str, variable: str, root, page: str | None = None):
    monkeypatch.setenv("EXPLORER_CHECKPOINTS_DIR", str(checkpoints))
    monkeypatch.setenv(variable, str(root))
    app = streamlit_testing.AppTest.from_file(str(HOME_PAGE), default_timeout=180).run()
    app.sidebar.radio(key="dataset_choice").set_value(dataset).run()
    if page is not None:
        app.switch_page(f"../pages/{page}.py").run()
    return app


def plotly_charts(app) -> int:
    return len(app.get("plotly_chart"))


def images(app) -> int:
    return len(app.get("image"))


# -- the stores -------------------------------------------------------------------------------------
def test_a_root_is_searched_for_every_kind_of_store(ave_root, tmp_path):
    root, _ = ave_root
    stores, problems = find_feature_stores(root)
    assert problems == [] and [type(store) for store in stores] == [OfficialAVEFeatures]
    extracted = FeatureStore.create(tmp_path / "features", "demo-encoder", 8, 4, (2, 2))
    extracted.write("clip", np.zeros((3, 8), np.float32), np.zeros((3, 2, 2, 4), np.float32))
    write_llp_features(tmp_path / "feats")
    stores, problems = find_feature_stores(tmp_path)
    assert problems == [] and {type(store) for store in stores} == {FeatureStore, LLPFeatures}
    assert find_feature_stores(tmp_path / "missing") == ([], [])


def test_every_store_counts_a_samples_seconds_from_its_header(ave_root, tmp_path):
    """What the app's no-video clip is built from, without reading the features themselves."""
    official = find_feature_stores(ave_root[0])[0][0]
    write_llp_features(tmp_path / "llp")
    extracted = FeatureStore.create(tmp_path / "store", "demo-encoder", 8, 4, (2, 2))
    llp_sample = llp_samples()[0]
    extracted.write(llp_sample.video_id, np.zeros((7, 8), np.float32), np.zeros((7, 2, 2, 4), np.float32))
    cases = [
        (official, load_dataset("ave").samples[3]),
        (LLPFeatures(tmp_path / "llp"), llp_sample),
        (extracted, llp_sample),
    ]
    for store, sample in cases:
        assert store.segments(sample) == store.read_sample(sample)[0].shape[0], store


def test_llp_features_read_as_a_pooled_store(tmp_path):
    write_llp_features(tmp_path)
    store = open_feature_folder(tmp_path)
    assert isinstance(store, LLPFeatures) and len(store) == LLP_VIDEOS
    sample = llp_samples()[0]
    frames = np.load(tmp_path / "res152" / f"{sample.video_id}.npy")
    audio, visual = store.read_sample(sample)
    assert audio.shape == (10, 128) and visual.shape == (10, 1, 1, 2048)
    np.testing.assert_allclose(visual[3, 0, 0].numpy(), frames[24:32].mean(axis=0), rtol=1e-5, atol=1e-6)
    assert not store.has_sample(load_dataset("ave").samples[0])  # an AVE sample is never an LLP one


@pytest.mark.parametrize(
    "damage, needle",
    [
        ("not_hdf5", "is not a readable HDF5 file"),
        ("wrong_key", "has no 'avadataset' dataset"),
        ("wrong_shape", "visual features must be N×10×7×7×512"),
        ("rows_differ", "has 4 rows but"),
    ],
)
def test_a_broken_official_pair_gets_one_sentence(tmp_path, damage, needle):
    with h5py.File(tmp_path / "audio_feature.h5", "w") as file:
        file.create_dataset("avadataset", data=np.zeros((4, 10, 128), np.float32))
    visual = tmp_path / "visual_feature.h5"
    if damage == "not_hdf5":
        visual.write_bytes(b"GIF89a, not hdf5")
    else:
        key = "features" if damage == "wrong_key" else "avadataset"
        shape = (4, 10, 7, 7, 256) if damage == "wrong_shape" else (3 if damage == "rows_differ" else 4, 10, 7, 7, 512)
        with h5py.File(visual, "w") as file:
            file.create_dataset(key, data=np.zeros(shape, np.float16))
    stores, problems = find_feature_stores(tmp_path)
    assert stores == [] and len(problems) == 1 and needle in problems[0], problems
    assert "\n" not in problems[0]


@pytest.mark.parametrize(
    "damage, needle",
    [
        ("audio_shape", "LLP audio features must be T×128"),
        ("visual_frames", "LLP visual features must be (frames per second × 10)×2048"),
        ("not_npy", "is not a readable .npy array"),
        ("pickled", "is not a readable .npy array"),
    ],
)
def test_a_broken_llp_file_gets_one_sentence(tmp_path, damage, needle):
    write_llp_features(tmp_path)
    sample = llp_samples()[0]
    audio, visual = tmp_path / "vggish" / f"{sample.video_id}.npy", tmp_path / "res152" / f"{sample.video_id}.npy"
    if damage == "audio_shape":
        np.save(audio, np.zeros((10, 64), np.float32))
    elif damage == "visual_frames":
        np.save(visual, np.zeros((75, 2048), np.float32))
    elif damage == "not_npy":
        audio.write_bytes(b"\x93NUMPY garbage")
    else:
        np.save(audio, np.array([{"a": 1}], dtype=object), allow_pickle=True)  # never unpickled
    with pytest.raises(DataError, match=needle.replace("(", r"\(").replace(")", r"\)")):
        LLPFeatures(tmp_path).read_sample(sample)


def test_a_row_beyond_the_h5_is_not_a_sample_of_the_root(ave_root):
    root, _ = ave_root
    store = find_feature_stores(root)[0][0]
    samples = load_dataset("ave").samples
    assert store.has_sample(samples[AVE_ROWS - 1]) and not store.has_sample(samples[AVE_ROWS])
    with pytest.raises(DataError, match=f"Rows must be in 0..{AVE_ROWS - 1}"):
        store.read(AVE_ROWS)


def test_models_on_released_features_say_why_they_cannot_encode(ave_root, llp_root):
    for checkpoints, dataset in ((ave_root[1], "ave"), (llp_root[1], "llp")):
        model = load_checkpoint(checkpoints / dataset / "stan")
        with pytest.raises(CheckpointError, match="cannot encode a new video; it explains the samples whose"):
            checkpoint_encoder(model)
    llp_card = load_checkpoint(llp_root[1] / "llp" / "stan").card
    assert llp_card["space_attention"] == POOLED_MAP_NOTE and llp_card["features"]["grid"] == [1, 1]
    assert "space_attention" not in load_checkpoint(ave_root[1] / "ave" / "stan").card


# -- the app, features only -------------------------------------------------------------------------
def test_browse_explains_ave_from_the_h5_pair_without_videos(ave_root, monkeypatch):
    root, checkpoints = ave_root
    app = app_on(monkeypatch, checkpoints, "AVE", "EXPLORER_AVE_ROOT", root, "browse")
    assert_clean(app)
    assert app.sidebar.selectbox(key="model_choice").value == str(checkpoints / "ave" / "stan")  # follows AVE
    assert images(app) >= 1 and plotly_charts(app) >= 1
    table = app.dataframe[0].value
    assert len(table) == AVE_ROWS and "predicted" in table.columns  # only the rows that have features
    notes = " ".join(info.value for info in app.info)
    assert "No video on disk" in notes and "the official AVE features" in notes
    markdown = " ".join(item.value for item in app.markdown)
    assert "a neutral 7×7 grid per second" in markdown
    assert not app.get("video") and "Counterfactuals" not in " ".join(e.label for e in app.expander)


@pytest.mark.parametrize("page", ["perturbation", "pointing_game", "compare", "methods"])
def test_every_page_runs_on_ave_features_without_videos(ave_root, monkeypatch, page):
    root, checkpoints = ave_root
    app = app_on(monkeypatch, checkpoints, "AVE", "EXPLORER_AVE_ROOT", root, page)
    assert_clean(app)
    if page == "perturbation":
        app.button(key="perturbation_run").click().run()
        assert_clean(app)
        assert plotly_charts(app) >= 3  # this clip, and (a) and (b) of Figure 3
    if page == "pointing_game":
        app.button(key="pointing_run").click().run()
        assert_clean(app)
        models = " ".join(app.dataframe[0].value["model"])
        assert "STAN" in models and "every second" in models, models
    if page == "compare":
        assert images(app) >= 2 and plotly_charts(app) >= 1  # both space views; AV-ABN has no time view


def test_whole_split_runs_at_the_papers_protocol(ave_root, monkeypatch):
    root, checkpoints = ave_root
    test_split = [s.index for s in load_dataset("ave").split("test") if s.index < AVE_ROWS]
    app = app_on(monkeypatch, checkpoints, "AVE", "EXPLORER_AVE_ROOT", root, "perturbation")
    app.toggle(key="perturbation_paper").set_value(True).run()
    app.toggle(key="perturbation_whole").set_value(True).run()
    assert app.selectbox(key="perturbation_split").value == "test"
    app.button(key="perturbation_run").click().run()
    assert_clean(app)
    captions = " ".join(caption.value for caption in app.caption)
    assert f"Last run: {len(test_split)} clips, σ² = 0, 0.1, 0.2" in captions and "100 draws per level" in captions
    figures = [chart for chart in app.get("plotly_chart") if "features" in chart.proto.spec]
    assert len(figures) == 2  # (a) relevant, (b) irrelevant, each with STAN and AV-ABN
    app.switch_page("../pages/pointing_game.py").run()
    app.selectbox(key="pointing_split").set_value("val").run()
    app.button(key="pointing_run").click().run()
    assert_clean(app)
    assert set(app.dataframe[0].value["clips"]) == {2}  # rows 2 and 21: the val samples among the features


def test_a_root_with_videos_shows_them_and_still_reads_the_features(ave_root, monkeypatch, tmp_path):
    root, checkpoints = ave_root
    with_videos = tmp_path / "AVE"
    with_videos.mkdir()
    for name in ("audio_feature.h5", "visual_feature.h5"):
        (with_videos / name).symlink_to(root / name)
    first = load_dataset("ave").samples[0]
    make_video(with_videos / f"{first.video_id}.mp4", seconds=10, size=(96, 64))
    app = app_on(monkeypatch, checkpoints, "AVE", "EXPLORER_AVE_ROOT", with_videos, "browse")
    assert_clean(app)  # the model cannot encode (its card names the released features): nothing was encoded
    assert len(app.get("video")) == 1 and images(app) >= 1 and plotly_charts(app) >= 1
    markdown = " ".join(item.value for item in app.markdown)
    assert "one frame per second" in markdown


def test_llp_features_hide_the_space_view_and_keep_the_time_view(llp_root, monkeypatch):
    root, checkpoints = llp_root
    app = app_on(monkeypatch, checkpoints, "LLP", "EXPLORER_LLP_ROOT", root, "browse")
    assert_clean(app)
    assert len(app.dataframe[0].value) == LLP_VIDEOS and plotly_charts(app) >= 1
    assert any("1×1 map" in info.value and "space view is hidden" in info.value for info in app.info)
    assert not [toggle for toggle in app.toggle if toggle.label == "Per-class CAM"]  # no space view to switch
    assert all("_" not in row for row in app.dataframe[0].value["labels"])  # LLP's names read as words
    app.switch_page("../pages/pointing_game.py").run()
    assert_clean(app)


def test_a_broken_store_in_the_root_is_one_sidebar_sentence(ave_root, monkeypatch, tmp_path):
    _, checkpoints = ave_root
    (tmp_path / "audio_feature.h5").write_bytes(b"not hdf5")
    (tmp_path / "visual_feature.h5").write_bytes(b"not hdf5")
    app = app_on(monkeypatch, checkpoints, "AVE", "EXPLORER_AVE_ROOT", tmp_path, "browse")
    assert not app.exception
    assert any("is not a readable HDF5 file" in warning.value for warning in app.sidebar.warning)
    assert any("no videos or features found" in info.value for info in app.info)
