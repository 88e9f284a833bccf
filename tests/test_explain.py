"""Perturbation tests, pointing games, upsampling and overlays (explorer.explain)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from perturbation_reference import reference_perturbation_tvd
from torch import Tensor, nn

from explorer.errors import ExplorerError
from explorer.explain import (
    COLORMAPS,
    InvalidInputError,
    masked_noise,
    overlay_on_image,
    perturbation_curves,
    perturbation_test,
    perturbation_tvd,
    pointing_game,
    spatial_pointing_details,
    spatial_pointing_game,
    upsample_space,
    upsample_time,
)
from explorer.explain.masked_noise import MaskedNoise
from explorer.models import AVModel, Explanation, create_model

LEVELS = [0.0, 0.1, 0.5, 1.0]


class FixedAttentionModel(AVModel):
    """Fixed attention; the prediction reads only features whose attention is ≥ 0.5."""

    name = "fixed_attention"

    def __init__(self, num_classes: int = 3, audio_dim: int = 4, visual_dim: int = 2):
        super().__init__(num_classes, audio_dim, visual_dim)
        self.classifier = nn.Linear(audio_dim + visual_dim, num_classes)
        self.register_buffer("time_pattern", torch.tensor([0.9, 0.2, 0.7]))
        self.register_buffer("space_pattern", torch.tensor([[0.9, 0.1], [0.3, 0.8]]))

    def explain(self, audio: Tensor, visual: Tensor, attention: Explanation | None) -> Explanation:
        n, t, h, w = visual.shape[:4]
        time_attention = self.time_pattern[:t].expand(n, t)
        space_attention = self.space_pattern[:h, :w].expand(n, t, h, w)
        if attention is not None:
            time_attention, space_attention = attention.time_attention, attention.space_attention
        audio_keep = (time_attention >= 0.5).float()[..., None]
        visual_keep = (space_attention * time_attention[:, :, None, None] >= 0.5).float()[..., None]
        pooled = torch.cat([(audio * audio_keep).sum(1), (visual * visual_keep).sum((1, 2, 3))], dim=-1)
        logits = self.classifier(pooled)
        return Explanation(logits, torch.sigmoid(logits), space_attention, time_attention)


class NoAttentionModel(FixedAttentionModel):
    name = "no_attention"

    def relevance(self, result: Explanation) -> tuple[None, None]:
        return None, None


def _clips(clip_count: int = 2, audio_dim: int = 4, visual_dim: int = 2, seed: int = 0) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    audio = torch.randn(clip_count, 3, audio_dim, generator=generator)
    visual = torch.randn(clip_count, 3, 2, 2, visual_dim, generator=generator)
    return audio, visual


def _stan_with_mixed_attention() -> AVModel:
    """A tiny STAN whose gates are biased so that some features rate ≥ 0.5 and others < 0.5."""
    torch.manual_seed(0)
    model = create_model("stan", 3, 4, 2, hidden=8)
    with torch.no_grad():
        for gate, bias in ((model.time_gate, 2.0), (model.space_gate, 0.3)):
            last_layer = [layer for layer in gate.modules() if isinstance(layer, (nn.Linear, nn.Conv2d))][-1]
            last_layer.bias.fill_(bias)
    return model


# -- perturbation test ------------------------------------------------------------
def test_stan_has_relevant_and_irrelevant_features():
    model = _stan_with_mixed_attention()
    audio, visual = _clips()
    _, visual_relevance = model.relevance(model(audio, visual))
    relevant_fraction = (visual_relevance >= 0.5).float().mean().item()
    assert 0.0 < relevant_fraction < 1.0  # otherwise the next test would compare zeros


@pytest.mark.parametrize("relevant", [True, False])
@pytest.mark.parametrize("chunk_size", [1, 10, 512])
def test_batched_equals_reference_loop(relevant, chunk_size):
    model = _stan_with_mixed_attention()
    audio, visual = _clips()
    batched = perturbation_tvd(
        model,
        (audio, visual),
        LEVELS,
        draws=12,
        relevant=relevant,
        generator=torch.Generator().manual_seed(7),
        chunk_size=chunk_size,
    )
    reference = reference_perturbation_tvd(model, audio, visual, LEVELS, 12, relevant, torch.Generator().manual_seed(7))
    assert batched.shape == (len(LEVELS), 2)
    assert batched[1:].min() > 1e-4  # the noise does change the prediction
    np.testing.assert_allclose(batched, reference, rtol=1e-4, atol=1e-7)
    assert (batched[0] == 0).all() and (reference[0] == 0).all()


def _with_mixed_attention(name: str, visual_dim: int) -> AVModel:
    """A tiny model (3 classes, audio 4, hidden 8) whose attention rates some features ≥ 0.5 and others < 0.5."""
    if name == "stan":
        torch.manual_seed(0)
        model = create_model("stan", 3, 4, visual_dim, hidden=8)
        with torch.no_grad():
            for gate, bias in ((model.time_gate, 2.0), (model.space_gate, 0.3)):
                last_layer = [layer for layer in gate.modules() if isinstance(layer, (nn.Linear, nn.Conv2d))][-1]
                last_layer.bias.fill_(bias)
        return model
    torch.manual_seed(0)
    model = create_model(name, 3, 4, visual_dim, hidden=8).eval()
    with torch.no_grad():  # ABN: centre its attention gate on the median location of the test clips
        attention = model(*_clips(visual_dim=visual_dim)).space_attention
        model.abn_head.attention_gate.bias -= torch.logit(attention).median()
    return model


@pytest.fixture
def one_thread():
    """Thousands of tiny forwards: on a small shared CPU, OpenMP threads that wait on each other slow them ~10×."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("relevant", [True, False])
@pytest.mark.parametrize("name", ["stan", "abn", "av_abn"])
def test_fast_sampling_agrees_with_the_loop_in_distribution(name, relevant, one_thread):
    """sampling="fast" draws W·η at the 1×1 conv directly (Cholesky: visual 16 channels > hidden 8) and noise only
    where the mask is 1; its mean TVD must be the loop's within 3 standard errors at every level."""
    model = _with_mixed_attention(name, visual_dim=16)
    batch = _clips(visual_dim=16)
    _, visual_relevance = model.relevance(model(*batch))
    assert 0 < (visual_relevance >= 0.5).float().mean() < 1  # both kinds perturb some visual features
    levels, loop_draws, batches, batch_draws = [0.1, 0.5, 1.0], 600, 20, 50
    loop = reference_perturbation_tvd(
        model, *batch, levels, loop_draws, relevant, torch.Generator().manual_seed(0), per_draw=True
    ).mean(axis=2)  # L×draws: the mean over the clips, per draw
    fast = np.stack(
        [
            perturbation_test(
                model, batch, levels, batch_draws, relevant, torch.Generator().manual_seed(seed), sampling="fast"
            )
            for seed in range(batches)
        ]
    )  # batches×L: independent means of batch_draws draws
    loop_error = loop.std(axis=1, ddof=1) / np.sqrt(loop_draws)
    fast_error = fast.std(axis=0, ddof=1) / np.sqrt(batches)
    error = np.sqrt(loop_error**2 + fast_error**2)
    gap = np.abs(fast.mean(axis=0) - loop.mean(axis=1))
    assert (gap <= 3 * error).all(), (gap / error, loop.mean(axis=1), fast.mean(axis=0))
    assert (3 * error < 0.1 * loop.mean(axis=1)).all()  # sharp enough to see a 10% error in the noise's effect


@pytest.mark.parametrize("step_elements", [1 << 19, 300])  # 300: chunks of 2 to 4 of the 7 draws, the last short
@pytest.mark.parametrize("name", ["stan", "stan_audio", "stan_visual", "abn", "av_abn"])
def test_fast_overrides_equal_the_generic_path_draw_for_draw(name, step_elements, monkeypatch):
    """With visual channels ≤ hidden, MaskedNoise.pooled_relu draws W·η as W times the very noise that
    MaskedNoise.dense draws, so a model's override equals the generic forward per σ on the same draws."""
    monkeypatch.setattr(masked_noise, "STEP_ELEMENTS", step_elements)
    torch.manual_seed(0)
    model = create_model(name, 5, 12, 6, hidden=8).eval()
    audio, visual = torch.randn(2, 4, 12), torch.randn(2, 4, 3, 2, 6).relu()
    audio_mask, visual_mask = (torch.rand(2, 4, 1) < 0.6).float(), (torch.rand(2, 4, 3, 2, 1) < 0.5).float()
    sigmas = torch.tensor([0.0, 0.3, 1.0])

    def noises(seed: int) -> tuple[MaskedNoise | None, MaskedNoise | None]:
        generator = torch.Generator().manual_seed(seed)
        return (
            MaskedNoise(audio_mask, 12, 7, generator, chunk_size=64) if model.uses_audio else None,
            MaskedNoise(visual_mask, 6, 7, generator, chunk_size=64) if model.uses_visual else None,
        )

    with torch.no_grad():
        clean = model(audio, visual)
        fast = model.perturbed_logits(audio, visual, clean, *noises(3), sigmas)
        generic = AVModel.perturbed_logits(model, audio, visual, clean, *noises(3), sigmas)
    assert fast.shape == (3, 7 * 2, 5)
    torch.testing.assert_close(fast, generic, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(fast[1], fast[2])  # the noise does change the logits


def test_fast_sampling_is_seeded_and_does_not_depend_on_the_workers():
    model = _with_mixed_attention("stan", visual_dim=16)
    batch = _clips(clip_count=3, visual_dim=16)

    def run(seed: int, workers: int) -> np.ndarray:
        generator = torch.Generator().manual_seed(seed)
        return perturbation_tvd(model, batch, LEVELS, 8, False, generator, sampling="fast", workers=workers)

    first = run(1, 1)
    np.testing.assert_array_equal(first, run(1, 1))
    np.testing.assert_array_equal(first, run(1, 3))
    assert not np.allclose(first, run(2, 1))
    assert first.shape == (len(LEVELS), 3) and (first[0] == 0).all() and first[1:].min() > 0


def test_fast_sampling_of_a_model_without_override():
    """The generic path draws MaskedNoise as tensors: what a model ignores stays unchanged, up to float rounding
    (the clean and the noisy forwards run in batches of other sizes, whose matmuls may round differently: 2e-8 seen
    on one machine, against relevant TVDs above 1e-2)."""
    model = FixedAttentionModel()
    curves = perturbation_curves(
        model, _clips(), LEVELS, draws=50, generator=torch.Generator().manual_seed(0), sampling="fast", chunk_size=8
    )
    np.testing.assert_allclose(curves["irrelevant"], 0, atol=1e-6)
    assert curves["relevant"][1:].min() > 1e-2
    assert curves["relevant"][0] == 0.0 and (np.diff(curves["relevant"]) > 0).all(), curves["relevant"]


def test_other_seed_gives_other_noise():
    model = _stan_with_mixed_attention()
    runs = [
        perturbation_test(model, _clips(), LEVELS, draws=5, generator=torch.Generator().manual_seed(seed))
        for seed in (1, 2)
    ]
    assert not np.allclose(runs[0], runs[1])


def test_model_that_ignores_low_attention_features():
    model = FixedAttentionModel()
    curves = perturbation_curves(model, _clips(), LEVELS, draws=50, generator=torch.Generator().manual_seed(0))
    assert curves["irrelevant"].max() < 1e-6
    relevant = curves["relevant"]
    assert relevant[0] == 0.0
    assert (np.diff(relevant) > 0).all(), relevant


def test_unnormalized_tvd_uses_raw_sigmoids():
    model = FixedAttentionModel()
    kwargs = dict(draws=20, relevant=True)
    normalized = perturbation_test(model, _clips(), [1.0], generator=torch.Generator().manual_seed(0), **kwargs)
    raw = perturbation_test(
        model, _clips(), [1.0], normalize=False, generator=torch.Generator().manual_seed(0), **kwargs
    )
    assert normalized[0] > 0 and raw[0] > 0 and not np.isclose(normalized[0], raw[0])


def test_training_mode_is_restored():
    model = FixedAttentionModel().train()
    perturbation_test(model, _clips(), [0.5], draws=2)
    assert model.training


def test_model_without_attention_is_refused():
    with pytest.raises(InvalidInputError, match="no attention to test"):
        perturbation_test(NoAttentionModel(), _clips(), LEVELS, draws=2)


@pytest.mark.parametrize(
    "batch, levels, draws, message",
    [
        ((torch.zeros(2, 3, 4),), LEVELS, 2, "pair"),
        ((np.zeros((2, 3, 4)), torch.zeros(2, 3, 2, 2, 2)), LEVELS, 2, "float tensors"),
        ((torch.zeros(2, 3, 4), torch.zeros(2, 3, 2, 2)), LEVELS, 2, "N×T×H×W×Dv"),
        ((torch.zeros(2, 3, 4), torch.zeros(1, 3, 2, 2, 2)), LEVELS, 2, "N×T×H×W×Dv"),
        ((torch.zeros(2, 3, 5), torch.zeros(2, 3, 2, 2, 2)), LEVELS, 2, r"audio features must be N×T×4"),
        ((torch.full((2, 3, 4), float("nan")), torch.zeros(2, 3, 2, 2, 2)), LEVELS, 2, "NaN"),
        (_clips(), [-0.1, 0.5], 2, "variances ≥ 0"),
        (_clips(), [], 2, "non-empty"),
        (_clips(), "abc", 2, "list of numbers"),
        (_clips(), LEVELS, 0, "draws"),
    ],
)
def test_perturbation_bad_input(batch, levels, draws, message):
    with pytest.raises(ExplorerError, match=message):
        perturbation_test(FixedAttentionModel(), batch, levels, draws=draws)


@pytest.mark.parametrize(
    "options, message", [({"sampling": "slow"}, "sampling must be one of exact, fast"), ({"workers": 0}, "workers")]
)
def test_perturbation_bad_options(options, message):
    with pytest.raises(InvalidInputError, match=message):
        perturbation_test(FixedAttentionModel(), _clips(), LEVELS, draws=2, **options)


def test_perturbation_refuses_a_seed_instead_of_a_generator():
    with pytest.raises(InvalidInputError, match="CPU torch.Generator"):
        perturbation_test(FixedAttentionModel(), _clips(), LEVELS, draws=2, generator=42)


# -- pointing games -----------------------------------------------------------------
def test_pointing_game_by_hand():
    attention = np.array([[0.9, 0.2, 0.6, 0.4], [0.5, 0.5, 0.0, 1.0]])
    masks = np.array([[1, 0, 0, 0], [1, 0, 0, 1]])
    # clip 0: |0.9-1| + |0.2-0| + |0.6-0| + |0.4-0| = 0.1+0.2+0.6+0.4 = 1.3 → 1.3/4 = 0.325
    # clip 1: 0.5 + 0.5 + 0 + 0 = 1.0 → 0.25;  mean = 0.2875
    assert pointing_game(attention, masks) == pytest.approx(0.2875)
    # binary (≥ 0.5): clip 0 → [1,0,1,0]: 1 error → 0.25;  clip 1 → [1,1,0,1]: 1 error → 0.25
    assert pointing_game(torch.tensor(attention), torch.tensor(masks), binary=True) == pytest.approx(0.25)


def test_pointing_game_variable_length_clips():
    attention = [np.array([1.0, 0.0]), np.array([0.5, 0.5, 0.5, 0.5])]
    masks = [np.array([1, 1]), np.array([1, 1, 1, 1])]
    # clip 0: (0 + 1)/2 = 0.5;  clip 1: 4·0.5/4 = 0.5 → each clip counts once: 0.5
    assert pointing_game(attention, masks) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "attention, masks, message",
    [
        (np.zeros((2, 4)), np.zeros((2, 5)), r"\(2, 4\).*\(2, 5\)"),
        ([np.zeros(3)], [np.zeros(4)], "same shape"),
        (np.zeros((2, 4)), np.full((2, 4), 0.5), "only 0 and 1"),
        (np.full((2, 4), 1.5), np.zeros((2, 4)), r"\[0, 1\]"),
        (np.zeros(4), np.zeros(4), "2 dimensions"),
        ([], [], "no clips"),
        ("attention", np.zeros((1, 2)), "numpy array"),
        (np.array([[np.nan, 0.0]]), np.zeros((1, 2)), "NaN"),
    ],
)
def test_pointing_game_bad_input(attention, masks, message):
    with pytest.raises(InvalidInputError, match=message):
        pointing_game(attention, masks)


def test_spatial_pointing_game_by_hand():
    # One clip, three segments, attention on a 2×2 grid, masks at 4×4.
    attention = np.zeros((1, 3, 2, 2))
    attention[0, 0, 0, 0] = 1.0  # peak top-left
    attention[0, 1, 1, 1] = 1.0  # peak bottom-right
    masks = np.zeros((1, 3, 4, 4), dtype=bool)
    masks[0, 0, :2, :2] = True  # top-left quadrant: hit
    masks[0, 1, :2, :2] = True  # top-left, peak bottom-right: miss
    # segment 2: empty mask, skipped
    details = spatial_pointing_details(attention, masks)
    assert (details.hits, details.scored, details.skipped) == (1, 2, 1)
    assert spatial_pointing_game(attention, masks) == pytest.approx(0.5)


def test_spatial_pointing_game_per_frame_lists():
    attention = [torch.tensor([[[0.0, 1.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 1.0]]])]
    frame = np.zeros((6, 8), dtype=bool)
    frame[:3, 4:] = True  # top-right
    masks = [[frame, None]]  # second segment not annotated
    details = spatial_pointing_details(attention, masks)
    assert (details.hits, details.scored, details.skipped) == (1, 1, 1)


def test_spatial_pointing_game_same_for_any_mask_dtype_and_mixed_sizes():
    """Integer, float and bool masks score alike (integer ones are read without a float copy); a clip whose segments'
    masks differ in size is resized segment by segment and scores as its segments do one by one."""
    rng = np.random.default_rng(1)
    attention = rng.random((2, 3, 7, 7))
    masks = rng.random((2, 3, 56, 56)) > 0.7
    rates = {spatial_pointing_game(attention, masks.astype(dtype), 15) for dtype in (bool, np.uint8, np.int64, float)}
    assert len(rates) == 1
    mixed = [[masks[0, 0], masks[0, 1][:28, :40], None], list(masks[1])]
    one_by_one = [
        spatial_pointing_details(attention[clip, segment][None, None], [[mask]], 15)
        for clip, frames in enumerate(mixed)
        for segment, mask in enumerate(frames)
        if mask is not None
    ]
    details = spatial_pointing_details(attention, mixed, 15)
    assert details.hits == sum(d.hits for d in one_by_one) and details.scored == 5 and details.skipped == 1


def test_spatial_pointing_game_nothing_to_score_is_nan():
    assert np.isnan(spatial_pointing_game(np.ones((1, 2, 2, 2)), np.zeros((1, 2, 4, 4))))


@pytest.mark.parametrize(
    "attention, masks, message",
    [
        (np.ones((1, 2, 2, 2)), np.ones((1, 3, 4, 4)), "2 segments but its masks have 3"),
        (np.ones((2, 2, 2, 2)), np.ones((1, 2, 4, 4)), "number of clips"),
        (np.ones((1, 2, 2)), np.ones((1, 2, 4, 4)), "4 dimensions"),
        (np.ones((1, 1, 2, 2)), np.full((1, 1, 4, 4), 2.0), "only 0 and 1"),
        (np.ones((1, 1, 2, 2)), np.full((1, 1, 4, 4), 2, dtype=np.uint8), "only 0 and 1"),
        (np.ones((1, 1, 2, 2)), [[np.full((4, 4), -1, dtype=np.int8)]], "only 0 and 1"),
        (np.ones((1, 1, 2, 2)), np.zeros((1, 1, 0, 4)), "non-empty"),
        (np.ones((1, 1, 2, 2)), [], "no clips"),
        (np.ones((1, 1, 2, 2)), [[np.zeros(4)]], "must be H×W"),
        (np.ones((1, 1, 2, 2)), [np.zeros(4)], "T×H×W or a list of H×W frames"),
        (np.ones((1, 1, 2, 2)), [np.float64(1.0)], "numpy array"),
        (np.ones((1, 1, 2, 2)), "masks.png", "list of clips"),
    ],
)
def test_spatial_pointing_game_bad_input(attention, masks, message):
    with pytest.raises(InvalidInputError, match=message):
        spatial_pointing_game(attention, masks)


# -- upsampling ---------------------------------------------------------------------
def test_upsample_space_shapes_and_range():
    attention = torch.rand(5, 7, 7)
    upsampled = upsample_space(attention, (224, 160))
    assert upsampled.shape == (5, 224, 160) and upsampled.dtype == np.float32
    assert upsampled.min() >= attention.min().item() - 1e-6 and upsampled.max() <= attention.max().item() + 1e-6
    single = upsample_space(attention[2].numpy(), (224, 160))
    np.testing.assert_allclose(single, upsampled[2])


def test_upsample_space_matches_opencv_bilinear():
    attention = np.random.default_rng(0).random((7, 7)).astype(np.float32)
    expected = cv2.resize(attention, (56, 42), interpolation=cv2.INTER_LINEAR)  # cv2 takes (width, height)
    np.testing.assert_allclose(upsample_space(attention, (42, 56)), expected, atol=1e-5)


def test_upsample_time_piecewise_and_smooth():
    attention = np.array([0.0, 1.0, 0.5])
    np.testing.assert_array_equal(upsample_time(attention, 6), [0.0, 0.0, 1.0, 1.0, 0.5, 0.5])
    # smooth: samples at 0.25, 0.75, … segment-centre units (clamped at the ends) interpolate linearly
    np.testing.assert_allclose(upsample_time(attention, 6, smooth=True), [0.0, 0.25, 0.75, 0.875, 0.625, 0.5])
    assert upsample_time(attention, 16000 * 3).shape == (48000,)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: upsample_space(np.ones(7), (4, 4)), "H×W or T×H×W"),
        (lambda: upsample_space(np.ones((7, 7)), (0, 4)), "positive integer"),
        (lambda: upsample_space(np.ones((7, 7)), 4), r"\(height, width\)"),
        (lambda: upsample_time(np.ones((2, 3)), 10), "1-D"),
        (lambda: upsample_time(np.ones(3), 2.5), "positive integer"),
    ],
)
def test_upsample_bad_input(call, message):
    with pytest.raises(InvalidInputError, match=message):
        call()


# -- overlays -------------------------------------------------------------------------
def test_overlay_follows_grad_cam_blend():
    image = np.full((4, 6, 3), 0.5, dtype=np.float32)
    mask = np.zeros((4, 6), dtype=np.float32)
    mask[:, 3:] = 1.0
    blended = overlay_on_image(image, mask, COLORMAPS["jet"], image_weight=0.5)
    assert blended.shape == (4, 6, 3) and blended.dtype == np.uint8
    # jet maps 0 to dark blue (0, 0, 128) and 1 to dark red (128, 0, 0) in RGB;
    # blend = 0.5·heat + 0.5·0.5, then divided by its max (0.5·128/255 + 0.25).
    heat = cv2.cvtColor(cv2.applyColorMap(np.uint8(255 * mask), cv2.COLORMAP_JET), cv2.COLOR_BGR2RGB) / 255
    blend = 0.5 * heat + 0.25
    np.testing.assert_allclose(blended, np.uint8(255 * blend / blend.max()), atol=1)
    assert blended[0, 0, 2] > blended[0, 0, 0] and blended[0, 5, 0] > blended[0, 5, 2]  # blue left, red right


def test_colormaps_all_render():
    image = np.random.default_rng(0).random((8, 8, 3)).astype(np.float32)
    mask = np.linspace(0, 1, 64, dtype=np.float32).reshape(8, 8)
    renders = {name: overlay_on_image(image, mask, colormap) for name, colormap in COLORMAPS.items()}
    assert set(renders) == {"jet", "viridis", "inferno", "magma", "turbo", "hot"}
    assert len({render.tobytes() for render in renders.values()}) == len(renders)


@pytest.mark.parametrize(
    "image, mask, message",
    [
        (np.full((4, 4, 3), 255, dtype=np.uint8), np.zeros((4, 4), np.float32), "float numpy array"),
        (np.full((4, 4, 3), 2.0, dtype=np.float32), np.zeros((4, 4), np.float32), r"\[0, 1\]"),
        (np.zeros((4, 4), np.float32), np.zeros((4, 4), np.float32), "H×W×3"),
        (np.zeros((4, 4, 3), np.float32), np.zeros((2, 2), np.float32), "upsample it first"),
        (np.zeros((4, 4, 3), np.float32), np.full((4, 4), np.nan, np.float32), r"\[0, 1\]"),
        (np.zeros((4, 4, 3), np.float32), [[0.0]], "float numpy array"),
    ],
)
def test_overlay_bad_input(image, mask, message):
    with pytest.raises(InvalidInputError, match=message):
        overlay_on_image(image, mask)


def test_overlay_rejects_bad_image_weight():
    with pytest.raises(InvalidInputError, match="image_weight"):
        overlay_on_image(np.zeros((2, 2, 3), np.float32), np.zeros((2, 2), np.float32), image_weight=1.5)
