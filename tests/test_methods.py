"""Explanation methods (explorer.explain.methods): every (model, method) pair, each method against its closed form,
and the scores of a method's maps."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from explorer.data import load_demo_dataset
from explorer.errors import InvalidInputError
from explorer.evaluation import read_segment_masks
from explorer.explain import encode_clip
from explorer.explain.methods import MethodMaps, create_method, list_methods
from explorer.explain.methods.metrics import (
    SCORE_KEYS,
    AnnotatedClip,
    deletion_auc,
    deletion_curve,
    energy_in_mask,
    perturbation_tvd_of_maps,
    score_maps,
    score_method,
)
from explorer.models import AVModel, Explanation, create_model, list_models, model_spec
from explorer.paths import REPO_ROOT

T, H, W, DA, DV = 4, 3, 3, 8, 6
DEMO_SAMPLES = REPO_ROOT / "assets" / "demo" / "samples"


def random_clip(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(1, T, DA, generator=generator), torch.rand(1, T, H, W, DV, generator=generator)


def expected_pieces(model: AVModel, method: str) -> tuple[bool, bool] | None:
    """(has space, has time) of ``method`` on ``model``, or None where it cannot apply: said once, from the model's
    registration and the modalities it reads, independently of the methods' code."""
    explains = model_spec(model.name).explains
    if method == "attention":
        pieces = ("space_attention" in explains, "time_attention" in explains)
        return pieces if any(pieces) else None
    if method == "grad_cam":
        return (True, False) if model.uses_visual else None
    return model.uses_visual, True


def check_maps(maps: MethodMaps, has_space: bool, has_time: bool, segments=T, grid=(H, W)) -> None:
    assert (maps.space is not None) == has_space and (maps.time is not None) == has_time
    for piece, shape in ((maps.space, (segments, *grid)), (maps.time, (segments,))):
        if piece is not None:
            assert piece.shape == shape and piece.dtype == np.float32
            assert np.isfinite(piece).all() and piece.min() >= 0 and piece.max() <= 1


@pytest.mark.parametrize("method", list_methods())
@pytest.mark.parametrize("model_name", list_models())
def test_every_method_on_every_model(model_name, method):
    torch.manual_seed(0)
    model = create_model(model_name, 3, DA, DV, hidden=8).train()
    explainer = create_method(method)
    audio, visual = random_clip()
    expected = expected_pieces(model, method)
    reason = explainer.unavailable(model)
    if expected is None:
        assert isinstance(reason, str) and reason[0].isupper() and reason.endswith(".")
        with pytest.raises(InvalidInputError, match=f"^{re.escape(reason)}$"):
            explainer.maps(model, audio, visual, 1)
        return
    assert reason is None
    maps = explainer.maps(model, audio, visual, 1)
    check_maps(maps, *expected)
    if method != "attention":  # post-hoc maps are divided by their maximum
        for piece in (maps.space, maps.time):
            assert piece is None or piece.max() in (0.0, 1.0)
    assert model.training, "the model's mode is restored"
    assert all(parameter.grad is None and parameter.requires_grad for parameter in model.parameters())


def test_unknown_method_and_bad_target_are_refused():
    with pytest.raises(InvalidInputError, match="choose one of"):
        create_method("lime")
    model = create_model("stan", 3, DA, DV, hidden=8)
    with pytest.raises(InvalidInputError, match="class index"):
        create_method("occlusion").maps(model, *random_clip(), 3)


# -- each method against its definition ------------------------------------------------------------------------------
@pytest.mark.parametrize("model_name", ["stan", "visual_baseline", "film"])
def test_integrated_gradients_is_complete(model_name):
    """Σ attributions = y(x) − y(0) (Captum's convergence delta ≈ 0), the ignored input held at its value."""
    torch.manual_seed(1)
    model = create_model(model_name, 3, DA, DV, hidden=8).eval()
    audio, visual = random_clip(1)
    attributions = create_method("integrated_gradients").attributions(model, audio, visual, 2)
    total = sum(float(part.sum()) for part in attributions if part is not None)
    with torch.no_grad():
        change = (
            model(audio, visual).logits[0, 2] - model(torch.zeros_like(audio), torch.zeros_like(visual)).logits[0, 2]
        )
    assert total == pytest.approx(float(change), abs=2e-3 * max(1.0, abs(float(change))))


class CellAndSecond(AVModel):
    """Class 0's logit reads only visual cell (t=2, h=1, w=0) and audio second 1; class 1's is constant."""

    name = "cell_and_second"
    CELL, SECOND = (2, 1, 0), 1

    def __init__(self):
        super().__init__(2, DA, DV)
        self.scale = nn.Parameter(torch.tensor(3.0))

    def explain(self, audio, visual, attention):
        t, h, w = self.CELL
        evidence = visual[:, t, h, w].mean(dim=-1) + audio[:, self.SECOND].mean(dim=-1)  # ≈ 2 for features ≈ 1
        logit = self.scale * (evidence - 1)
        logits = torch.stack([logit, torch.zeros_like(logit)], dim=1)
        return Explanation(logits, torch.sigmoid(logits))


def positive_clip(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return 0.5 + torch.rand(1, T, DA, generator=generator), 0.5 + torch.rand(1, T, H, W, DV, generator=generator)


def test_occlusion_finds_the_one_cell_and_second():
    maps = create_method("occlusion", patch=1).maps(CellAndSecond(), *positive_clip(), 0)
    expected_space = np.zeros((T, H, W), np.float32)
    expected_space[CellAndSecond.CELL] = 1
    np.testing.assert_allclose(maps.space, expected_space, atol=1e-6)
    # Each modality's share of its own total: the audio second and the cell's second both get all of theirs.
    expected_time = np.zeros(T, np.float32)
    expected_time[[CellAndSecond.SECOND, CellAndSecond.CELL[0]]] = 1
    np.testing.assert_allclose(maps.time, expected_time, atol=1e-6)


def test_occlusion_patches_cover_the_cell_with_its_square():
    t, row, column = CellAndSecond.CELL
    maps = create_method("occlusion", patch=2).maps(CellAndSecond(), *positive_clip(), 0)
    expected_space = np.zeros((T, H, W), np.float32)
    expected_space[t, row - row % 2 : row - row % 2 + 2, column - column % 2 : column - column % 2 + 2] = 1
    np.testing.assert_allclose(maps.space, expected_space, atol=1e-6)


class LinearModel(AVModel):
    name = "linear"

    def __init__(self):
        super().__init__(2, DA, DV)
        generator = torch.Generator().manual_seed(3)
        self.audio_weight = nn.Parameter(torch.randn(T, DA, 2, generator=generator))
        self.visual_weight = nn.Parameter(torch.randn(T, H, W, DV, 2, generator=generator))

    def explain(self, audio, visual, attention):
        logits = torch.einsum("ntd,tdk->nk", audio, self.audio_weight)
        logits = logits + torch.einsum("nthwd,thwdk->nk", visual, self.visual_weight)
        return Explanation(logits, torch.sigmoid(logits))


def test_gradient_x_input_is_the_product_and_reduces_by_the_rule():
    model, (audio, visual) = LinearModel(), random_clip(2)
    method = create_method("gradient_x_input")
    audio_attribution, visual_attribution = method.attributions(model, audio, visual, 1)
    audio_product = (audio * model.audio_weight[..., 1]).detach()
    visual_product = (visual * model.visual_weight[..., 1]).detach()
    torch.testing.assert_close(audio_attribution, audio_product)
    torch.testing.assert_close(visual_attribution, visual_product)

    # The package's rule, by hand: |·| summed per cell; per second each modality's share of its own total.
    cells = visual_product[0].abs().sum(-1).numpy()
    seconds_audio = audio_product[0].abs().sum(-1).numpy()
    time = seconds_audio / seconds_audio.sum() + cells.sum((1, 2)) / cells.sum()
    maps = method.maps(model, audio, visual, 1)
    np.testing.assert_allclose(maps.space, cells / cells.max(), rtol=1e-5)
    np.testing.assert_allclose(maps.time, time / time.max(), rtol=1e-5)


@pytest.mark.parametrize("model_name", ["stan", "film"])
def test_grad_cam_is_the_closed_form(model_name):
    """ReLU(Σ_c mean_hw(∂y/∂x_c) · x_c) per segment, divided by its maximum over the clip."""
    torch.manual_seed(4)
    model = create_model(model_name, 3, DA, DV, hidden=8).eval()
    audio, visual = random_clip(4)
    informative = 0
    for target in range(3):
        leaf = visual.clone().requires_grad_()
        (gradient,) = torch.autograd.grad(model(audio, leaf).logits[0, target], leaf)
        weights = gradient[0].mean(dim=(1, 2))  # T×C
        cam = torch.relu((weights[:, None, None, :] * visual[0]).sum(-1))
        expected = (cam / cam.max() if cam.max() > 0 else cam).numpy()
        informative += int(cam.max() > 0)
        maps = create_method("grad_cam").maps(model, audio, visual, target)
        np.testing.assert_allclose(maps.space, expected, rtol=1e-4, atol=1e-6)
    assert informative, "every class had an all-zero Grad-CAM: the test would compare zeros"


# -- scores -----------------------------------------------------------------------------------------------------------
def test_energy_in_mask():
    mask = np.zeros((1, 224, 224))
    mask[:, :150, :150] = 1  # covers all of the top-left cell's bilinear footprint (to the centre of cell (1, 1))
    inside = np.zeros((1, 3, 3))
    inside[0, 0, 0] = 1
    assert energy_in_mask([inside], [mask]) == pytest.approx(1.0)
    assert energy_in_mask([np.ones((1, 3, 3))], [mask]) == pytest.approx(mask.mean())
    assert np.isnan(energy_in_mask([np.zeros((1, 3, 3))], [mask])), "an all-zero map puts its energy nowhere"


def test_deletion_and_perturbation_follow_the_true_ranking():
    model, (audio, visual) = CellAndSecond(), positive_clip()
    truth = create_method("occlusion", patch=1).maps(model, audio, visual, 0)
    reversed_ranking = MethodMaps(space=1 - truth.space, time=1 - truth.time)
    true_curve = deletion_curve(model, audio, visual, truth, 0)
    assert len(true_curve) == 11 and true_curve[0] > 0.8 and true_curve[-1] < 0.1
    assert deletion_auc(true_curve) < deletion_auc(deletion_curve(model, audio, visual, reversed_ranking, 0)) - 0.3
    relevant = perturbation_tvd_of_maps(model, audio, visual, truth, relevant=True)
    irrelevant = perturbation_tvd_of_maps(model, audio, visual, truth, relevant=False)
    assert relevant > 0.01 and irrelevant == pytest.approx(0.0, abs=1e-7)


def test_score_method_on_the_hand_built_model():
    model, (audio, visual) = CellAndSecond(), positive_clip()
    t, h, w = CellAndSecond.CELL
    masks = np.zeros((T, 224, 224))
    masks[t, h * 75 : (h + 1) * 75, w * 75 : (w + 1) * 75] = 1
    time_mask = np.zeros(T)
    time_mask[[CellAndSecond.SECOND, t]] = 1
    clip = AnnotatedClip(audio[0], visual[0], 0, time_mask, masks)
    occlusion = create_method("occlusion", patch=1)
    scores = score_method(model, occlusion, [clip])
    assert set(scores) == set(SCORE_KEYS)
    assert scores["spatial_hit_rate"] == 1.0 and scores["spatial_energy_in_mask"] > 0.5
    assert scores["pointing_mae_soft"] == pytest.approx(0.0, abs=1e-6)
    assert scores["tvd_relevant"] > scores["tvd_irrelevant"]
    assert scores["deletion_auc"] < scores["deletion_auc_random"]
    assert score_method(model, occlusion, [clip]) == scores, "seeded: the same scores again"
    unannotated = score_method(model, occlusion, [AnnotatedClip(audio[0], visual[0], 0)])
    assert unannotated["spatial_hit_rate"] is None and unannotated["pointing_mae_soft"] is None
    assert unannotated["deletion_auc"] == scores["deletion_auc"]


def test_score_method_says_none_where_a_method_cannot_apply():
    model = create_model("audio_baseline", 3, DA, DV, hidden=8)
    audio, visual = random_clip()
    clip = AnnotatedClip(audio[0], visual[0], 0, np.ones(T), np.ones((T, 224, 224)))
    assert score_method(model, create_method("grad_cam"), [clip]) == dict.fromkeys(SCORE_KEYS)
    scores = score_method(model, create_method("gradient_x_input"), [clip])
    assert scores["spatial_hit_rate"] is None and scores["spatial_energy_in_mask"] is None
    assert all(scores[key] is not None for key in ("pointing_mae_soft", "tvd_relevant", "deletion_auc"))


# -- the committed demo STAN ----------------------------------------------------------------------------------------
DEMO_CLIPS = ("demo_4_0000", "demo_4_0001")
SECONDS = slice(2, 6)  # 4 of the 10 s, event onset inside: occlusion costs one forward per cell (T·14·14 of them)


@pytest.fixture(scope="module")
def demo_clips(stan):
    model, encoder = stan
    samples = {sample.video_id: sample for sample in load_demo_dataset(DEMO_SAMPLES).samples}
    masks = read_segment_masks(DEMO_SAMPLES / "masks.npz")
    clips = []
    for video_id in DEMO_CLIPS:
        audio, visual = encode_clip(encoder, DEMO_SAMPLES / "clips" / f"{video_id}.mp4")
        sample = samples[video_id]
        clips.append(
            AnnotatedClip(
                audio[SECONDS],
                visual[SECONDS],
                int(np.argmax(sample.labels)),
                sample.time_mask_any[SECONDS],
                masks[video_id][SECONDS],
            )
        )
    return clips


@pytest.mark.parametrize("method", list_methods())
def test_every_method_explains_the_demo_stan(stan, demo_clips, method):
    model = stan[0]
    explainer = create_method(method)
    maps = [explainer.maps(model, clip.audio, clip.visual, clip.target) for clip in demo_clips]
    for clip, clip_maps in zip(demo_clips, maps):
        check_maps(clip_maps, True, method != "grad_cam", segments=len(clip.audio), grid=tuple(clip.visual.shape[1:3]))
        assert clip_maps.space.max() > 0, f"{method} gives an all-zero space map on {model.name}"
    scores = score_maps(model, demo_clips, maps, draws=4, random_orders=2)
    assert scores["spatial_hit_rate"] is not None and 0 <= scores["spatial_energy_in_mask"] <= 1
    assert scores["deletion_auc"] is not None and scores["tvd_relevant"] is not None
