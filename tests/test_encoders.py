"""Encoders: the VGGish front end against the reference formulas, shapes, speed, weights handling."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
import torchaudio

from explorer.encoders import (
    RANDOM,
    check_compatible,
    create_encoder,
    list_encoders,
    save_encoder,
)
from explorer.encoders.log_mel import segment_examples, waveform_to_examples
from explorer.encoders.vggish import VGGishNetwork
from explorer.errors import CheckpointError, ExplorerError, WeightsError
from explorer.media import Clip, MediaError
from explorer.models import create_model
from explorer.paths import ENCODER_DIR_VARIABLE

BELL = Path(__file__).parent / "data" / "scratch_BellToll.wav"


# -- the reference front end, written out step by step as in tensorflow/models research/audioset/vggish ----------
def reference_log_mel_examples(data: np.ndarray) -> np.ndarray:
    """mel_features.log_mel_spectrogram + vggish_input framing, for 16 kHz mono float64 ``data``."""
    rate, window_length, hop_length = 16000, int(round(16000 * 0.025)), int(round(16000 * 0.010))
    fft_length = 2 ** int(np.ceil(np.log(window_length) / np.log(2.0)))

    def frame(values, length, hop):
        count = 1 + int(np.floor((values.shape[0] - length) / hop))
        shape = (count, length) + values.shape[1:]
        strides = (values.strides[0] * hop,) + values.strides
        return np.lib.stride_tricks.as_strided(values, shape=shape, strides=strides)

    window = 0.5 - (0.5 * np.cos(2 * np.pi / window_length * np.arange(window_length)))
    spectrogram = np.abs(np.fft.rfft(frame(data, window_length, hop_length) * window, int(fft_length)))

    def hertz_to_mel(hertz):
        return 1127.0 * np.log(1.0 + (hertz / 700.0))

    bins = spectrogram.shape[1]
    bins_mel = hertz_to_mel(np.linspace(0.0, rate / 2.0, bins))
    edges = np.linspace(hertz_to_mel(125.0), hertz_to_mel(7500.0), 64 + 2)
    matrix = np.empty((bins, 64))
    for i in range(64):
        lower, center, upper = edges[i : i + 3]
        lower_slope = (bins_mel - lower) / (center - lower)
        upper_slope = (upper - bins_mel) / (upper - center)
        matrix[:, i] = np.maximum(0.0, np.minimum(lower_slope, upper_slope))
    matrix[0, :] = 0.0
    log_mel = np.log(np.dot(spectrogram, matrix) + 0.01)
    example_length = int(round(0.96 * (1.0 / 0.010)))
    return frame(log_mel, example_length, example_length)


def bell_at_16k() -> np.ndarray:
    samples, rate = soundfile.read(BELL, dtype="int16")
    waveform = samples / 32768.0  # as vggish_input.wavfile_to_examples
    return torchaudio.functional.resample(torch.from_numpy(waveform), rate, 16000).numpy()


def test_front_end_matches_the_reference_on_a_real_recording():
    waveform = bell_at_16k()
    expected = reference_log_mel_examples(waveform)
    examples = waveform_to_examples(waveform, 16000)
    assert examples.shape == expected.shape == (4, 96, 64)
    assert examples.dtype == np.float32
    assert np.abs(examples - expected).max() < 1e-4
    assert expected.std() > 1.0  # a real sound, not silence: the comparison means something


def test_front_end_resamples_and_mixes_down():
    samples, rate = soundfile.read(BELL, dtype="float64")
    at_native_rate = waveform_to_examples(samples, rate)
    assert np.abs(at_native_rate - reference_log_mel_examples(bell_at_16k())).max() < 1e-4
    stereo = np.stack([samples, np.zeros_like(samples)], axis=1)  # samples × channels, as the reference takes
    halved = waveform_to_examples(samples / 2, rate)
    assert np.abs(waveform_to_examples(stereo, rate) - halved).max() < 1e-4


def test_segment_examples_are_aligned_or_reference_framed():
    waveform = bell_at_16k()[: 3 * 16000]
    aligned = segment_examples(waveform, 16000, 3, hop_frames=100)
    for t in range(3):  # example t is the log-mel of its own second alone
        alone = reference_log_mel_examples(np.pad(waveform, (0, 16000))[t * 16000 : t * 16000 + 15600])[0]
        assert np.abs(aligned[t] - alone).max() < 1e-4
    reference = segment_examples(waveform, 16000, 3, hop_frames=96)
    assert np.abs(reference - waveform_to_examples(waveform, 16000)[:3]).max() < 1e-4
    assert segment_examples(waveform[:8000], 16000, 5, hop_frames=96).shape == (5, 96, 64)  # padded to cover T


# -- encoders ------------------------------------------------------------------------------------------------------
def random_clip(seconds: int, frames: int = 2, size: tuple[int, int] = (48, 64), seed: int = 0) -> Clip:
    rng = np.random.default_rng(seed)
    stacks = [rng.integers(0, 256, (frames, *size, 3), dtype=np.uint8) for _ in range(seconds)]
    return Clip.from_arrays(stacks, (0.1 * rng.standard_normal(seconds * 16000)).astype(np.float32))


@pytest.fixture(scope="module")
def compact():
    torch.manual_seed(0)
    return create_encoder("compact", weights=RANDOM)


def test_list_encoders_names_the_paper_pair_and_compact():
    assert {"vggish", "resnet152", "compact", "vggish+resnet152"} <= set(list_encoders())


def test_paper_encoder_shapes_with_random_weights():
    encoder = create_encoder("vggish+resnet152", weights=RANDOM)
    audio, visual = encoder.encode(random_clip(2, frames=1))
    assert audio.shape == (2, 128) and visual.shape == (2, 7, 7, 2048)
    assert audio.dtype == visual.dtype == torch.float32
    assert encoder.grid == (7, 7) and encoder.frame_size == 224
    assert [part["weights"] for part in encoder.describe()["parts"]] == [RANDOM, RANDOM]
    assert torch.isfinite(visual).all() and visual.abs().sum() > 0


def test_vggish_alone_gives_audio_and_an_empty_visual_tensor():
    encoder = create_encoder("vggish", weights=RANDOM, postprocess=True)
    audio, visual = encoder.encode(random_clip(3))
    assert audio.shape == (3, 128) and visual.shape == (3, 0, 0, 0)
    assert audio.min() >= 0 and audio.max() <= 255 and torch.equal(audio, audio.round())  # 8-bit quantised


def test_vggish_state_dict_keys_fit_the_torchvggish_release():
    convs = ("features.0", "features.3", "features.6", "features.8", "features.11", "features.13")
    fcs = ("embeddings.0", "embeddings.2", "embeddings.4")
    expected = {f"{layer}.{kind}" for layer in convs + fcs for kind in ("weight", "bias")}
    assert set(VGGishNetwork().state_dict()) == expected


def test_standard_weights_are_found_in_the_encoder_folder(tmp_path, monkeypatch):
    monkeypatch.setenv(ENCODER_DIR_VARIABLE, str(tmp_path / "encoders"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    source = VGGishNetwork()
    (tmp_path / "encoders").mkdir()
    torch.save(source.state_dict(), tmp_path / "encoders" / "vggish-10086976.pth")
    encoder = create_encoder("vggish")
    examples = torch.randn(2, 1, 96, 64)
    with torch.inference_mode():
        assert torch.allclose(encoder.embed_audio(examples), source(examples))
    assert encoder.describe()["weights"].endswith("vggish-10086976.pth")


@pytest.mark.parametrize(
    "name, file_name, url",
    [
        (
            "vggish",
            "vggish-10086976.pth",
            "https://github.com/harritaylor/torchvggish/releases/download/v0.1/vggish-10086976.pth",
        ),
        ("resnet152", "resnet152-394f9c45.pth", "https://download.pytorch.org/models/resnet152-394f9c45.pth"),
    ],
)
def test_missing_weights_say_what_to_do(tmp_path, monkeypatch, name, file_name, url):
    monkeypatch.setenv(ENCODER_DIR_VARIABLE, str(tmp_path / "encoders"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    with pytest.raises(WeightsError) as caught:
        create_encoder(name)
    message = str(caught.value)
    for part in (file_name, str(tmp_path / "encoders"), str(tmp_path / "torch" / "hub" / "checkpoints"), url):
        assert part in message


class NotAWeight:
    """A class that only unpickling could rebuild."""


def test_corrupt_or_pickled_weights_are_refused(tmp_path, monkeypatch):
    folder = tmp_path / "encoders"
    folder.mkdir()
    monkeypatch.setenv(ENCODER_DIR_VARIABLE, str(folder))
    (folder / "resnet152-394f9c45.pth").write_bytes(b"not a weights file")
    with pytest.raises(CheckpointError, match="corrupt"):
        create_encoder("resnet152")
    torch.save({"features.0.weight": NotAWeight()}, folder / "vggish-10086976.pth")
    with pytest.raises(CheckpointError, match="vggish-10086976.pth"):
        create_encoder("vggish")
    torch.save({"features.0.weight": torch.zeros(1)}, folder / "vggish-10086976.pth")
    with pytest.raises(CheckpointError, match="do not fit"):
        create_encoder("vggish")


def test_compact_shapes_and_pooling(compact):
    # Its speed is measured in benchmarks/bench_encode.py, not here: this machine is shared and noisy.
    clip = random_clip(10, frames=4, size=(180, 320))  # what load_clip gives a 720p video by default
    audio, visual = compact.encode(clip)
    assert audio.shape == (10, 128) and visual.shape == (10, 7, 7, 64)
    # A segment's map is the mean of its frames' maps (temporal average pooling, paper §3.1).
    one, two = random_clip(1, frames=1, seed=1), random_clip(1, frames=1, seed=2)
    both = Clip.from_arrays([np.concatenate([one.frames[0], two.frames[0]])], one.audio)
    expected = (compact.encode(one)[1] + compact.encode(two)[1]) / 2
    assert torch.allclose(compact.encode(both)[1], expected, atol=1e-5)


def test_compact_batch_equals_one_by_one(compact):
    clips = [random_clip(2, seed=3), random_clip(3, seed=4)]
    for (audio, visual), clip in zip(compact.encode_batch(clips), clips):
        alone_audio, alone_visual = compact.encode(clip)
        assert torch.allclose(audio, alone_audio, atol=1e-5) and torch.allclose(visual, alone_visual, atol=1e-5)


def test_compact_trains_end_to_end():
    encoder = create_encoder("compact", weights=RANDOM, widths=(8, 8, 8, 8)).train()
    ((audio, visual),) = encoder([random_clip(2)])
    (audio.sum() + visual.sum()).backward()
    assert encoder.audio_net[0][0][0].weight.grad.abs().sum() > 0
    assert encoder.visual_net[0][0][0].weight.grad.abs().sum() > 0


def test_compact_save_and_load(tmp_path, compact):
    path = save_encoder(compact, tmp_path / "enc" / "compact_demo")
    loaded = create_encoder("compact", weights=path)
    clip = random_clip(2)
    assert all(torch.equal(a, b) for a, b in zip(loaded.encode(clip), compact.encode(clip)))
    assert loaded.describe()["config"] == compact.describe()["config"]


def test_compact_weights_problems_are_clear(tmp_path, compact):
    with pytest.raises(WeightsError, match="no pretrained weights"):
        create_encoder("compact")
    with pytest.raises(WeightsError, match="does not exist"):
        create_encoder("compact", weights=tmp_path / "nothing")
    path = save_encoder(compact, tmp_path / "broken")
    path.with_name("broken.safetensors").write_bytes(b"\x00" * 10)
    with pytest.raises(CheckpointError, match="corrupt"):
        create_encoder("compact", weights=path)
    path.with_name("broken.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="not valid JSON"):
        create_encoder("compact", weights=path)


def test_dims_mismatch_names_both_encoders(compact):
    model = create_model("stan", num_classes=3, audio_dim=128, visual_dim=512)
    model.card = {"encoder": "official-ave"}
    with pytest.raises(CheckpointError) as caught:
        check_compatible(compact, model)
    assert str(caught.value).startswith(
        "this STAN checkpoint expects audio 128-d / visual 512-d features from encoder official-ave, "
        "but encoder compact gives audio 128-d / visual 64-d"
    )
    check_compatible(compact, create_model("stan", num_classes=3, audio_dim=128, visual_dim=64))
    with pytest.raises(CheckpointError, match="visual 2048-d"):
        check_compatible(compact, {"audio_dim": 128, "visual_dim": 2048, "card": {"encoder": "vggish+resnet152"}})


def test_bad_clips_get_a_clear_error(compact):
    with pytest.raises(MediaError, match="needs a Clip"):
        compact.encode("clip.mp4")
    clip = random_clip(2)
    clip.frames[1] = clip.frames[1].astype(np.float32)
    with pytest.raises(MediaError, match="segment 1 of the clip must hold F×H×W×3 uint8"):
        compact.encode(clip)
    clip = random_clip(2)
    clip.audio = clip.audio.reshape(2, -1)
    with pytest.raises(MediaError, match="1-D float"):
        compact.encode(clip)


def test_unknown_encoder_and_pair_weights_path():
    with pytest.raises(ExplorerError, match="unknown encoder 'vgg'"):
        create_encoder("vgg")
    with pytest.raises(WeightsError, match="two weights files"):
        create_encoder("vggish+resnet152", weights="some/file.pth")
