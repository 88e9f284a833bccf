"""Checkpoints: exact round trips, no pickle, and one clear error per kind of broken file."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from explorer.errors import CheckpointError
from explorer.models import (
    create_model,
    list_checkpoints,
    list_models,
    load_checkpoint,
    save_checkpoint,
)

NUM_CLASSES, AUDIO_DIM, VISUAL_DIM = 4, 6, 5


def tiny_model(name: str = "stan", hidden: int = 8):
    torch.manual_seed(0)
    return create_model(name, NUM_CLASSES, AUDIO_DIM, VISUAL_DIM, hidden=hidden)


def tiny_batch():
    generator = torch.Generator().manual_seed(1)
    return torch.randn(2, 3, AUDIO_DIM, generator=generator), torch.randn(2, 3, 2, 2, VISUAL_DIM, generator=generator)


@pytest.fixture
def saved(tmp_path):
    return save_checkpoint(tiny_model(), tmp_path / "model", {"classes": ["a", "b", "c", "d"]})


@pytest.mark.parametrize("name", list_models())
def test_round_trip_gives_identical_outputs(tmp_path, name):
    model = tiny_model(name).eval()
    audio, visual = tiny_batch()
    base = save_checkpoint(model, tmp_path / name, {"dataset": "ave"})
    loaded = load_checkpoint(base)
    assert not loaded.training
    assert loaded.describe() == model.describe()
    with torch.no_grad():
        before, after = model(audio, visual), loaded(audio, visual)
    torch.testing.assert_close(after.probs, before.probs, rtol=0, atol=0)
    for field in ("time_attention", "space_attention"):
        if getattr(before, field) is None:
            assert getattr(after, field) is None
        else:
            torch.testing.assert_close(getattr(after, field), getattr(before, field), rtol=0, atol=0)


def test_card_is_kept_and_completed(saved):
    card = load_checkpoint(saved).card
    assert card["classes"] == ["a", "b", "c", "d"]
    assert "date" in card and "git_commit" in card


@pytest.mark.parametrize("suffix", ["", ".json", ".safetensors"])
def test_path_suffix_is_optional(saved, suffix):
    assert load_checkpoint(f"{saved}{suffix}").num_classes == NUM_CLASSES


def test_weights_are_plain_safetensors(saved):
    """The weights file loads with safetensors alone and holds exactly the state dict."""
    state = load_file(f"{saved}.safetensors")
    assert state.keys() == tiny_model().state_dict().keys()
    assert json.loads(saved.with_name("model.json").read_text())["model"] == "stan"


def test_card_that_json_cannot_store_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="JSON"):
        save_checkpoint(tiny_model(), tmp_path / "model", {"weights": torch.zeros(1)})


@pytest.mark.parametrize("missing", [".json", ".safetensors"])
def test_missing_file(saved, missing):
    saved.with_name("model" + missing).unlink()
    with pytest.raises(CheckpointError, match=f"model{missing}.*does not exist"):
        load_checkpoint(saved)


def test_invalid_json(saved):
    saved.with_name("model.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        load_checkpoint(saved)


def test_json_without_model_keys(saved):
    saved.with_name("model.json").write_text("[1, 2]")
    with pytest.raises(CheckpointError, match="JSON object with the keys"):
        load_checkpoint(saved)


def _edit_json(base, **changes):
    path = base.with_name(base.name + ".json")
    description = json.loads(path.read_text())
    description.update(changes)
    path.write_text(json.dumps(description))


def test_unknown_model_name(saved):
    _edit_json(saved, model="resnet_for_sure")
    with pytest.raises(CheckpointError, match="unknown model 'resnet_for_sure'"):
        load_checkpoint(saved)


def test_config_that_cannot_build(saved):
    _edit_json(saved, num_classes=0)
    with pytest.raises(CheckpointError, match="cannot be built"):
        load_checkpoint(saved)


def test_weights_with_wrong_shapes(saved):
    _edit_json(saved, num_classes=NUM_CLASSES + 1)
    with pytest.raises(CheckpointError, match="do not match.*instead of"):
        load_checkpoint(saved)


def test_weights_with_wrong_keys(saved):
    weights = f"{saved}.safetensors"
    state = load_file(weights)
    state["surprise"] = torch.zeros(1)
    del state["classifier.bias"]
    save_file(state, weights)
    with pytest.raises(CheckpointError, match="missing classifier.bias.*unexpected surprise"):
        load_checkpoint(saved)


@pytest.mark.parametrize("corruption", ["garbage", "empty", "truncated"])
def test_corrupt_weights(saved, corruption):
    weights = saved.with_name("model.safetensors")
    content = weights.read_bytes()
    weights.write_bytes(
        {"garbage": b"\x93NUMPY not weights at all" * 8, "empty": b"", "truncated": content[:-40]}[corruption]
    )
    with pytest.raises(CheckpointError, match="corrupt or not a safetensors file"):
        load_checkpoint(saved)


def test_list_checkpoints_finds_pairs_recursively(tmp_path):
    save_checkpoint(tiny_model(), tmp_path / "ave" / "stan", {})
    save_checkpoint(tiny_model("stan_audio"), tmp_path / "llp" / "deep" / "audio", {})
    (tmp_path / "orphan.json").write_text("{}")  # no weights beside it
    (tmp_path / "encoders").mkdir()
    (tmp_path / "encoders" / "compact.json").write_text('{"encoder": "compact"}')  # not a model
    (tmp_path / "encoders" / "compact.safetensors").write_bytes(b"")
    assert list_checkpoints(tmp_path) == [tmp_path / "ave" / "stan", tmp_path / "llp" / "deep" / "audio"]
    assert list_checkpoints(tmp_path / "nowhere") == []
