"""The demo corpus: determinism, agreement of the ground truth with the rendered audio and frames, the on-disk build,
the loader, the sources' attribution, and a clear error for every bad input."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from explorer import cli
from explorer.data import load_demo_dataset
from explorer.demo import (
    CLASS_NAMES,
    DEMO_CLASSES,
    SourceLibrary,
    build_corpus,
    generate_features,
    iter_scenes,
    load_object_masks,
    render_scene,
    sample_scene,
)
from explorer.demo.corpus import APP_FPS, APP_SIZE, as_decoded, iter_decoded_scenes
from explorer.demo.scene import EVENT, OFFSCREEN, OUTLIER, SILENT
from explorer.demo.sources import (
    AMBIENT_SOUNDS,
    BACKGROUNDS,
    HELD_OUT_SOUNDS,
    OUTLIER_CLASSES,
    SOURCES_DIR,
)
from explorer.errors import DataError, ExplorerError
from explorer.media import MediaError, load_clip

SEED = 5
NUM_CLIPS = 3
SMALL = {"fps": 4, "size": 96}  # small frames keep the build fast; the logic does not depend on the size


@pytest.fixture(scope="module")
def library() -> SourceLibrary:
    return SourceLibrary()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "corpus"
    build_corpus(out, n=NUM_CLIPS, seed=SEED, progress=False, **SMALL)
    return out


def _decoded(root: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    clips = [load_clip(path, frames_per_segment=SMALL["fps"]) for path in sorted((root / "clips").glob("*.mp4"))]
    return [(np.stack(clip.frames), clip.audio) for clip in clips]


def test_same_seed_builds_the_same_corpus_and_another_seed_does_not(built, tmp_path):
    again, other = tmp_path / "again", tmp_path / "other"
    build_corpus(again, n=NUM_CLIPS, seed=SEED, progress=False, **SMALL)
    build_corpus(other, n=NUM_CLIPS, seed=SEED + 1, progress=False, **SMALL)
    for name in ("annotations.txt", "classes.json", "masks.npz", "object_masks.npz", "objects.json"):
        assert (built / name).read_bytes() == (again / name).read_bytes(), name
    first, second = _decoded(built), _decoded(again)
    assert len(first) == NUM_CLIPS
    for (frames_a, audio_a), (frames_b, audio_b) in zip(first, second):
        np.testing.assert_array_equal(frames_a, frames_b)
        np.testing.assert_array_equal(audio_a, audio_b)
    assert (built / "annotations.txt").read_text() != (other / "annotations.txt").read_text()
    assert not np.array_equal(first[0][0], _decoded(other)[0][0])


def test_a_clip_depends_only_on_seed_and_index(library):
    *_, (third_clip, third_truth) = iter_scenes(3, seed=SEED, library=library, **SMALL)
    ((alone_clip, alone_truth),) = iter_scenes(1, seed=SEED, first_index=2, library=library, **SMALL)
    assert third_truth.spec == alone_truth.spec
    np.testing.assert_array_equal(np.stack(third_clip.frames), np.stack(alone_clip.frames))
    np.testing.assert_array_equal(third_clip.audio, alone_clip.audio)


def test_scene_statistics_follow_the_design():
    specs = [sample_scene(11, index) for index in range(400)]
    multi_label = np.mean([len(spec.labels) == 2 for spec in specs])
    with_distractor = np.mean([any(obj.role != EVENT for obj in spec.objects) for spec in specs])
    assert 0.22 < multi_label < 0.38 and with_distractor > 0.7
    for spec in specs:
        names = [obj.class_name for obj in spec.objects]
        assert len(set(names)) == len(names)  # a distractor is never of a labelled class
        for obj in spec.objects:
            assert (obj.image is not None) == (obj.role != OFFSCREEN)
            assert (obj.sound is not None) == (obj.role != SILENT)
            if obj.interval:
                start, end = obj.interval
                assert 0 <= start and end <= 10 and end - start >= 2


def test_outlier_clips_show_and_sound_an_object_of_no_class_and_carry_no_label():
    ordinary_names = {obj.class_name for index in range(50) for obj in sample_scene(SEED, index).objects}
    for index in range(50):
        spec = sample_scene(SEED, index, outliers=True)
        assert spec.video_id == f"demo_outlier_{SEED}_{index:04d}" and spec.labels == [] and spec.events == []
        outliers = [obj for obj in spec.objects if obj.role == OUTLIER]
        assert outliers and all(obj.image and obj.sound and obj.interval for obj in outliers)
        assert {obj.class_name for obj in outliers} <= {c.name for c in OUTLIER_CLASSES}
        assert {obj.class_name for obj in spec.objects if obj.role != OUTLIER} <= set(CLASS_NAMES)
        assert {obj.role for obj in spec.objects} - {OUTLIER} <= {SILENT, OFFSCREEN}
        assert spec != sample_scene(SEED, index)  # a stream of its own, not the ordinary clip with a swap
    assert not ordinary_names & {c.name for c in OUTLIER_CLASSES}  # ordinary clips never draw them


def test_an_outlier_clip_has_no_ground_truth_event_but_shows_its_object(library):
    ((clip, truth),) = iter_decoded_scenes(1, SEED, 1, first_index=1, library=library, outliers=True)
    assert truth.video_id == f"demo_outlier_{SEED}_0001"
    assert truth.labels.sum() == 0 and truth.time_mask.sum() == 0 and truth.event_mask.sum() == 0
    outlier = next(row for row, index in enumerate(truth.visible) if truth.spec.objects[index].role == OUTLIER)
    assert truth.segment_masks[outlier].any()
    start, end = next(obj.interval for obj in truth.spec.objects if obj.role == OUTLIER)
    assert clip.num_segments == 10 and end - start >= 2


def _segment_rms(audio: np.ndarray) -> np.ndarray:
    return np.sqrt(np.mean(audio.reshape(10, -1) ** 2, axis=1))


def test_each_event_sounds_in_its_interval_and_nowhere_else(library):
    checked = 0
    for index in range(8):
        spec = sample_scene(SEED, index)
        for event in (obj for obj in spec.objects if obj.role == EVENT):
            # The event alone, without ambience: its audible seconds must be loud and every other second silent.
            alone = dataclasses.replace(spec, objects=(event,), ambient_gain=0.0)
            rms = _segment_rms(render_scene(alone, library, **SMALL).audio)
            start, end = event.interval
            inside = rms[start:end]
            outside = np.concatenate([rms[:start], rms[end:]])
            assert inside.min() > 0.005, (spec.video_id, event.class_name, rms)
            assert outside.size == 0 or outside.max() == 0.0
            checked += 1
        rendered = render_scene(spec, library, **SMALL)
        np.testing.assert_allclose(rendered.tracks.sum(axis=0) + rendered.ambient, rendered.audio, atol=1e-5)
        assert np.abs(rendered.audio).max() <= 0.9 + 1e-6
        assert _segment_rms(rendered.ambient).min() > 0  # the ambience is under everything
    assert checked >= 8


def test_masks_cover_exactly_the_pasted_objects(library):
    for index in range(6):
        spec = sample_scene(SEED, index)
        rendered = render_scene(spec, library, fps=1, size=224)
        frames = rendered.frames.astype(np.int16)
        background = rendered.background.astype(np.int16)
        assert rendered.object_masks.shape[:2] == (len(rendered.visible), 10)
        for row, object_index in enumerate(rendered.visible):
            masks = rendered.object_masks[row]
            if spec.objects[object_index].role == EVENT:
                assert masks.any(axis=(1, 2)).all()  # a labelled object is visible in every frame
            for frame, mask in zip(frames, masks):
                if mask.sum() > 20:
                    assert np.abs(frame[mask] - background[mask]).mean() > 8
        # Where no object reaches (alpha 0) every pixel is the untouched background; what an object reaches beyond
        # its mask is only faint anti-aliased rims and thin parts, a small share of its pixels.
        untouched = ~rendered.touched
        np.testing.assert_array_equal(frames[untouched], np.broadcast_to(background, frames.shape)[untouched])
        union = rendered.object_masks.any(axis=0)
        assert not (union & untouched).any()
        assert (rendered.touched & ~union).sum() < 0.4 * union.sum()


def test_built_files_agree_with_the_ground_truth(built, library):
    scenes = list(iter_scenes(NUM_CLIPS, seed=SEED, library=library, **SMALL))
    truths = [truth for _, truth in scenes]
    # The written mp4 is the in-memory clip up to lossy coding, frame for frame and sample for sample.
    for (clip, _), (frames, audio) in zip(scenes, _decoded(built)):
        assert np.abs(frames.astype(np.int16) - np.stack(clip.frames)).mean() < 6
        assert np.corrcoef(audio, clip.audio)[0, 1] > 0.99
    objects = json.loads((built / "objects.json").read_text())
    assert json.loads((built / "classes.json").read_text()) == list(CLASS_NAMES)
    with np.load(built / "masks.npz") as masks:
        assert sorted(masks.files) == sorted(truth.video_id for truth in truths)
        for truth in truths:
            event_mask = masks[truth.video_id]
            assert event_mask.shape == (10, SMALL["size"], SMALL["size"]) and event_mask.dtype == np.uint8
            np.testing.assert_array_equal(event_mask, truth.event_mask)
            np.testing.assert_array_equal(load_object_masks(built, truth.video_id), truth.object_masks)
            described = objects["videos"][truth.video_id]
            assert [(o["class"], o["role"]) for o in described] == [(o.class_name, o.role) for o in truth.spec.objects]
            for entry in described:
                if "boxes" in entry:
                    x0, y0, x1, y1 = entry["boxes"][3]
                    segment_mask = truth.segment_masks[entry["mask_index"], 3]
                    assert segment_mask[y0:y1, x0:x1].sum() == segment_mask.sum() > 0
    rows = (built / "annotations.txt").read_text().splitlines()
    assert rows[0] == "Category&VideoID&Quality&StartTime&EndTime"
    assert sorted(rows[1:]) == sorted(f"{c}&{t.video_id}&good&{s}&{e}" for t in truths for c, s, e in t.events)


def test_the_data_loader_reads_the_build(built, library):
    dataset = load_demo_dataset(built)
    truths = {truth.video_id: truth for _, truth in iter_scenes(NUM_CLIPS, seed=SEED, library=library, **SMALL)}
    assert tuple(dataset.classes) == CLASS_NAMES and len(dataset.samples) == NUM_CLIPS
    for sample in dataset.samples:
        truth = truths[sample.video_id]
        np.testing.assert_array_equal(sample.labels, truth.labels)
        np.testing.assert_array_equal(sample.time_mask, truth.time_mask)


class SegmentStatistics:
    """A small real encoder: per-second audio RMS and per-cell mean colour of the middle frame."""

    grid = (2, 2)

    def encode(self, clip):
        audio = np.array([[np.sqrt(np.mean(clip.segment_audio(t) ** 2))] for t in range(clip.num_segments)])
        visual = np.stack(
            [
                cv2.resize(clip.middle_frame(t), self.grid, interpolation=cv2.INTER_AREA)
                for t in range(clip.num_segments)
            ]
        ).astype(np.float32)
        return audio, visual


def test_generate_features_encodes_the_same_scenes(library):
    features = list(generate_features(2, seed=SEED, encoder=SegmentStatistics(), **SMALL))
    assert [truth.video_id for truth, _, _ in features] == ["demo_5_0000", "demo_5_0001"]
    ((clip, _),) = iter_scenes(1, seed=SEED, first_index=1, library=library, **SMALL)
    _, audio, visual = features[1]
    np.testing.assert_array_equal(audio, SegmentStatistics().encode(clip)[0])
    assert visual.shape == (10, 2, 2, 3)


def test_rendering_only_some_frames_draws_the_same_pixels_and_masks(library):
    spec = sample_scene(SEED, 2)
    full = render_scene(spec, library, **SMALL)
    picked = [0, 3, 17, 39]
    some = render_scene(spec, library, only_frames=picked, **SMALL)
    np.testing.assert_array_equal(some.frames, full.frames[picked])
    np.testing.assert_array_equal(some.object_masks, full.object_masks[:, picked])
    np.testing.assert_array_equal(some.touched, full.touched[picked])
    np.testing.assert_array_equal(some.audio, full.audio)
    with pytest.raises(DataError, match="only_frames must lie in 0 … 39"):
        render_scene(spec, library, only_frames=[40], **SMALL)


@pytest.mark.parametrize("frames_per_segment", [1, 2])
def test_decoded_scenes_equal_the_full_render_as_decoded(library, frames_per_segment):
    """What the feature cache encodes: the frames ``as_decoded`` keeps and the ground truth of the full render, drawn
    from an eighth (F = 1) or three eighths (F = 2) of the frames."""
    full = iter_scenes(2, SEED, fps=APP_FPS, size=APP_SIZE, first_index=3, library=library)
    decoded = iter_decoded_scenes(2, SEED, frames_per_segment, first_index=3, library=library)
    for (clip, truth), (fast_clip, fast_truth) in zip(full, decoded, strict=True):
        expected = as_decoded(clip, frames_per_segment)
        assert len(fast_clip.frames) == len(expected.frames) == 10
        for fast_segment, segment in zip(fast_clip.frames, expected.frames):
            np.testing.assert_array_equal(fast_segment, segment)
        np.testing.assert_array_equal(fast_clip.audio, expected.audio)
        assert fast_truth.video_id == truth.video_id
        np.testing.assert_array_equal(fast_truth.labels, truth.labels)
        np.testing.assert_array_equal(fast_truth.time_mask, truth.time_mask)
        np.testing.assert_array_equal(fast_truth.event_mask, truth.event_mask)
        np.testing.assert_array_equal(fast_truth.segment_masks, truth.segment_masks)
    with pytest.raises(DataError, match="positive integer"):
        iter_decoded_scenes(0, SEED, 1)


def test_attribution_lists_every_source_file():
    attribution = (SOURCES_DIR / "ATTRIBUTION.md").read_text(encoding="utf-8")
    files = sorted(str(p.relative_to(SOURCES_DIR)) for p in SOURCES_DIR.rglob("*") if p.is_file())
    files.remove("ATTRIBUTION.md")
    for name in files:
        row = next((line for line in attribution.splitlines() if line.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} is not in ATTRIBUTION.md"
        assert any(licence in row for licence in ("GPL", "CC-BY-SA", "CC0", "public domain")), row
    used = {path for c in DEMO_CLASSES for path in c.images + c.sounds} | set(AMBIENT_SOUNDS) | set(BACKGROUNDS)
    used |= set(HELD_OUT_SOUNDS)  # shipped for the real test videos, drawn by no class
    used |= {path for c in OUTLIER_CLASSES for path in c.images + c.sounds}  # drawn only by outlier clips
    assert used == set(files)  # every registered file ships, and nothing unused does
    assert sum((SOURCES_DIR / name).stat().st_size for name in files) < 10 * 2**20


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda out: build_corpus(out, n=0, seed=1, progress=False), "positive integer"),
        (lambda out: build_corpus(out, n="3", seed=1, progress=False), "positive integer"),
        (lambda out: build_corpus(out, n=1, seed=-1, progress=False), "non-negative integer"),
        (lambda out: build_corpus(out, n=1, seed=1, fps=0, progress=False), "fps"),
        (lambda out: build_corpus(out, n=1, seed=1, size=8, progress=False), "size"),
        (lambda out: SourceLibrary(out / "nowhere"), "does not exist"),
        (lambda out: load_object_masks(out / "nowhere", "demo_1_0000"), "missing or unreadable"),
    ],
)
def test_bad_arguments_give_clear_errors(tmp_path, call, message):
    with pytest.raises(DataError, match=message):
        call(tmp_path)


def test_an_output_path_that_is_a_file_is_refused(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(DataError, match="is a file"):
        build_corpus(blocker, n=1, seed=1, progress=False)


def test_unknown_video_id_in_a_build_is_refused(built):
    with pytest.raises(DataError, match="no object masks for 'demo_9_9999'"):
        load_object_masks(built, "demo_9_9999")


@pytest.fixture()
def broken_sources(tmp_path) -> Path:
    root = tmp_path / "sources"
    shutil.copytree(SOURCES_DIR, root)
    (root / "stamps" / "dog.png").write_bytes(b"not a png")
    shutil.copy(SOURCES_DIR / "backgrounds" / "hill.jpg", root / "stamps" / "goat.png")  # a photo without alpha
    (root / "stamps" / "dog.ogg").write_bytes(b"")
    (root / "stamps" / "goat.ogg").write_bytes((SOURCES_DIR / "stamps" / "goat.ogg").read_bytes()[:300])
    silence = np.zeros(16000, np.int16).tobytes()
    header = (
        b"RIFF"
        + (36 + len(silence)).to_bytes(4, "little")
        + b"WAVEfmt "
        + bytes.fromhex("1000000001000100803e0000007d00000200100064617461")
        + len(silence).to_bytes(4, "little")
    )
    (root / "sounds" / "scratch_Dog1.wav").write_bytes(header + silence)
    return root


@pytest.mark.parametrize(
    "load, relative, error, message",
    [
        ("cutout", "stamps/dog.png", DataError, "missing or unreadable"),
        ("cutout", "stamps/goat.png", DataError, "4 channels"),
        ("cutout", "stamps/absent.png", DataError, "missing or unreadable"),
        ("sound", "stamps/dog.ogg", MediaError, "dog.ogg"),
        ("sound", "stamps/goat.ogg", MediaError, "goat.ogg"),
        ("sound", "sounds/scratch_Dog1.wav", DataError, "is silent"),
    ],
)
def test_broken_source_files_give_clear_errors(broken_sources, load, relative, error, message):
    with pytest.raises(error, match=message) as caught:
        getattr(SourceLibrary(broken_sources), load)(relative)
    assert isinstance(caught.value, ExplorerError) and str(caught.value).endswith(".")


def test_cli_reports_bad_input_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMANDS", ("demo",))  # only this command, whatever else is being written
    assert cli.main(["demo", "build", "--n", "0", "--out", str(tmp_path / "corpus")]) == 2
    assert capsys.readouterr().err.startswith("error: The number of demo clips must be a positive integer")


def test_cli_builds_a_corpus(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMANDS", ("demo",))
    out = tmp_path / "corpus"
    assert cli.main(["demo", "build", "--n", "1", "--seed", "2", "--out", str(out), "--fps", "2", "--size", "64"]) == 0
    assert "wrote 1 clips" in capsys.readouterr().out
    assert load_demo_dataset(out).samples[0].video_id == "demo_2_0000"
