"""The CLI end to end on a tiny synthetic feature store of real AVE video ids, plus its error paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from explorer import cli
from explorer.data import load_dataset
from explorer.data.features import FeatureStore
from explorer.errors import CheckpointError
from explorer.models import load_checkpoint
from explorer.paths import REPO_ROOT

AUDIO_DIM, VISUAL_DIM, GRID = 8, 6, (2, 2)
CLASSES_USED = 3  # samples come from a few classes so that 40 clips are learnable
PER_SPLIT = {"train": 24, "val": 8, "test": 8}


def write_store(root, samples, audio_dim=AUDIO_DIM, seed=0):
    """Features = the sum of the labels' class prototypes + noise: random, but learnable from the labels."""
    generator = np.random.default_rng(seed)
    num_classes = len(samples[0].labels)
    audio_prototypes = generator.normal(size=(num_classes, audio_dim))
    visual_prototypes = generator.normal(size=(num_classes, VISUAL_DIM))
    store = FeatureStore.create(root, "synthetic", audio_dim, VISUAL_DIM, GRID)
    for sample in samples:
        segments = 10
        audio = sample.labels @ audio_prototypes + 0.3 * generator.normal(size=(segments, audio_dim))
        visual = sample.labels @ visual_prototypes + 0.3 * generator.normal(size=(segments, *GRID, VISUAL_DIM))
        store.write(sample.video_id, audio.astype(np.float32), visual.astype(np.float32))
    return store


def pick_samples():
    dataset = load_dataset("ave")
    picked = []
    for split, count in PER_SPLIT.items():
        chosen = [s for s in dataset.split(split) if int(s.labels.argmax()) < CLASSES_USED]
        picked += chosen[:count]
    return picked


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return write_store(tmp_path_factory.mktemp("store"), pick_samples()).root


@pytest.fixture(scope="module")
def trained(store, tmp_path_factory):
    out = tmp_path_factory.mktemp("checkpoints") / "stan"
    code = cli.main(
        [
            "train",
            "--model",
            "stan",
            "--dataset",
            "ave",
            "--features",
            str(store),
            "--out",
            str(out),
            "--epochs",
            "12",
            "--lr",
            "0.01",
            "--batch-size",
            "8",
            "--hidden",
            "16",
            "--patience",
            "12",
            "--device",
            "cpu",
            "--quiet",
        ]
    )
    assert code == 0
    return out


def test_train_writes_a_checkpoint_with_its_card(trained, store):
    model = load_checkpoint(trained)
    card = model.card
    assert (model.name, model.audio_dim, model.visual_dim, model.num_classes) == ("stan", AUDIO_DIM, VISUAL_DIM, 28)
    assert card["dataset"] == "ave" and len(card["classes"]) == 28
    assert card["encoder"]["name"] == "synthetic"
    assert card["features"]["grid"] == list(GRID)
    assert card["splits"] == {"train": PER_SPLIT["train"], "val": PER_SPLIT["val"]}
    assert card["training_command"].startswith("explorer train --model stan")
    assert card["hyperparameters"]["hidden"] == 16 and card["seed"] == 0
    assert 1 <= card["best_epoch"] <= len(card["history"]) <= 12
    # The class-dependent signal is learnable: the training set is fitted well above chance (1 of 3 classes).
    assert card["metrics"]["train_top1"] > 60


def test_evaluate_json_has_every_key_in_range(trained, store, tmp_path):
    out = tmp_path / "result.json"
    code = cli.main(
        [
            "evaluate",
            str(trained),
            "--features",
            str(store),
            "--split",
            "test",
            "--json",
            str(out),
            "--perturbation",
            "--draws",
            "3",
            "--sigma2",
            "0,0.5,1",
            "--device",
            "cpu",
        ]
    )
    assert code == 0
    result = json.loads(out.read_text())
    assert result["num_clips"] == PER_SPLIT["test"] and result["model"] == "stan"
    assert result["checkpoint"] == str(trained) and result["split"] == "test"
    for key in ("top1", "map", "f_score"):
        assert 0 <= result[key] <= 100
    assert result["map"] > 50  # learnt: chance mAP with 3 used classes out of 28 is far lower
    assert 0 <= result["pointing_mae_soft"] <= 1 and 0 <= result["pointing_mae_binary"] <= 1
    assert result["pointing_clips"] == PER_SPLIT["test"]  # every AVE test clip has a temporal box
    assert result["spatial_hit_rate"] is None  # no object masks for a feature store
    assert result["sigma2"] == [0.0, 0.5, 1.0]
    assert len(result["tvd_relevant"]) == len(result["tvd_irrelevant"]) == 3
    assert result["tvd_relevant"][0] == 0.0 and all(0 <= tvd <= 1 for tvd in result["tvd_relevant"])


def test_model_without_attention_reports_nulls(store, tmp_path):
    out = tmp_path / "baseline"
    assert (
        cli.main(
            [
                "train",
                "--model",
                "audio_baseline",
                "--dataset",
                "ave",
                "--features",
                str(store),
                "--out",
                str(out),
                "--epochs",
                "1",
                "--hidden",
                "8",
                "--device",
                "cpu",
                "--quiet",
            ]
        )
        == 0
    )
    report = tmp_path / "baseline.json.out"
    assert cli.main(["evaluate", str(out), "--features", str(store), "--json", str(report), "--perturbation"]) == 0
    result = json.loads(report.read_text())
    assert result["pointing_mae_soft"] is None and result["pointing_mae_binary"] is None
    assert result["spatial_hit_rate"] is None and result["tvd_relevant"] == [] and result["sigma2"] == []


@pytest.mark.parametrize("command", ["train", "evaluate", "explain"])
def test_help_exits_zero(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    assert command in capsys.readouterr().out


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "explorer", *args], capture_output=True, text=True, timeout=120)


def test_unknown_model_exits_2_without_traceback(tmp_path):
    result = run_cli(
        "train",
        "--model",
        "resnet_for_sure",
        "--dataset",
        "ave",
        "--features",
        str(tmp_path),
        "--out",
        str(tmp_path / "x"),
    )
    assert result.returncode == 2
    assert "error:" in result.stderr and "invalid choice" in result.stderr and "Traceback" not in result.stderr


def test_missing_store_exits_2_without_traceback(tmp_path):
    result = run_cli("train", "--dataset", "ave", "--features", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x"))
    assert result.returncode == 2
    assert "error: Feature store" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def in_process_error(capsys, argv) -> str:
    """Run the CLI in this process; it must exit 2 with one ``error:`` line and no traceback."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_info:  # argparse errors
        code = exit_info.code
    stderr = capsys.readouterr().err
    assert code == 2, stderr
    assert "error:" in stderr and "Traceback" not in stderr
    return stderr


def test_wrong_dataset(capsys, store, tmp_path):
    stderr = in_process_error(
        capsys, ["train", "--dataset", "kinetics", "--features", str(store), "--out", str(tmp_path / "x")]
    )
    assert "invalid choice: 'kinetics'" in stderr


def test_wrong_dataset_root(capsys, store, tmp_path):
    stderr = in_process_error(
        capsys,
        [
            "train",
            "--dataset",
            "ave",
            "--data",
            str(tmp_path / "no_ave"),
            "--features",
            str(store),
            "--out",
            str(tmp_path / "x"),
        ],
    )
    assert "does not exist" in stderr


def test_demo_without_data_folder(capsys, store, tmp_path):
    stderr = in_process_error(
        capsys, ["train", "--dataset", "demo", "--features", str(store), "--out", str(tmp_path / "x")]
    )
    assert "--data DIR" in stderr


@pytest.mark.parametrize("option", [["--epochs", "0"], ["--lr", "-1"], ["--batch-size", "many"]])
def test_bad_numbers(capsys, store, tmp_path, option):
    in_process_error(
        capsys, ["train", "--dataset", "ave", "--features", str(store), "--out", str(tmp_path / "x"), *option]
    )


def test_store_of_other_videos(capsys, tmp_path):
    llp = load_dataset("llp").split("train")[:3]
    other = write_store(tmp_path / "llp_store", llp)
    stderr = in_process_error(
        capsys, ["train", "--dataset", "ave", "--features", str(other.root), "--out", str(tmp_path / "x")]
    )
    assert "None of the" in stderr and "has features" in stderr


def test_store_whose_files_disagree_with_its_meta(capsys, store, tmp_path):
    samples = pick_samples()
    broken = write_store(tmp_path / "broken", samples).root
    meta = json.loads((broken / "meta.json").read_text())
    (broken / "meta.json").write_text(json.dumps({**meta, "audio_dim": AUDIO_DIM + 1}))
    stderr = in_process_error(
        capsys, ["train", "--dataset", "ave", "--features", str(broken), "--out", str(tmp_path / "x")]
    )
    assert "audio features must be" in stderr


def test_evaluate_on_a_store_with_other_dims(capsys, trained, tmp_path):
    other = write_store(tmp_path / "wide", pick_samples(), audio_dim=AUDIO_DIM * 2).root
    stderr = in_process_error(capsys, ["evaluate", str(trained), "--features", str(other)])
    assert f"expects audio {AUDIO_DIM}-d" in stderr


def test_evaluate_needs_exactly_one_source(capsys, trained, store, tmp_path):
    in_process_error(capsys, ["evaluate", str(trained)])
    in_process_error(capsys, ["evaluate", str(trained), "--features", str(store), "--data", str(tmp_path)])


def test_evaluate_missing_checkpoint(capsys, store, tmp_path):
    stderr = in_process_error(capsys, ["evaluate", str(tmp_path / "none"), "--features", str(store)])
    assert "none.json does not exist" in stderr


def test_explain_checkpoint_without_a_known_encoder(capsys, trained, tmp_path):
    stderr = in_process_error(capsys, ["explain", str(trained), str(tmp_path / "clip.mp4")])
    assert "unknown encoder 'synthetic'" in stderr


def test_checkpoint_loads_with_predictions_matching_training(trained, store):
    """The saved weights are the best epoch's: re-evaluating them reproduces the card's val mAP."""
    from explorer.data.features import FeatureDataset
    from explorer.metrics import mean_average_precision
    from explorer.training import predict

    model = load_checkpoint(trained)
    val = [s for s in pick_samples() if s.split == "val"]
    predictions = predict(model, FeatureDataset(val, FeatureStore(store)), batch_size=4)
    assert mean_average_precision(predictions.probs, predictions.labels) == pytest.approx(
        model.card["metrics"]["val_map"]
    )
    assert torch.all((predictions.probs >= 0) & (predictions.probs <= 1))


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """A 4-clip demo folder, its features from the (untrained) compact encoder, and a STAN trained on them."""
    from explorer.data import load_demo_dataset
    from explorer.encoders import create_encoder
    from explorer.explain import encode_clip

    root = tmp_path_factory.mktemp("demo")
    assert cli.main(["demo", "build", "--n", "4", "--size", "96", "--out", str(root / "corpus")]) == 0
    encoder = create_encoder("compact", weights="random")
    store = FeatureStore.create(root / "store", encoder.name, encoder.audio_dim, encoder.visual_dim, encoder.grid)
    (store.root / "meta.json").write_text(json.dumps(encoder.describe()))  # what an extraction records
    for sample in load_demo_dataset(root / "corpus").samples:
        store.write(sample.video_id, *encode_clip(encoder, root / "corpus" / "clips" / f"{sample.video_id}.mp4"))
    checkpoint = root / "stan"
    assert (
        cli.main(
            [
                "train",
                "--dataset",
                "demo",
                "--data",
                str(root / "corpus"),
                "--features",
                str(store.root),
                "--out",
                str(checkpoint),
                "--epochs",
                "2",
                "--hidden",
                "8",
                "--device",
                "cpu",
                "--quiet",
            ]
        )
        == 0
    )
    return root / "corpus", checkpoint


def test_evaluate_demo_folder_scores_where_and_when(demo_run, tmp_path):
    corpus, checkpoint = demo_run
    out = tmp_path / "demo.json"
    assert cli.main(["evaluate", str(checkpoint), "--data", str(corpus), "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["num_clips"] == 4 and result["split"] is None
    assert 0 <= result["spatial_hit_rate"] <= 1
    assert 0 <= result["pointing_mae_soft"] <= 1 and result["pointing_clips"] == 4
    assert len(result["sigma2"]) == len(result["tvd_relevant"]) == len(result["tvd_irrelevant"]) == 11


def test_evaluate_scores_explanation_methods(demo_run, tmp_path, capsys):
    corpus, checkpoint = demo_run
    out = tmp_path / "methods.json"
    arguments = ["--methods", "attention,gradient_x_input,grad_cam", "--methods-clips", "2", "--draws", "2"]
    assert cli.main(["evaluate", str(checkpoint), "--data", str(corpus), "--json", str(out), *arguments]) == 0
    result = json.loads(out.read_text())
    assert result["methods_clips"] == 2 and set(result["methods"]) == {"attention", "gradient_x_input", "grad_cam"}
    for name, scores in result["methods"].items():
        assert 0 <= scores["spatial_hit_rate"] <= 1 and 0 <= scores["spatial_energy_in_mask"] <= 1, name
        assert scores["tvd_relevant"] >= 0 and 0 <= scores["deletion_auc"] <= 1, name
    assert result["methods"]["grad_cam"]["pointing_mae_soft"] is None  # Grad-CAM gives no time map
    assert "explanation methods on 2 clips" in capsys.readouterr().out


def test_evaluate_rejects_an_unknown_method(demo_run, capsys):
    corpus, checkpoint = demo_run
    stderr = in_process_error(capsys, ["evaluate", str(checkpoint), "--data", str(corpus), "--methods", "lime"])
    assert "choose among attention" in stderr


def test_explain_prints_and_writes_attention(demo_run, tmp_path, capsys):
    corpus, checkpoint = demo_run
    clip = sorted((corpus / "clips").glob("*.mp4"))[0]
    classes = json.loads((corpus / "classes.json").read_text())
    out = tmp_path / "explain.json"
    assert cli.main(["explain", str(checkpoint), str(clip), "--json", str(out), "--class", classes[1]]) == 0
    printed = capsys.readouterr().out
    assert "second  9:" in printed and "space peak at cell" in printed
    report = json.loads(out.read_text())
    assert len(report["time_attention"]) == 10 and np.array(report["space_attention"]).shape == (10, 7, 7)
    probabilities = [row["probability"] for row in report["predictions"]]
    assert len(probabilities) == len(classes) and probabilities == sorted(probabilities, reverse=True)
    assert report["classes"] == classes and report["predicted"][0] == report["predictions"][0]["class"]
    assert report["class"]["name"] == classes[1] and len(report["class"]["cam_peaks"]) == 10
    assert all(0 <= peak["row"] < 7 and 0 <= peak["column"] < 7 for peak in report["space_peaks"])


def test_explain_reports_how_familiar_a_clip_is(tmp_path, capsys):
    """The demo STAN on a real video: ``familiarity`` names both senses; with the reference damaged, the explanation
    still comes, with one sentence about the check."""
    demo = REPO_ROOT / "checkpoints" / "demo"
    clip = REPO_ROOT / "assets" / "real" / "videos" / "chelsea_mewing.mp4"
    out = tmp_path / "explain.json"
    assert cli.main(["explain", str(demo / "stan"), str(clip), "--json", str(out)]) == 0
    assert "unlike its training clips in audio and visual" in capsys.readouterr().out
    assert json.loads(out.read_text())["familiarity"]["unfamiliar"] == ["audio", "visual"]
    copied = tmp_path / "checkpoints"
    copied.mkdir()
    for path in demo.glob("stan.*"):
        shutil.copy(path, copied / path.name)
    (copied / "feature_reference.json").write_text("{not json")
    (copied / "feature_reference.safetensors").write_bytes(b"")
    assert cli.main(["explain", str(copied / "stan"), str(clip), "--json", str(out)]) == 0
    captured = capsys.readouterr()
    assert "No familiarity check: the feature reference" in captured.err and "Traceback" not in captured.err
    assert json.loads(out.read_text())["familiarity"] is None


def test_explain_unknown_class(demo_run, capsys):
    corpus, checkpoint = demo_run
    clip = sorted((corpus / "clips").glob("*.mp4"))[0]
    assert "is not one of this checkpoint's classes" in in_process_error(
        capsys, ["explain", str(checkpoint), str(clip), "--class", "Unicorn"]
    )


def test_explain_missing_clip_names_it(demo_run, capsys, tmp_path):
    _, checkpoint = demo_run
    assert "missing.mp4" in in_process_error(capsys, ["explain", str(checkpoint), str(tmp_path / "missing.mp4")])


# -- the training library under the commands ----------------------------------------------------------------------
def tiny_clip(length: int, label: int, index: int):
    generator = torch.Generator().manual_seed(index)
    labels = torch.zeros(3)
    labels[label] = 1
    audio = torch.randn(length, AUDIO_DIM, generator=generator) + label
    visual = torch.randn(length, *GRID, VISUAL_DIM, generator=generator) - label
    return audio, visual, labels, index


def test_predict_keeps_clips_of_different_lengths():
    from explorer.models import create_model
    from explorer.training import predict

    clips = [tiny_clip(length, index % 3, index) for index, length in enumerate([3, 3, 5, 4])]
    predictions = predict(create_model("stan", 3, AUDIO_DIM, VISUAL_DIM, hidden=8), clips, batch_size=8)
    assert predictions.probs.shape == (4, 3) and predictions.indices == [0, 1, 2, 3]
    assert [len(attention) for attention in predictions.time_attention] == [3, 3, 5, 4]
    assert [tuple(space.shape) for space in predictions.space_attention][2] == (5, *GRID)


def test_early_stopping_keeps_the_best_epoch():
    from explorer.models import create_model
    from explorer.training import train

    clips = [tiny_clip(4, index % 3, index) for index in range(18)]
    torch.manual_seed(0)
    model = create_model("stan", 3, AUDIO_DIM, VISUAL_DIM, hidden=8)
    result = train(model, clips[:12], clips[12:], epochs=20, lr=0.3, batch_size=4, patience=2, progress=False)
    val_maps = [row["val_map"] for row in result.history]
    assert result.best_epoch == 1 + int(np.argmax(val_maps))
    assert len(val_maps) == 20 or len(val_maps) == result.best_epoch + 2  # stopped after `patience` epochs without gain
    assert result.val_metrics["map"] == max(val_maps)
    for name, weights in model.state_dict().items():
        assert torch.equal(weights, result.best_state[name])


def test_card_names_its_encoder(tmp_path):
    """The card's ``encoder`` entry opens the encoder; a card without one is a clear error."""
    from explorer.explain import checkpoint_encoder
    from explorer.models import create_model

    model = create_model("stan", 3, 128, 64, hidden=8)
    model.card = {"encoder": {"name": "compact", "weights": "random"}}
    assert checkpoint_encoder(model).name == "compact"
    model.card = {}
    with pytest.raises(CheckpointError, match="does not name the encoder"):
        checkpoint_encoder(model)
