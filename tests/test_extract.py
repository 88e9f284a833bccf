"""``explorer extract`` end to end on generated clips: store contents, resume, bad files, shards, errors."""

from __future__ import annotations

import json

import pytest
import torch
from media_factory import has_encoder, make_video

from explorer.cli import main
from explorer.data.features import FeatureStore
from explorer.encoders import RANDOM, create_encoder, save_encoder
from explorer.media import load_clip

AUDIO_CODEC = "aac" if has_encoder("aac") else "mp2"
GOOD = ["clipA", "clipB", "clipC"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three 2 s clips with a tone, one corrupt file, one listed video with no file; a saved compact encoder."""
    root = tmp_path_factory.mktemp("extract")
    videos = root / "videos"
    (videos / "AVE").mkdir(parents=True)
    make_video(videos / "AVE" / "clipA.mp4", 2, fps=4, audio_codec=AUDIO_CODEC, tone=(440, 0, 1))  # the AVE zip layout
    make_video(videos / "clipB.mp4", 2, fps=4, audio_codec=AUDIO_CODEC, tone=(880, 1, 2))
    make_video(videos / "clipC.mp4", 3, fps=4)  # no audio track
    (videos / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 50)
    annotations = root / "Annotations.txt"
    rows = [f"Church bell&{video_id}&good&0&2" for video_id in [*GOOD, "broken", "absent"]]
    annotations.write_text("Category&VideoID&Quality&StartTime&EndTime\n" + "\n".join(rows) + "\n")
    torch.manual_seed(0)
    weights = save_encoder(create_encoder("compact", weights=RANDOM), root / "compact_untrained")
    return videos, annotations, weights


def extract(corpus, out, *extra) -> int:
    videos, annotations, weights = corpus
    return main(
        [
            "extract",
            "--videos",
            str(videos),
            "--annotations",
            str(annotations),
            "--encoder",
            "compact",
            "--weights",
            str(weights),
            "--out",
            str(out),
            "--workers",
            "2",
            "--batch-size",
            "2",
            *extra,
        ]
    )


def test_extract_writes_the_store_reports_bad_files_and_resumes(corpus, tmp_path, capsys):
    out = tmp_path / "store"
    assert extract(corpus, out) == 1  # some files failed
    store = FeatureStore(out)
    assert store.ids() == sorted(GOOD) and store.encoder == "compact"
    encoder = create_encoder("compact", weights=corpus[2])
    clip = load_clip(corpus[0] / "clipB.mp4", frames_per_segment=encoder.frames_per_segment)
    audio, visual = store.read("clipB")
    expected_audio, expected_visual = encoder.encode(clip)
    assert audio.shape == (2, 128) and visual.shape == (2, 7, 7, 64)
    assert torch.allclose(audio, expected_audio, atol=1e-5) and torch.allclose(visual, expected_visual, atol=1e-5)
    assert store.read("clipC")[0].shape == (3, 128)

    report = json.loads((out / "extract_report.json").read_text())
    reasons = {failure["video_id"]: failure["reason"] for failure in report["failed"]}
    assert set(reasons) == {"broken", "absent"}
    assert "broken.mp4" in reasons["broken"] and "no video file for absent" in reasons["absent"]
    assert (report["listed"], report["extracted"], report["already_in_store"]) == (5, 3, 0)
    printed = capsys.readouterr().out
    assert "3 extracted, 0 already in the store, 2 failed" in printed and "skipped broken:" in printed

    written = {video_id: store.path(video_id).stat().st_mtime_ns for video_id in GOOD}
    assert extract(corpus, out) == 1
    report = json.loads((out / "extract_report.json").read_text())
    assert (report["extracted"], report["already_in_store"], len(report["failed"])) == (0, 3, 2)
    assert {video_id: store.path(video_id).stat().st_mtime_ns for video_id in GOOD} == written


def test_shard_takes_every_nth_video_of_an_llp_list(corpus, tmp_path):
    videos, _, weights = corpus
    listing = tmp_path / "AVVP_train.csv"
    rows = "".join(f"{video_id}\tSpeech\n" for video_id in ["clipB", "broken", "clipC", "clipA"])
    listing.write_text("filename\tevent_labels\n" + rows)
    out = tmp_path / "store"
    code = main(
        [
            "extract",
            "--videos",
            str(videos),
            "--annotations",
            str(listing),
            "--encoder",
            "compact",
            "--weights",
            str(weights),
            "--out",
            str(out),
            "--shard",
            "0/2",
        ]
    )
    assert code == 0
    assert FeatureStore(out).ids() == ["clipB", "clipC"]
    report = json.loads((out / "extract_report.shard0of2.json").read_text())
    assert report["shard"] == "0/2" and report["listed"] == 2


@pytest.mark.parametrize(
    "change, message",
    [
        ({"--videos": "nowhere"}, "video folder"),
        ({"--annotations": "missing.txt"}, "Annotation file"),
        ({"--shard": "2/2"}, "--shard must be i/n"),
        ({"--encoder": "resnet"}, "unknown encoder 'resnet'"),
        ({"--weights": "missing_encoder"}, "does not exist"),
    ],
)
def test_bad_arguments_give_one_clear_error(corpus, tmp_path, capsys, change, message):
    videos, annotations, weights = corpus
    options = {
        "--videos": str(videos),
        "--annotations": str(annotations),
        "--encoder": "compact",
        "--weights": str(weights),
        "--out": str(tmp_path / "store"),
    }
    options.update(
        {
            key: str(tmp_path / value) if key in ("--videos", "--annotations", "--weights") else value
            for key, value in change.items()
        }
    )
    assert main(["extract", *[item for pair in options.items() for item in pair]]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and "Traceback" not in error
