"""The familiarity check: a clip far from a model's training clips is flagged, one like them mostly is not, and the
stored reference loads back, matches only its own encoder and fails in one sentence when damaged."""

from __future__ import annotations

import json
import types

import pytest
import torch
from safetensors.torch import load_file, save_file

from explorer.errors import CheckpointError, InvalidInputError
from explorer.explain.familiarity import (
    QUANTILE,
    REFERENCE_NAME,
    FeatureReference,
    encoder_identity,
    load_reference,
    reference_for,
)

ENCODER = {"name": "pair", "weights": "/some/checkout/w.pth", "parts": [{"name": "a", "weights": "/x", "sha": "1"}]}


def features(clips: int, generator: torch.Generator, shift: float = 0.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips of 4 seconds, 6-d audio and a 2×2 grid of 5-d visual features: a small clip-level offset under seconds
    that differ more (as a demo clip's event and quiet seconds do), all moved by ``shift``."""
    audio = 0.3 * torch.randn(clips, 1, 6, generator=generator) + torch.randn(clips, 4, 6, generator=generator)
    visual = 0.3 * torch.randn(clips, 1, 1, 1, 5, generator=generator) + torch.randn(
        clips, 4, 2, 2, 5, generator=generator
    )
    return audio + shift, visual + shift


@pytest.fixture(scope="module")
def reference() -> FeatureReference:
    generator = torch.Generator().manual_seed(0)
    train, val = features(1000, generator), features(400, generator)
    return FeatureReference.fit(encoder_identity(ENCODER), train, val, "synthetic clips")


def flagged(reference: FeatureReference, clips: tuple[torch.Tensor, torch.Tensor]) -> list[tuple[str, ...]]:
    return [reference.assess(audio, visual).unfamiliar for audio, visual in zip(*clips)]


def test_clips_like_the_training_ones_are_flagged_about_as_often_as_the_quantile_says(reference):
    unseen = flagged(reference, features(1000, torch.Generator().manual_seed(1)))
    for sense in ("audio", "visual"):
        rate = sum(sense in senses for senses in unseen) / len(unseen)
        assert rate <= 4 * (1 - QUANTILE), (sense, rate)  # 1% expected; 400 validation clips set the threshold


def test_short_clips_like_the_training_ones_are_not_flagged_for_being_short(reference):
    """The threshold follows the clip's length: one second of a usual clip is as familiar as all of it."""
    unseen = features(1000, torch.Generator().manual_seed(4))
    for length in (1, 2):
        short = flagged(reference, (unseen[0][:, :length], unseen[1][:, :length]))
        assert sum(bool(senses) for senses in short) / len(short) <= 8 * (1 - QUANTILE), length


def test_clips_from_elsewhere_are_flagged_in_the_sense_that_moved(reference):
    generator = torch.Generator().manual_seed(2)
    audio, visual = features(50, generator, shift=3.0)
    _, usual_visual = features(50, generator)
    assert all(senses == ("audio", "visual") for senses in flagged(reference, (audio, visual)))
    moved_audio_only = flagged(reference, (audio, usual_visual))
    assert sum("audio" in senses for senses in moved_audio_only) == 50
    assert sum("visual" in senses for senses in moved_audio_only) <= 5


def test_the_reference_round_trips_and_matches_its_encoder_wherever_the_checkout_lies(reference, tmp_path):
    reference.save(tmp_path)
    loaded = load_reference(tmp_path)
    clip = features(1, torch.Generator().manual_seed(3))
    assert loaded.assess(clip[0][0], clip[1][0]).distances == pytest.approx(
        reference.assess(clip[0][0], clip[1][0]).distances, rel=1e-5
    )
    moved = {**ENCODER, "weights": "/elsewhere/w.pth", "parts": [{"name": "a", "weights": "/y", "sha": "1"}]}
    model = types.SimpleNamespace(checkpoint_path=tmp_path / "stan", card={"encoder": moved})
    assert reference_for(model) is not None
    model.card = {"encoder": {**moved, "parts": [{"name": "a", "sha": "2"}]}}  # other weights: other features
    assert reference_for(model) is None
    assert reference_for(types.SimpleNamespace(checkpoint_path=tmp_path / "stan", card={})) is None


def test_a_folder_without_a_reference_has_none(tmp_path):
    assert load_reference(tmp_path) is None


@pytest.mark.parametrize("damage", ["truncated weights", "json without thresholds", "wrong shapes"])
def test_a_damaged_reference_is_one_sentence(reference, tmp_path, damage):
    reference.save(tmp_path)
    weights, description = tmp_path / f"{REFERENCE_NAME}.safetensors", tmp_path / f"{REFERENCE_NAME}.json"
    if damage == "truncated weights":
        weights.write_bytes(weights.read_bytes()[:100])
    elif damage == "json without thresholds":
        data = json.loads(description.read_text())
        del data["thresholds"]
        description.write_text(json.dumps(data))
    else:  # a precision matrix that does not fit its mean
        state = load_file(str(weights))
        state["audio.precision"] = torch.zeros(3, 3)
        save_file(state, str(weights))
    with pytest.raises(CheckpointError) as error:
        load_reference(tmp_path)
    assert "\n" not in str(error.value) and REFERENCE_NAME in str(error.value)


def test_features_that_do_not_fit_are_one_sentence(reference):
    with pytest.raises(InvalidInputError, match="do not fit a reference"):
        reference.assess(torch.zeros(4, 7), torch.zeros(4, 2, 2, 5))
    with pytest.raises(InvalidInputError, match="same clips and seconds"):
        reference.assess(torch.zeros(4, 6), torch.zeros(3, 2, 2, 5))
