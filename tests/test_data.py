"""Data layer: the shipped AVE/LLP/AVR annotations, their quirks, the demo loader and the feature stores."""

from __future__ import annotations

import csv
import json
import shutil

import h5py
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from explorer.data import (
    load_dataset,
    load_demo_dataset,
    parse_ave_annotations,
    readable_class_name,
)
from explorer.data.avr import normalise
from explorer.data.features import (
    FeatureDataset,
    FeatureStore,
    OfficialAVEFeatures,
    collate_features,
)
from explorer.data.llp import load_llp
from explorer.errors import DataError
from explorer.paths import DATASET_ASSETS as ASSETS

AVE_FILE = ASSETS / "ave" / "Annotations.txt"
LLP_DIR = ASSETS / "llp"
T = 10


def raw_ave_lines() -> list[list[str]]:
    return [line.split("&") for line in AVE_FILE.read_text().splitlines()]


def raw_tsv(name: str) -> list[dict]:
    with open(LLP_DIR / name, newline="") as file:
        return list(csv.DictReader(file, delimiter="\t"))


# -- the shipped datasets ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, sizes, num_classes, first, last",
    [
        ("ave", (3339, 402, 402), 28, "Church bell", "Mandolin"),
        ("llp", (10000, 649, 1200), 25, "Speech", "Clapping"),
        ("avr", (3339 + 10000, 402 + 649, 402 + 1200), 43, "Church bell", "Clapping"),
    ],
)
def test_splits_and_classes(name, sizes, num_classes, first, last):
    dataset = load_dataset(name)
    assert tuple(len(dataset.split(split)) for split in ("train", "val", "test")) == sizes
    assert len(dataset.samples) == sum(sizes)
    assert len(dataset.classes) == len(set(dataset.classes)) == num_classes
    assert (dataset.classes[0], dataset.classes[-1]) == (first, last)
    assert dataset.num_segments == T
    assert all(dataset.samples[s.index] is s for s in dataset.samples)
    assert all(s.split == split for split in ("train", "val", "test") for s in dataset.split(split))


def test_ave_classes_follow_first_appearance_and_split_follows_order_files():
    dataset = load_dataset("ave")
    assert list(dataset.classes) == list(dict.fromkeys(fields[0] for fields in raw_ave_lines()))
    with h5py.File(ASSETS / "ave" / "val_order.h5", "r") as file:
        order = file["order"][:].tolist()
    assert [s.index for s in dataset.split("val")] == order


@pytest.mark.parametrize("row", [1, 4, 2000, 4142])
def test_ave_rows_give_labels_and_masks(row):
    category, video_id, _, start, end = raw_ave_lines()[row]
    dataset = load_dataset("ave")
    sample = dataset.samples[row]
    k = dataset.classes.index(category)
    expected = np.zeros((T, len(dataset.classes)), dtype=np.float32)
    for t in range(int(start), int(end)):
        expected[t, k] = 1
    assert sample.video_id == video_id and sample.source == "ave"
    assert sample.labels.tolist() == [float(c == k) for c in range(28)]
    np.testing.assert_array_equal(sample.time_mask, expected)
    np.testing.assert_array_equal(sample.time_mask_any, expected.max(axis=1))
    assert sample.events == ((category, int(start), int(end)),)


def test_ave_row_with_mask_from_two_to_seven(tmp_path):
    path = tmp_path / "one.txt"
    path.write_text("Bark&abcdefghijk&good&2&7\n")
    (sample,) = parse_ave_annotations(path)
    assert sample.time_mask[:, 0].tolist() == [0, 0, 1, 1, 1, 1, 1, 0, 0, 0]


def test_ave_header_is_optional(tmp_path):
    with_header = tmp_path / "Annotations.txt"
    with_header.write_text("Category&VideoID&Quality&StartTime&EndTime\n" + AVE_FILE.read_text())
    plain, headed = parse_ave_annotations(AVE_FILE), parse_ave_annotations(with_header)
    assert len(plain) == len(headed) == 4143
    for a, b in zip(plain[::97], headed[::97]):
        assert (a.index, a.video_id, a.events) == (b.index, b.video_id, b.events)
        np.testing.assert_array_equal(a.time_mask, b.time_mask)


def test_ave_duplicate_video_ids_stay_separate_rows():
    rows_of: dict[str, list[int]] = {}
    for row, fields in enumerate(raw_ave_lines()):
        rows_of.setdefault(fields[1], []).append(row)
    shared = [rows for rows in rows_of.values() if len(rows) > 1]
    dataset = load_dataset("ave")
    assert dataset.quirks["rows_sharing_a_video_id"] == sum(map(len, shared)) > 0
    first, second = (dataset.samples[i] for i in shared[0][:2])
    assert first.video_id == second.video_id and first.index != second.index
    assert first.events[0][0] != second.events[0][0]


def test_ave_zero_length_event_keeps_label_with_empty_mask():
    rows = raw_ave_lines()
    zero = [i for i, f in enumerate(rows) if f[3] == f[4]]
    dataset = load_dataset("ave")
    assert dataset.quirks["zero_length_events"] == len(zero) >= 1
    sample = dataset.samples[zero[0]]
    assert sample.labels[dataset.classes.index(rows[zero[0]][0])] == 1
    assert sample.time_mask.sum() == 0 and sample.time_mask_any.sum() == 0


def test_llp_row_masks_from_eval_files():
    dataset = load_dataset("llp")
    video = raw_tsv("AVVP_test_pd.csv")[0]["filename"]
    sample = next(s for s in dataset.samples if s.video_id == video)
    assert sample.split == "test" and sample.source == "llp"
    for name, mask in (("AVVP_eval_audio.csv", sample.time_mask), ("AVVP_eval_visual.csv", sample.visual_time_mask)):
        expected = np.zeros((T, 25), dtype=np.float32)
        for row in raw_tsv(name):
            if row["filename"] == video:
                expected[int(row["onset"]) : int(row["offset"]), dataset.classes.index(row["event_labels"])] = 1
        assert expected.sum() > 0
        np.testing.assert_array_equal(mask, expected)


def test_llp_weak_labels_and_order():
    dataset = load_dataset("llp")
    full = raw_tsv("AVVP_dataset_full.csv")
    assert [s.video_id for s in dataset.samples[:50]] == [r["filename"] for r in full[:50]]
    for row, sample in zip(full[::1001], dataset.samples[::1001]):
        names = sorted(dataset.classes[k] for k in np.flatnonzero(sample.labels))
        assert names == sorted(row["event_labels"].split(","))
    train = dataset.split("train")
    assert all(s.time_mask is None and s.visual_time_mask is None for s in train)
    assert readable_class_name("Violin_fiddle") == "Violin fiddle"
    assert readable_class_name("Frying_(food)") == "Frying (food)"
    assert dataset.readable_classes == [readable_class_name(name) for name in dataset.classes]
    assert "Violin fiddle" in dataset.readable_classes


def test_llp_quirk_counts_match_the_raw_files():
    dataset = load_dataset("llp")
    eval_videos = {r["filename"] for name in ("AVVP_val_pd.csv", "AVVP_test_pd.csv") for r in raw_tsv(name)}
    for kind in ("audio", "visual"):
        rows = raw_tsv(f"AVVP_eval_{kind}.csv")
        matched = [r for r in rows if r["filename"] in eval_videos]
        assert dataset.quirks[f"{kind}_rows_matching_no_video"] == len(rows) - len(matched)
        assert dataset.quirks[f"{kind}_rows_with_onset_not_before_offset"] == sum(
            int(r["onset"]) >= int(r["offset"]) for r in matched
        )
        without = eval_videos - {r["filename"] for r in matched}
        assert dataset.quirks[f"eval_videos_without_{kind}_rows"] == len(without) > 0
        attribute = "time_mask" if kind == "audio" else "visual_time_mask"
        assert all(getattr(s, attribute) is None for s in dataset.samples if s.video_id in without)
    assert dataset.quirks["audio_rows_matching_no_video"] > 0
    assert dataset.quirks["audio_rows_with_onset_not_before_offset"] > 0


def write_llp(root, weak, audio, visual):
    """A tiny LLP folder: weak = {split: [(filename, labels)]}, eval rows = [(filename, onset, offset, label)]."""
    root.mkdir()
    files = {"train": "AVVP_train.csv", "val": "AVVP_val_pd.csv", "test": "AVVP_test_pd.csv"}
    everything = [row for split in ("train", "val", "test") for row in weak[split]]
    for name, rows in [("AVVP_dataset_full.csv", everything)] + [(files[s], weak[s]) for s in files]:
        (root / name).write_text("filename\tevent_labels\n" + "".join(f"{f}\t{labels}\n" for f, labels in rows))
    for name, rows in (("AVVP_eval_audio.csv", audio), ("AVVP_eval_visual.csv", visual)):
        lines = "".join("\t".join(map(str, row)) + "\n" for row in rows)
        (root / name).write_text("filename\tonset\toffset\tevent_labels\n" + lines)
    return root


def test_llp_quirks_on_a_tiny_folder(tmp_path):
    root = write_llp(
        tmp_path / "llp",
        {
            "train": [("aaaaaaaaaaa_0_10", "Dog")],
            "val": [("bbbbbbbbbbb_0_10", "Speech,Dog")],
            "test": [("ccccccccccc_5.5_15.5", "Cat"), ("ddddddddddd_0_10", "Car")],
        },
        audio=[
            ("bbbbbbbbbbb_0_10", 1, 4, "Speech"),
            ("bbbbbbbbbbb_0_10", 9, 0, "Dog"),  # reversed: empty
            ("zzzzzzzzzzz_0_10", 0, 10, "Dog"),  # no such video
            ("ccccccccccc_5.5_15.5", 3, 3, "Cat"),
        ],  # the video's only row is empty
        visual=[("bbbbbbbbbbb_0_10", 0, 10, "Dog")],
    )
    dataset = load_llp(root)
    train, val, test, silent = dataset.samples
    assert dataset.quirks["audio_rows_matching_no_video"] == 1
    assert dataset.quirks["audio_rows_with_onset_not_before_offset"] == 2
    assert dataset.quirks["eval_videos_without_audio_rows"] == 1  # ddd
    assert dataset.quirks["eval_videos_without_visual_rows"] == 2  # ccc, ddd
    speech, dog = dataset.classes.index("Speech"), dataset.classes.index("Dog")
    assert val.time_mask[:, speech].tolist() == [0, 1, 1, 1, 0, 0, 0, 0, 0, 0] and val.time_mask[:, dog].sum() == 0
    assert val.visual_time_mask[:, dog].sum() == T and val.events == (("Speech", 1, 4),)
    assert test.time_mask is not None and test.time_mask.sum() == 0 and test.visual_time_mask is None
    assert silent.time_mask is None and silent.time_mask_any is None and train.split == "train"


@pytest.mark.parametrize(
    "file, text, needle",
    [
        ("AVVP_dataset_full.csv", "name\tlabels\nx_0_10\tDog\n", "header"),
        ("AVVP_dataset_full.csv", "filename\tevent_labels\nx_0_10\tUnicorn\n", "Unicorn"),
        ("AVVP_eval_audio.csv", "filename\tonset\toffset\tevent_labels\nv_0_10\tsoon\t4\tDog\n", "soon"),
        ("AVVP_eval_audio.csv", "filename\tonset\toffset\tevent_labels\nv_0_10\t1\n", "fields"),
    ],
)
def test_llp_malformed_files(tmp_path, file, text, needle):
    root = write_llp(tmp_path / "llp", {"train": [("v_0_10", "Dog")], "val": [], "test": []}, [], [])
    (root / file).write_text(text)
    with pytest.raises(DataError, match=needle) as error:
        load_llp(root)
    assert file in str(error.value)


def test_avr_union_merges_ten_names_and_remaps_labels():
    ave, llp, avr = load_dataset("ave"), load_dataset("llp"), load_dataset("avr")
    merged = {normalise(c) for c in ave.classes} & {normalise(c) for c in llp.classes}
    assert len(merged) == 10 and len(ave.classes) + len(llp.classes) - len(merged) == len(avr.classes)
    assert avr.classes[: len(ave.classes)] == ave.classes
    fiddle = avr.classes.index("Violin, fiddle")
    assert "Violin_fiddle" not in avr.classes
    for source in (ave, llp):
        offset = 0 if source is ave else len(ave.samples)
        for original in source.samples[::523]:
            mapped = avr.samples[offset + original.index]
            assert mapped.video_id == original.video_id and mapped.source == source.name
            names = {normalise(source.classes[k]) for k in np.flatnonzero(original.labels)}
            assert {normalise(avr.classes[k]) for k in np.flatnonzero(mapped.labels)} == names
    llp_fiddle = next(
        s
        for s in avr.samples
        if s.source == "llp"
        and s.split == "test"
        and "Violin_fiddle" in {c for c, _, _ in llp.samples[s.index - len(ave.samples)].events}
    )
    assert llp_fiddle.labels[fiddle] == 1 and llp_fiddle.time_mask[:, fiddle].sum() > 0
    assert set(avr.quirks) >= {"ave_zero_length_events", "llp_audio_rows_matching_no_video"}


def test_loading_is_cached_and_read_only():
    load_llp.cache_clear()
    dataset = load_dataset("llp")
    assert load_dataset("llp", LLP_DIR) is dataset
    with pytest.raises(ValueError):
        dataset.samples[0].labels[0] = 5


def test_stats_count_classes_per_split():
    dataset = load_dataset("ave")
    stats = dataset.stats()
    assert stats["split_sizes"] == {"train": 3339, "val": 402, "test": 402}
    bark = next(row for row in stats["per_class"] if row["class"] == "Bark")
    k = dataset.classes.index("Bark")
    assert bark["test"] == sum(s.labels[k] for s in dataset.split("test"))
    assert bark["total"] == sum(fields[0] == "Bark" for fields in raw_ave_lines())
    lengths = [int(f[4]) - int(f[3]) for f in raw_ave_lines()]
    assert stats["mean_event_length"] == pytest.approx(sum(lengths) / len(lengths))
    assert json.dumps(stats)  # the app renders it as is


# -- bad names, roots and files ----------------------------------------------------------------------------------------
def test_bad_names_and_roots(tmp_path):
    with pytest.raises(DataError, match="Unknown dataset"):
        load_dataset("vggsound")
    with pytest.raises(DataError, match="Unknown split"):
        load_dataset("ave").split("dev")
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("ave", tmp_path / "nowhere")
    with pytest.raises(DataError, match="Annotations.txt is missing"):
        load_dataset("ave", tmp_path)
    with pytest.raises(DataError, match="AVVP_dataset_full.csv is missing"):
        load_dataset("llp", tmp_path)
    (tmp_path / "ave").mkdir()
    with pytest.raises(DataError, match="Annotations.txt is missing"):
        load_dataset("avr", tmp_path)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("Bark&abcdefghijk&good&2\n", "line 1 is not in the AVE format"),
        ("Bark&abcdefghijk&good&2&7\nBark&abcdefghijk&good&two&7\n", "line 2"),
        ("Bark&abcdefghijk&good&7&2\n", "StartTime <= EndTime"),
        ("Bark&abcdefghijk&good&0&11\n", "EndTime <= 10"),
        ("", "holds no annotation rows"),
    ],
)
def test_malformed_ave_annotations(tmp_path, text, needle):
    path = tmp_path / "Annotations.txt"
    path.write_text(text)
    with pytest.raises(DataError, match=needle):
        parse_ave_annotations(path)


def test_binary_annotations_and_bad_order_files(tmp_path):
    (tmp_path / "Annotations.txt").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match="UTF-8"):
        load_dataset("ave", tmp_path)
    shutil.copy(AVE_FILE, tmp_path / "Annotations.txt")
    for split in ("train", "val", "test"):
        shutil.copy(ASSETS / "ave" / f"{split}_order.h5", tmp_path / f"{split}_order.h5")
    (tmp_path / "val_order.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(DataError, match="val_order.h5 is not a readable HDF5"):
        load_dataset("ave", tmp_path)
    with h5py.File(tmp_path / "val_order.h5", "w") as file:
        file["order"] = np.array([0, 99999])
    with pytest.raises(DataError, match="row indices in 0..4142"):
        load_dataset("ave", tmp_path)
    with h5py.File(tmp_path / "val_order.h5", "w") as file:
        file["rows"] = np.array([0])
    with pytest.raises(DataError, match="no 'order'"):
        load_dataset("ave", tmp_path)


# -- the demo corpus ---------------------------------------------------------------------------------------------------
def make_demo(root, annotations: str, classes=None, clips=("clip_a", "clip_b")):
    (root / "clips").mkdir(parents=True)
    (root / "annotations.txt").write_text(annotations)
    for clip in clips:
        (root / "clips" / f"{clip}.mp4").write_bytes(b"")
    if classes is not None:
        (root / "classes.json").write_text(json.dumps(classes))
    return root


def test_demo_merges_rows_of_one_clip(tmp_path):
    root = make_demo(
        tmp_path / "demo",
        "Category&VideoID&Quality&StartTime&EndTime\nDog&clip_a&good&0&3\nCat&clip_b&good&2&5\nBird&clip_a&good&6&8\n",
        classes=["Cat", "Dog", "Bird", "Car"],
    )
    demo = load_demo_dataset(root)
    assert demo.classes == ("Cat", "Dog", "Bird", "Car") and demo.quirks["rows_merged_into_earlier_clips"] == 1
    clip_a, clip_b = demo.samples
    assert (clip_a.video_id, clip_b.video_id) == ("clip_a", "clip_b") and clip_a.source == "demo"
    assert clip_a.labels.tolist() == [0, 1, 1, 0]
    assert clip_a.time_mask_any.tolist() == [1, 1, 1, 0, 0, 0, 1, 1, 0, 0]
    assert clip_a.events == (("Dog", 0, 3), ("Bird", 6, 8))
    assert [s.video_id for s in demo.split("test")] == ["clip_a", "clip_b"]
    assert load_demo_dataset(make_demo(tmp_path / "plain", "Dog&clip_a&good&0&3\n")).classes == ("Dog",)


@pytest.mark.parametrize(
    "classes_json, annotations, needle",
    [
        ('["Dog"]', "Dog&clip_a&good&0&3\nCat&clip_b&good&0&3\n", "not in the class list: Cat"),
        ("{not json", "Dog&clip_a&good&0&3\n", "classes.json is not readable JSON"),
        ('{"Dog": 0}', "Dog&clip_a&good&0&3\n", "JSON list"),
        (None, "Dog&clip_c&good&0&3\n", "clip_c.mp4 is missing"),
    ],
)
def test_demo_errors(tmp_path, classes_json, annotations, needle):
    root = make_demo(tmp_path / "demo", annotations)
    if classes_json is not None:
        (root / "classes.json").write_text(classes_json)
    with pytest.raises(DataError, match=needle):
        load_demo_dataset(root)


def test_demo_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_demo_dataset(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="annotations.txt is missing"):
        load_demo_dataset(tmp_path / "empty")


# -- feature stores ----------------------------------------------------------------------------------------------------
DA, DV, GRID = 4, 3, (2, 2)


def features(t: int = T, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(t, DA, generator=generator), torch.randn(t, *GRID, DV, generator=generator)


@pytest.fixture
def store(tmp_path):
    return FeatureStore.create(tmp_path / "store", "tiny", DA, DV, GRID)


def test_store_round_trip_and_resume(store, tmp_path):
    audio, visual = features()
    assert "vid-1" not in store and len(store) == 0
    store.write("vid-1", audio, visual.half())
    store.write("-2abc", audio.numpy(), visual.numpy())
    reopened = FeatureStore.create(tmp_path / "store", "tiny", DA, DV, list(GRID))  # a resumed extraction
    assert "vid-1" in reopened and reopened.ids() == ["-2abc", "vid-1"] and len(reopened) == 2
    read_audio, read_visual = FeatureStore(tmp_path / "store").read("vid-1")
    assert read_audio.dtype == read_visual.dtype == torch.float32
    torch.testing.assert_close(read_audio, audio)
    torch.testing.assert_close(read_visual, visual.half().float())
    assert not list((tmp_path / "store").glob(".*"))  # no temp files left behind
    (tmp_path / "store" / ".vid-3.safetensors.x.partial").write_bytes(b"half")  # what a killed writer leaves
    assert "vid-3" not in store and len(store) == 2


def test_store_meta_mismatch_and_bad_meta(store, tmp_path):
    with pytest.raises(DataError, match="use another folder"):
        FeatureStore.create(tmp_path / "store", "tiny", DA, DV + 1, GRID)
    with pytest.raises(DataError, match="does not exist"):
        FeatureStore(tmp_path / "nowhere")
    (tmp_path / "bare").mkdir()
    with pytest.raises(DataError, match="no meta.json"):
        FeatureStore(tmp_path / "bare")
    (tmp_path / "bare" / "meta.json").write_text('{"encoder": "x", "audio_dim": "4"}')
    with pytest.raises(DataError, match="meta.json must hold"):
        FeatureStore(tmp_path / "bare")
    (tmp_path / "bare" / "meta.json").write_text("{oops")
    with pytest.raises(DataError, match="not readable JSON"):
        FeatureStore(tmp_path / "bare")


@pytest.mark.parametrize(
    "audio_shape, visual_shape, needle",
    [
        ((T, DA + 1), (T, *GRID, DV), "audio features must be T×4, got 10×5"),
        ((T, DA), (T, 3, 3, DV), "visual features must be T×2×2×3, got 10×3×3×3"),
        ((T, DA), (T - 1, *GRID, DV), "audio has 10 segments and visual 9"),
        ((DA,), (T, *GRID, DV), "got 4"),
    ],
)
def test_store_rejects_wrong_shapes_on_write_and_read(store, audio_shape, visual_shape, needle):
    audio, visual = torch.zeros(audio_shape), torch.zeros(visual_shape)
    with pytest.raises(DataError, match=needle) as error:
        store.write("vid", audio, visual)
    assert "vid.safetensors" in str(error.value) and "vid" not in store
    save_file({"audio": audio, "visual": visual}, str(store.path("vid")))  # written by something else
    with pytest.raises(DataError, match=needle):
        store.read("vid")


def test_store_bad_files_and_inputs(store):
    audio, visual = features()
    store.path("garbage").write_bytes(b"\x00\x01 this is not a safetensors file" * 10)
    with pytest.raises(DataError, match="garbage.safetensors is corrupt"):
        store.read("garbage")
    store.write("cut", audio, visual)
    data = store.path("cut").read_bytes()
    store.path("cut").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cut.safetensors is corrupt"):
        store.read("cut")
    save_file({"audio": audio}, str(store.path("partial")))
    with pytest.raises(DataError, match="exactly the tensors"):
        store.read("partial")
    with pytest.raises(DataError, match="No features for 'absent'"):
        store.read("absent")
    with pytest.raises(DataError, match="plain file names"):
        store.write("../escape", audio, visual)
    with pytest.raises(DataError, match="floating-point"):
        store.write("listy", audio.tolist(), visual)


def write_official(path, rows: int, audio_shape=(10, 128), visual_shape=(10, 7, 7, 512), key="avadataset"):
    rng = np.random.default_rng(rows)
    with h5py.File(path / "audio.h5", "w") as file:
        file[key] = rng.standard_normal((rows, *audio_shape)).astype(np.float32)
    with h5py.File(path / "visual.h5", "w") as file:
        file[key] = rng.standard_normal((rows, *visual_shape)).astype(np.float16)
    return path / "audio.h5", path / "visual.h5"


def test_official_ave_features_read_by_row(tmp_path):
    audio_path, visual_path = write_official(tmp_path, rows=3)
    official = OfficialAVEFeatures(audio_path, visual_path)
    with h5py.File(audio_path, "r") as file:
        expected_audio = file["avadataset"][:]
    audio, visual = official.read(2)
    assert audio.shape == (10, 128) and visual.shape == (10, 7, 7, 512) and visual.dtype == torch.float32
    np.testing.assert_array_equal(audio.numpy(), expected_audio[2])
    many_audio, many_visual = official.read_many([2, 0, 2])
    np.testing.assert_array_equal(many_audio.numpy(), expected_audio[[2, 0, 2]])
    torch.testing.assert_close(many_visual[0], visual)
    with pytest.raises(DataError, match="Rows must be in 0..2"):
        official.read(3)


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"audio_shape": (10, 64)}, "audio features must be N×10×128, got 2×10×64"),
        ({"visual_shape": (10, 2048)}, "visual features must be N×10×7×7×512, got 2×10×2048"),
        ({"key": "features"}, "has no 'avadataset' dataset"),
    ],
)
def test_official_ave_features_errors(tmp_path, kwargs, needle):
    with pytest.raises(DataError, match=needle):
        OfficialAVEFeatures(*write_official(tmp_path, rows=2, **kwargs))


def test_official_ave_features_missing_corrupt_and_row_mismatch(tmp_path):
    audio_path, visual_path = write_official(tmp_path, rows=2)
    with pytest.raises(DataError, match="audio feature file .* is missing"):
        OfficialAVEFeatures(tmp_path / "none.h5", visual_path)
    (tmp_path / "junk.h5").write_bytes(b"junk" * 100)
    with pytest.raises(DataError, match="junk.h5 is not a readable HDF5"):
        OfficialAVEFeatures(audio_path, tmp_path / "junk.h5")
    with h5py.File(tmp_path / "short.h5", "w") as file:
        file["avadataset"] = np.zeros((1, 10, 128), dtype=np.float32)
    with pytest.raises(DataError, match="has 1 rows but"):
        OfficialAVEFeatures(tmp_path / "short.h5", visual_path)


def test_feature_dataset_and_collate(store, tmp_path):
    samples = parse_ave_annotations(
        make_demo(tmp_path / "demo", "Dog&clip_a&good&0&3\nCat&clip_b&good&4&9\n") / "annotations.txt"
    )
    for seed, sample in enumerate(samples):
        store.write(sample.video_id, *features(seed=seed))
    loader = torch.utils.data.DataLoader(FeatureDataset(samples, store), batch_size=2, collate_fn=collate_features)
    audio, visual, labels, indices = next(iter(loader))
    assert audio.shape == (2, T, DA) and visual.shape == (2, T, *GRID, DV)
    assert labels.tolist() == [[1, 0], [0, 1]] and indices.tolist() == [0, 1]
    torch.testing.assert_close(audio[1], features(seed=1)[0])
    store.write("short", *features(t=5))
    short = parse_ave_annotations(
        make_demo(tmp_path / "s", "Dog&short&good&0&3\n", clips=("short",)) / "annotations.txt"
    )
    with pytest.raises(DataError, match="different numbers of segments"):
        collate_features([FeatureDataset(samples, store)[0], FeatureDataset(short, store)[0]])
    with pytest.raises(DataError, match="1 of 1 videos have no features"):
        FeatureDataset(
            parse_ave_annotations(
                make_demo(tmp_path / "m", "Dog&nope&good&0&3\n", clips=("nope",)) / "annotations.txt"
            ),
            store,
        )


def test_feature_dataset_with_official_rows(tmp_path):
    official = OfficialAVEFeatures(*write_official(tmp_path, rows=3))
    ave = load_dataset("ave")
    rows = [s for s in ave.samples[:3]]
    audio, _, labels, index = FeatureDataset(rows, official)[1]
    torch.testing.assert_close(audio, official.read(1)[0])
    assert index == 1 and labels.tolist() == ave.samples[1].labels.tolist()
    # The h5 handle opened above must not be shared with a forked worker: it reopens the files itself.
    worker = torch.utils.data.DataLoader(
        FeatureDataset(rows, official),
        batch_size=3,
        num_workers=1,
        collate_fn=collate_features,
        multiprocessing_context="fork",
    )
    audio, _, _, indices = next(iter(worker))
    torch.testing.assert_close(audio, official.read_many([0, 1, 2])[0])
    assert indices.tolist() == [0, 1, 2]
    with pytest.raises(DataError, match="have no features"):
        FeatureDataset(load_dataset("llp").samples[:1], official)
