"""Every registered model: shapes, ranges, presence of each explanation piece, gradients, learning, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from perturbation_reference import assert_perturbed_logits_match_forwards

from explorer.models import (
    create_model,
    list_models,
    list_presets,
    load_checkpoint,
    model_label,
    model_spec,
    read_checkpoint_description,
    save_checkpoint,
    table_models,
)

# What each model returns beyond the pieces its registration declares (model_spec(name).explains), so a head or a
# relevance that appears or vanishes is a caught regression: (aux heads, audio relevance, visual relevance)
HEADS_AND_RELEVANCE = {
    "audio_baseline": (set(), False, False),
    "visual_baseline": (set(), False, False),
    "cam": (set(), False, False),
    "abn": ({"attention_branch"}, False, True),
    "av_cam": (set(), False, False),
    "av_abn": ({"attention_branch"}, True, True),
    "relationship": (set(), False, True),
    "average_ensemble": ({"audio", "visual"}, False, False),
    "film": (set(), False, False),
    "attention_fusion": (set(), False, False),
    "stan": ({"cam", "cav"}, True, True),
    "stan_visual": ({"cam", "cav"}, False, True),
    "stan_audio": ({"cav"}, True, False),
}
MODELS = list_models()
ATTENTIVE = [name for name in MODELS if model_spec(name).explains & {"space_attention", "time_attention"}]


def presence(name: str) -> tuple:
    """(space_attention, time_attention, cam, cav, aux heads, audio relevance, visual relevance)."""
    explains = model_spec(name).explains
    pieces = tuple(piece in explains for piece in ("space_attention", "time_attention", "cam", "cav"))
    return (*pieces, *HEADS_AND_RELEVANCE[name])


NUM_CLASSES = 3


def features(n: int, t: int, h: int, w: int, audio_dim: int, visual_dim: int, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n, t, audio_dim, generator=generator), torch.randn(n, t, h, w, visual_dim, generator=generator)


def in_unit_interval(x: torch.Tensor) -> bool:
    return bool(((x >= 0) & (x <= 1)).all())


def test_every_model_has_a_presence_row():
    assert set(MODELS) == set(HEADS_AND_RELEVANCE)
    assert len(MODELS) == 13


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("t", [4, 10, 30])
@pytest.mark.parametrize("h, w, audio_dim, visual_dim", [(7, 7, 128, 512), (4, 5, 32, 64)])
def test_output_shapes_ranges_and_presence(name, t, h, w, audio_dim, visual_dim):
    torch.manual_seed(0)
    model = create_model(name, NUM_CLASSES, audio_dim, visual_dim)
    n, k = 2, NUM_CLASSES
    with torch.no_grad():
        result = model(*features(n, t, h, w, audio_dim, visual_dim))
    has_space, has_time, has_cam, has_cav, heads, audio_relevant, visual_relevant = presence(name)

    assert result.logits.shape == result.probs.shape == (n, k)
    assert in_unit_interval(result.probs)
    assert torch.allclose(result.probs, torch.sigmoid(result.logits), atol=1e-5)
    assert (result.space_attention is not None) == has_space
    assert (result.time_attention is not None) == has_time
    assert (result.cam is not None) == has_cam
    assert (result.cav is not None) == has_cav
    assert set(result.aux_logits) == heads
    if has_space:
        assert result.space_attention.shape == (n, t, h, w) and in_unit_interval(result.space_attention)
    if has_time:
        assert result.time_attention.shape == (n, t) and in_unit_interval(result.time_attention)
    if has_cam:
        assert result.cam.shape == (n, t, h, w, k)
    if has_cav:
        assert result.cav.shape == (n, t, k)
    assert all(logits.shape == (n, k) for logits in result.aux_logits.values())

    audio_relevance, visual_relevance = model.relevance(result)
    assert (audio_relevance is not None) == audio_relevant
    assert (visual_relevance is not None) == visual_relevant
    if audio_relevant:
        assert audio_relevance.shape == (n, t) and in_unit_interval(audio_relevance)
    if visual_relevant:
        assert visual_relevance.shape == (n, t, h, w) and in_unit_interval(visual_relevance)


def test_relationship_attention_peaks_at_one_per_frame():
    torch.manual_seed(0)
    model = create_model("relationship", NUM_CLASSES, 8, 8, hidden=8)
    attention = model(*features(2, 3, 4, 4, 8, 8)).space_attention
    assert torch.allclose(attention.amax(dim=(2, 3)), torch.ones(2, 3))


@pytest.mark.parametrize("name", MODELS)
def test_gradients_reach_every_parameter(name):
    torch.manual_seed(0)
    model = create_model(name, NUM_CLASSES, 8, 12, hidden=16)
    audio, visual = features(4, 5, 3, 4, 8, 12)
    targets = (torch.rand(4, NUM_CLASSES) > 0.5).float()
    model.loss(model(audio, visual), targets).backward()
    for param_name, param in model.named_parameters():
        assert param.grad is not None, f"{name}.{param_name} gets no gradient"
        assert param.grad.abs().sum() > 0, f"{name}.{param_name} has an all-zero gradient"


def learnable_problem(n: int = 32, t: int = 4, h: int = 3, w: int = 3, dim: int = 8):
    """Multi-hot labels written into both modalities, so unimodal and multimodal models can all learn them."""
    generator = torch.Generator().manual_seed(1)
    labels = (torch.rand(n, NUM_CLASSES, generator=generator) > 0.5).float()
    audio_patterns = torch.randn(NUM_CLASSES, dim, generator=generator)
    visual_patterns = torch.randn(NUM_CLASSES, dim, generator=generator)
    noise = 0.3
    audio = (labels @ audio_patterns)[:, None, :] + noise * torch.randn(n, t, dim, generator=generator)
    visual_noise = noise * torch.randn(n, t, h, w, dim, generator=generator)
    visual = (labels @ visual_patterns)[:, None, None, None, :] + visual_noise
    return audio, visual, labels


@pytest.mark.parametrize("name", MODELS)
def test_a_short_training_run_lowers_the_loss(name):
    torch.manual_seed(0)
    audio, visual, labels = learnable_problem()
    model = create_model(name, NUM_CLASSES, audio.shape[-1], visual.shape[-1], hidden=16)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    with torch.no_grad():
        initial = model.loss(model(audio, visual), labels).item()
    for _ in range(30):
        optimizer.zero_grad()
        model.loss(model(audio, visual), labels).backward()
        optimizer.step()
    with torch.no_grad():
        result = model(audio, visual)
    final = model.loss(result, labels).item()
    accuracy = ((result.probs > 0.5).float() == labels).float().mean().item()
    assert final < 0.5 * initial, f"{name}: loss {initial:.3f} → {final:.3f}"
    assert accuracy >= 0.9, f"{name}: label accuracy {accuracy:.2f} after training"


@pytest.mark.parametrize("name, terms", [("stan", {"bce", "bce_cam", "bce_cav"}), ("stan_audio", {"bce", "bce_cav"})])
def test_stan_loss_terms(name, terms):
    torch.manual_seed(0)
    model = create_model(name, NUM_CLASSES, 8, 8, hidden=8)
    result = model(*features(2, 3, 2, 2, 8, 8))
    targets = torch.tensor([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    loss_terms = model.loss_terms(result, targets)
    assert set(loss_terms) == terms
    assert torch.allclose(sum(loss_terms.values()), model.loss(result, targets))


@pytest.mark.parametrize("name", ATTENTIVE)
def test_holding_attention_fixed(name):
    torch.manual_seed(0)
    model = create_model(name, NUM_CLASSES, 8, 8, hidden=8)
    audio, visual = features(2, 4, 3, 3, 8, 8, seed=0)
    other_audio, other_visual = features(2, 4, 3, 3, 8, 8, seed=1)
    with torch.no_grad():
        held = model(audio, visual)
        free = model(other_audio, other_visual)
        fixed = model(other_audio, other_visual, attention=held)
        refixed = model(other_audio, other_visual, attention=free)
    for piece in ("space_attention", "time_attention"):
        if getattr(held, piece) is not None:
            assert torch.allclose(getattr(fixed, piece), getattr(held, piece), atol=1e-6), piece
            assert not torch.allclose(getattr(free, piece), getattr(held, piece)), piece
    assert not torch.allclose(fixed.probs, free.probs)
    # Holding a forward's own attention reproduces that forward.
    assert torch.allclose(refixed.probs, free.probs, atol=1e-6)


@pytest.mark.parametrize("name", MODELS)
def test_bad_inputs_are_named_clearly(name):
    model = create_model(name, NUM_CLASSES, 8, 6, hidden=4)
    audio, visual = features(2, 3, 2, 2, 8, 6)
    with pytest.raises(TypeError, match="must be torch tensors, got ndarray"):
        model(audio.numpy(), visual)
    with pytest.raises(TypeError, match="must be torch tensors"):
        model(audio, np.asarray(visual))
    with pytest.raises(ValueError, match=r"audio features must be N×T×8, got \(2, 8\)"):
        model(audio[:, 0], visual)
    with pytest.raises(ValueError, match=r"audio features must be N×T×8, got \(2, 3, 7\)"):
        model(audio[..., :7], visual)
    with pytest.raises(ValueError, match=r"visual features must be N×T×H×W×6, got \(2, 3, 2, 6\)"):
        model(audio, visual[:, :, 0])
    with pytest.raises(ValueError, match=r"visual features must be N×T×H×W×6, got \(2, 3, 2, 2, 5\)"):
        model(audio, visual[..., :5])
    with pytest.raises(ValueError, match="disagree on N×T"):
        model(audio[:, :2], visual)
    with pytest.raises(ValueError, match="disagree on N×T"):
        model(audio[:1], visual)


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ValueError, match="unknown model 'stn'") as error:
        create_model("stn", NUM_CLASSES, 8, 8)
    assert all(name in str(error.value) for name in MODELS)


@pytest.mark.parametrize("name", ["stan", "stan_audio", "stan_visual", "abn", "av_abn", "relationship"])
def test_perturbed_logits_equal_a_forward_per_sigma(name):
    """A model's perturbed_logits (STAN overrides it with a factored computation) equals one forward per σ."""
    torch.manual_seed(0)
    model = create_model(name, 5, 12, 6, hidden=8).eval()
    audio, visual = torch.randn(3, 4, 12), torch.randn(3, 4, 3, 2, 6).relu()
    audio_noise, visual_noise = torch.randn_like(audio), torch.randn_like(visual)
    sigmas = torch.tensor([0.0, 0.3, 1.0])
    assert_perturbed_logits_match_forwards(model, audio, visual, audio_noise, visual_noise, sigmas)
    assert_perturbed_logits_match_forwards(model, audio, visual, None, visual_noise, sigmas[1:])


def test_the_registry_holds_each_models_facts():
    assert table_models("ablations") == ("audio_baseline", "stan_audio", "visual_baseline", "stan_visual", "stan")
    assert table_models("comparison")[-1] == "stan" and len(table_models("comparison")) == 9
    assert model_label("av_abn") == "AV-ABN" and model_label("mine") == "mine"
    assert model_label("stan") == "STAN (audio-visual)"
    assert model_label("stan", preset="stan.mean_pooling") == "STAN (mean pooling)"
    assert list_presets() == ["stan.mean_pooling"]


def test_a_preset_builds_its_architecture_and_the_checkpoint_keeps_it(tmp_path):
    model = create_model("stan.mean_pooling", NUM_CLASSES, 8, 6, hidden=4)
    assert model.name == "stan" and model.preset == "stan.mean_pooling" and model.config["pooling"] == "mean"
    assert create_model("stan.mean_pooling", NUM_CLASSES, 8, 6, pooling="normalized").config["pooling"] == "normalized"
    assert "preset" not in create_model("stan", NUM_CLASSES, 8, 6).describe()
    loaded = load_checkpoint(save_checkpoint(model, tmp_path / "m", card={}))
    assert (
        loaded.preset == "stan.mean_pooling" and read_checkpoint_description(tmp_path / "m")["preset"] == loaded.preset
    )
    with pytest.raises(ValueError, match="unknown preset 'stan.nope'"):
        create_model("stan.nope", NUM_CLASSES, 8, 6)
