"""STAN's ``pooling`` options: each equals Eq. 6 with its own normaliser computed by hand on a materialised x^st,
its attention is in the documented canonical scale, and the perturbation test's fast path matches the forward."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from perturbation_reference import assert_perturbed_logits_match_forwards

from explorer.errors import CheckpointError
from explorer.models import create_model, load_checkpoint, save_checkpoint
from explorer.models.base import with_global_audio
from explorer.models.stan import POOLINGS

VARIANTS = [(name, pooling) for name in ("stan", "stan_visual", "stan_audio") for pooling in POOLINGS]


def small_model(name: str, pooling: str):
    torch.manual_seed(0)
    return create_model(name, 4, 6, 5, hidden=8, pooling=pooling).eval()


def small_inputs(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(2, 4, 6, generator=generator), torch.randn(2, 4, 3, 2, 5, generator=generator).relu()


def literal_visual_map(model, visual):
    """v̂ (N×T×H×W×D): F^st_conv applied as the 2-D convolution it is."""
    maps = model.visual_space(visual.permute(0, 1, 4, 2, 3).flatten(0, 1))
    return maps.unflatten(0, visual.shape[:2]).permute(0, 1, 3, 4, 2)


def reference_logits(model, audio, visual, space, time):
    """Eq. 6 literally: x^st tiled over H×W, multiplied by A^st, summed, divided by the pooling's normaliser."""
    halves = []
    if model.uses_visual:
        halves.append(literal_visual_map(model, visual))
    if model.uses_audio:
        audio_vectors = model.audio_space(with_global_audio(audio))
        halves.append(
            audio_vectors[:, :, None, None, :].expand(*visual.shape[:4], -1) if model.uses_visual else audio_vectors
        )
    x_st = torch.cat(halves, dim=-1)
    if model.pooling == "factored":
        time = time / time.sum(1, keepdim=True)
        space = None if space is None else space / space.sum((2, 3), keepdim=True)
    weights = time if space is None else space * time[:, :, None, None]
    summed = (weights[..., None] * x_st).flatten(1, -2).sum(1)
    if model.pooling == "mean":
        return model.classifier(summed / weights[0].numel())
    if model.pooling == "normalized":
        return model.classifier(summed / weights.flatten(1).sum(1, keepdim=True))
    return model.classifier(summed)


@pytest.mark.parametrize("name, pooling", VARIANTS)
def test_logits_equal_eq6_with_the_pooling_normaliser(name, pooling):
    model = small_model(name, pooling)
    audio, visual = small_inputs()
    with torch.no_grad():
        result = model(audio, visual)
        expected = reference_logits(model, audio, visual, result.space_attention, result.time_attention)
    torch.testing.assert_close(result.logits, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, pooling", VARIANTS)
def test_attention_scale(name, pooling):
    """Mean pooling reports the sigmoid; normalised pooling its canonical scale, peak 1 per normalised group."""
    model = small_model(name, pooling)
    audio, visual = small_inputs()
    with torch.no_grad():
        result = model(audio, visual)
        cav_gate = model.time_gate(result.cav).squeeze(-1)
    time, space = result.time_attention, result.space_attention
    assert ((time > 0) & (time <= 1)).all() and (space is None or ((space > 0) & (space <= 1)).all())
    if pooling == "mean":
        torch.testing.assert_close(time, torch.sigmoid(cav_gate))
        return
    torch.testing.assert_close(time.amax(1), torch.ones(2))
    torch.testing.assert_close(time, torch.sigmoid(cav_gate) / torch.sigmoid(cav_gate).amax(1, keepdim=True))
    if space is not None:
        peaks = space.amax((2, 3)) if pooling == "factored" else space.amax((1, 2, 3))
        torch.testing.assert_close(peaks, torch.ones_like(peaks))


@pytest.mark.parametrize(
    "pooling, scale",
    [("normalized", lambda shape: 0.3), ("factored", lambda shape: torch.rand(shape[:2])[:, :, None, None] + 0.1)],
)
def test_normalised_pooling_ignores_the_attention_scale(pooling, scale):
    """Rescaling the attention over its normalised axes leaves the logits unchanged; with mean pooling it does not."""
    audio, visual = small_inputs()
    for variant in (pooling, "mean"):
        model = small_model("stan", variant)
        with torch.no_grad():
            clean = model(audio, visual)
            space = clean.space_attention * scale(clean.space_attention.shape)
            rescaled = model(
                audio, visual, attention=type(clean)(clean.logits, clean.probs, space, clean.time_attention * 0.5)
            )
        assert torch.allclose(rescaled.logits, clean.logits, atol=1e-5) == (variant != "mean")


@pytest.mark.parametrize("name, pooling", VARIANTS)
def test_perturbed_logits_equal_a_forward_per_sigma(name, pooling):
    model = small_model(name, pooling)
    audio, visual = small_inputs()
    audio_noise, visual_noise = small_inputs(seed=1)
    sigmas = torch.tensor([0.0, 0.5, 1.0])
    clean = assert_perturbed_logits_match_forwards(model, audio, visual, audio_noise, visual_noise, sigmas)
    with torch.no_grad():
        torch.testing.assert_close(model(audio, visual, attention=clean).logits, clean.logits)


def test_far_below_peak_attention_stays_finite():
    """A gate logit of -200 underflows a float32 sigmoid; its canonical scale must still be a number."""
    model = small_model("stan_audio", "normalized")
    with torch.no_grad():
        attention = model._attention(F.logsigmoid(torch.tensor([[-200.0, -300.0, 0.0]])), dims=(1,))
    assert torch.isfinite(attention).all() and attention[0, 2] == 1


def test_unknown_pooling_is_named(tmp_path):
    with pytest.raises(ValueError, match="pooling must be one of mean, normalized, factored, got 'max'"):
        create_model("stan", 4, 6, 5, pooling="max")
    model = small_model("stan", "factored")
    save_checkpoint(model, tmp_path / "stan", {})
    assert load_checkpoint(tmp_path / "stan").pooling == "factored"
    description = (tmp_path / "stan.json").read_text().replace('"factored"', '"max"')
    (tmp_path / "stan.json").write_text(description)
    with pytest.raises(CheckpointError, match="cannot be built: pooling must be one of"):
        load_checkpoint(tmp_path / "stan")


# -- time_gating="agreement" ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("pooling", POOLINGS)
def test_agreement_gate_is_the_peak_class_product_of_the_cav_halves(pooling):
    torch.manual_seed(0)
    model = create_model("stan", 4, 6, 5, hidden=8, pooling=pooling, time_gating="agreement").eval()
    audio, visual = small_inputs()
    with torch.no_grad():
        result = model(audio, visual)
        weight, half_bias = model.cav_head.weight, model.cav_head.bias / 2
        heard = torch.sigmoid(model.audio_time(with_global_audio(audio)) @ weight.T + half_bias)
        seen = torch.sigmoid(model.visual_time(visual.mean(dim=(2, 3))) @ weight.T + half_bias)
        expected = (heard * seen).amax(dim=-1)  # a second counts as much as its best class is heard and seen
        if pooling != "mean":
            expected = expected / expected.amax(dim=1, keepdim=True)
        torch.testing.assert_close(result.time_attention, expected)
        torch.testing.assert_close(result.cav, torch.logit(heard) + torch.logit(seen), atol=1e-4, rtol=1e-4)
    assert not hasattr(model, "time_gate")  # the paper's MLP gate is not built, so no weight sits unused
    audio_noise, visual_noise = small_inputs(seed=1)
    assert_perturbed_logits_match_forwards(model, audio, visual, audio_noise, visual_noise, torch.tensor([0.0, 1.0]))


def test_agreement_gate_survives_a_checkpoint_and_needs_both_senses(tmp_path):
    torch.manual_seed(0)
    model = create_model("stan", 4, 6, 5, hidden=8, pooling="normalized", time_gating="agreement").eval()
    save_checkpoint(model, tmp_path / "stan", {})
    loaded = load_checkpoint(tmp_path / "stan")
    audio, visual = small_inputs()
    with torch.no_grad():
        torch.testing.assert_close(loaded(audio, visual).time_attention, model(audio, visual).time_attention)
    for ablation in ("stan_audio", "stan_visual"):
        with pytest.raises(ValueError, match="needs both senses"):
            create_model(ablation, 4, 6, 5, hidden=8, time_gating="agreement")
    with pytest.raises(ValueError, match="time_gating must be one of mlp, agreement"):
        create_model("stan", 4, 6, 5, time_gating="softmax")


# -- space_gating="agreement" ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("pooling", POOLINGS)
def test_space_agreement_gate_is_the_peak_class_product_of_the_cam_halves(pooling):
    torch.manual_seed(0)
    model = create_model("stan", 4, 6, 5, hidden=8, pooling=pooling, space_gating="agreement").eval()
    audio, visual = small_inputs()
    with torch.no_grad():
        result = model(audio, visual)
        d = model.visual_space[0].out_channels
        weight, half_bias = model.cam_head.weight.flatten(1), model.cam_head.bias / 2
        visual_map = literal_visual_map(model, visual)
        audio_vectors = model.audio_space(with_global_audio(audio))  # N×T×D
        seen = torch.sigmoid(visual_map @ weight[:, :d].T + half_bias)
        heard = torch.sigmoid(audio_vectors @ weight[:, d:].T + half_bias)[:, :, None, None, :]
        expected = (seen * heard).amax(dim=-1)  # a location counts as much as its best class is seen and heard
        if pooling != "mean":
            dims = (2, 3) if pooling == "factored" else (1, 2, 3)
            expected = expected / expected.amax(dim=dims, keepdim=True)
        torch.testing.assert_close(result.space_attention, expected)
        torch.testing.assert_close(result.cam, torch.logit(seen) + torch.logit(heard), atol=1e-4, rtol=1e-4)
    assert not hasattr(model, "space_gate")  # the paper's conv gate is not built
    audio_noise, visual_noise = small_inputs(seed=1)
    assert_perturbed_logits_match_forwards(model, audio, visual, audio_noise, visual_noise, torch.tensor([0.0, 1.0]))


def test_space_agreement_gate_leaves_the_cam_as_it_was_and_survives_a_checkpoint(tmp_path):
    """Splitting F_CAM into halves changes no number of the conv-gated model's CAM; the option is saved and refused
    where a sense is missing."""
    torch.manual_seed(0)
    conv = create_model("stan", 4, 6, 5, hidden=8, pooling="normalized").eval()
    torch.manual_seed(0)
    model = create_model("stan", 4, 6, 5, hidden=8, pooling="normalized", space_gating="agreement").eval()
    model.load_state_dict(conv.state_dict(), strict=False)  # the same weights, less the conv gate
    audio, visual = small_inputs()
    with torch.no_grad():
        torch.testing.assert_close(model(audio, visual).cam, conv(audio, visual).cam)
    save_checkpoint(model, tmp_path / "stan", {})
    with torch.no_grad():
        loaded = load_checkpoint(tmp_path / "stan")(audio, visual).space_attention
        torch.testing.assert_close(loaded, model(audio, visual).space_attention)
    for ablation in ("stan_audio", "stan_visual"):
        with pytest.raises(ValueError, match="needs both senses"):
            create_model(ablation, 4, 6, 5, hidden=8, space_gating="agreement")
    with pytest.raises(ValueError, match="space_gating must be one of conv, agreement"):
        create_model("stan", 4, 6, 5, space_gating="softmax")


# -- aux_pooling, audio_context, space_sharpness ---------------------------------------------------------------------
def test_attention_aux_pooling_weights_the_class_maps_with_the_attention():
    torch.manual_seed(0)
    model = create_model("stan", 4, 6, 5, hidden=8, pooling="normalized", aux_pooling="attention").eval()
    audio, visual = small_inputs()
    with torch.no_grad():
        result = model(audio, visual)
    weights = result.space_attention * result.time_attention[:, :, None, None]  # A^s·A^t
    expected_cam = (result.cam * weights[..., None]).sum((1, 2, 3)) / weights.sum((1, 2, 3))[..., None]
    expected_cav = (result.cav * result.time_attention[..., None]).sum(1) / result.time_attention.sum(1)[..., None]
    torch.testing.assert_close(result.aux_logits["cam"], expected_cam)
    torch.testing.assert_close(result.aux_logits["cav"], expected_cav)
    torch.manual_seed(0)
    paper = create_model("stan", 4, 6, 5, hidden=8, pooling="normalized").eval()
    with torch.no_grad():
        paper_result = paper(audio, visual)
    torch.testing.assert_close(paper_result.aux_logits["cam"], paper_result.cam.mean((1, 2, 3)))  # Eq. 8 as is
    torch.testing.assert_close(paper_result.aux_logits["cav"], paper_result.cav.mean(1))


def test_without_audio_context_no_second_reads_another_seconds_sound():
    """``audio_context="none"``: noise on one second's audio changes the other seconds' audio vectors not at all
    (with the paper's [a_t, ā] it moves them all through ā)."""
    audio, visual = small_inputs()
    noisy = audio.clone()
    noisy[:, 0] += 3.0
    for context, untouched in (("none", True), ("mean", False)):
        torch.manual_seed(0)
        model = create_model("stan", 4, 6, 5, hidden=8, pooling="normalized", audio_context=context).eval()
        with torch.no_grad():
            clean, moved = (model._audio_post(model._audio_pre(a)) for a in (audio, noisy))
        assert torch.allclose(clean[:, 1:], moved[:, 1:]) is untouched, context
        assert model.audio_space[0].in_features == (6 if context == "none" else 12)
    audio_noise, visual_noise = small_inputs(seed=1)
    assert_perturbed_logits_match_forwards(model, audio, visual, audio_noise, visual_noise, torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("gating", ("agreement", "paper"))
def test_sharpness_raises_each_attention_to_its_power(pooling, gating):
    audio, visual = small_inputs()
    gates = {"space_gating": "agreement", "time_gating": "agreement"} if gating == "agreement" else {}
    results = {}
    for space, time in ((1.0, 1.0), (2.0, 1.0), (1.0, 3.0)):
        torch.manual_seed(0)
        model = create_model(
            "stan", 4, 6, 5, hidden=8, pooling=pooling, space_sharpness=space, time_sharpness=time, **gates
        ).eval()
        with torch.no_grad():
            results[space, time] = model(audio, visual)
        assert_perturbed_logits_match_forwards(model, audio, visual, *small_inputs(seed=1), torch.tensor([0.0, 1.0]))
    plain = results[1.0, 1.0]
    torch.testing.assert_close(results[2.0, 1.0].space_attention, plain.space_attention**2)
    torch.testing.assert_close(results[2.0, 1.0].time_attention, plain.time_attention)  # each gate on its own
    torch.testing.assert_close(results[1.0, 3.0].time_attention, plain.time_attention**3)
    torch.testing.assert_close(results[1.0, 3.0].space_attention, plain.space_attention)
    for name in ("space_sharpness", "time_sharpness"):
        with pytest.raises(ValueError, match=f"{name} must be positive"):
            create_model("stan", 4, 6, 5, **{name: 0})
    with pytest.raises(ValueError, match="aux_pooling must be one of mean, attention"):
        create_model("stan", 4, 6, 5, aux_pooling="max")
    with pytest.raises(ValueError, match="audio_context must be one of mean, none"):
        create_model("stan", 4, 6, 5, audio_context="attention")


AGREEMENT_GATES = {"space_gating": "agreement", "time_gating": "agreement"}


def shaped_results(pooling: str, option: str, settings: list[tuple[float, float]]):
    """The forward of a small agreement-gated STAN for each (space, time) value of ``space_<option>`` and
    ``time_<option>``, the same weights throughout; each model's perturbation fast path is checked against its
    forward."""
    audio, visual = small_inputs()
    results = {}
    for space, time in settings:
        torch.manual_seed(0)
        options = {f"space_{option}": space, f"time_{option}": time}
        model = create_model("stan", 4, 6, 5, hidden=8, pooling=pooling, **options, **AGREEMENT_GATES).eval()
        with torch.no_grad():
            results[space, time] = model(audio, visual)
        assert_perturbed_logits_match_forwards(model, audio, visual, *small_inputs(seed=1), torch.tensor([0.0, 1.0]))
    return results


@pytest.mark.parametrize("pooling", ("normalized", "factored"))
def test_a_floor_cuts_the_attention_under_it_to_zero_weight(pooling):
    """(A − τ)₊ / (1 − τ) of the canonical attention: the peak stays 1, nothing under τ is left, and noise on the
    locations cut to 0 cannot move the prediction (the perturbation test's fast path still matches the forward)."""
    audio, visual = small_inputs()
    results = shaped_results(pooling, "floor", [(0.0, 0.0), (0.95, 0.0), (0.0, 0.97)])
    plain, space_cut, time_cut = results[0.0, 0.0], results[0.95, 0.0], results[0.0, 0.97]
    torch.testing.assert_close(space_cut.space_attention, ((plain.space_attention - 0.95) / 0.05).clamp(min=0))
    torch.testing.assert_close(space_cut.time_attention, plain.time_attention)
    torch.testing.assert_close(time_cut.time_attention, ((plain.time_attention - 0.97) / 0.03).clamp(min=0))
    for cut in (space_cut.space_attention, time_cut.time_attention):  # the floors cut some, not all
        assert (cut == 0).any() and (cut > 0).any()
    assert not (plain.space_attention == 0).any()

    torch.manual_seed(0)
    model = create_model("stan", 4, 6, 5, hidden=8, pooling=pooling, space_floor=0.95, **AGREEMENT_GATES).eval()
    cut = (space_cut.space_attention == 0)[..., None]
    noisy = visual + 5.0 * torch.randn(visual.shape, generator=torch.Generator().manual_seed(2)) * cut
    with torch.no_grad():
        torch.testing.assert_close(model(audio, noisy, attention=space_cut).logits, space_cut.logits)
        moved = model(audio, visual + 5.0 * (~cut), attention=space_cut).logits
    assert not torch.allclose(moved, space_cut.logits)


@pytest.mark.parametrize("pooling", ("normalized", "factored"))
def test_contrast_keeps_half_the_peak_and_pushes_the_rest_away_from_it(pooling):
    """A^c / (A^c + (1 − A)^c): each gate on its own, the peak stays 1, and the fast path still matches the forward."""
    results = shaped_results(pooling, "contrast", [(1.0, 1.0), (3.0, 1.0), (1.0, 2.0)])

    def contrasted(attention, c):
        return attention**c / (attention**c + (1 - attention) ** c)

    plain = results[1.0, 1.0]
    torch.testing.assert_close(results[3.0, 1.0].space_attention, contrasted(plain.space_attention, 3.0))
    torch.testing.assert_close(results[3.0, 1.0].time_attention, plain.time_attention)
    torch.testing.assert_close(results[1.0, 2.0].time_attention, contrasted(plain.time_attention, 2.0))
    torch.testing.assert_close(results[1.0, 2.0].space_attention, plain.space_attention)
    half = torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0])
    torch.testing.assert_close(contrasted(half, 3.0), torch.tensor([0.0, 1 / 28, 0.5, 27 / 28, 1.0]))


@pytest.mark.parametrize(
    "option, out_of_range, message, shaping",
    [("floor", 1.0, "must be in \\[0, 1\\)", 0.1), ("contrast", 0.5, "must be at least 1", 2.0)],
)
def test_floor_and_contrast_check_their_range_and_need_a_normalised_pooling(option, out_of_range, message, shaping):
    for name in (f"space_{option}", f"time_{option}"):
        with pytest.raises(ValueError, match=f"{name} {message}"):
            create_model("stan", 4, 6, 5, pooling="normalized", **{name: out_of_range})
        with pytest.raises(ValueError, match=f"{name} needs a normalised pooling"):
            create_model("stan", 4, 6, 5, pooling="mean", **{name: shaping})
