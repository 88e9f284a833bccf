"""The AudioSet VGGish front end: waveform → 96×64 log-mel examples.

It follows ``vggish_input.waveform_to_examples`` and ``mel_features.py`` of
tensorflow/models (research/audioset/vggish) step by step, so pretrained VGGish
weights see the input they were trained on. One difference: the reference
resamples with resampy; here ``torchaudio.functional.resample`` does it, which
differs in the last few bits and only matters when the input is not 16 kHz.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
import torchaudio.functional

SAMPLE_RATE = 16000
WINDOW_SAMPLES = 400  # 25 ms
HOP_SAMPLES = 160  # 10 ms
FFT_LENGTH = 512  # next power of two above the window
NUM_MEL_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_FRAMES = 96  # 0.96 s of 10 ms frames
FRAMES_PER_SECOND = SAMPLE_RATE // HOP_SAMPLES  # 100

_MEL_BREAK_FREQUENCY_HERTZ = 700.0
_MEL_HIGH_FREQUENCY_Q = 1127.0


def hertz_to_mel(frequencies_hertz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale, as ``mel_features.hertz_to_mel``."""
    return _MEL_HIGH_FREQUENCY_Q * np.log(1.0 + np.asarray(frequencies_hertz) / _MEL_BREAK_FREQUENCY_HERTZ)


@lru_cache(maxsize=4)
def mel_matrix(num_spectrogram_bins: int = FFT_LENGTH // 2 + 1, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """(bins × 64) triangular filters, built like ``mel_features.spectrogram_to_mel_matrix``."""
    spectrogram_bins_mel = hertz_to_mel(np.linspace(0.0, sample_rate / 2.0, num_spectrogram_bins))
    band_edges_mel = np.linspace(hertz_to_mel(MEL_MIN_HZ), hertz_to_mel(MEL_MAX_HZ), NUM_MEL_BANDS + 2)
    lower, center, upper = band_edges_mel[:-2], band_edges_mel[1:-1], band_edges_mel[2:]
    lower_slope = (spectrogram_bins_mel[:, None] - lower) / (center - lower)
    upper_slope = (upper - spectrogram_bins_mel[:, None]) / (upper - center)
    weights = np.maximum(0.0, np.minimum(lower_slope, upper_slope))
    weights[0, :] = 0.0  # the reference (like HTK) never lets the DC bin into a band
    weights.setflags(write=False)
    return weights


def _frame(data: np.ndarray, window: int, hop: int) -> np.ndarray:
    """Windows of ``data`` along axis 0 (``frames × window × …``), as ``mel_features.frame``: no padding."""
    windows = np.lib.stride_tricks.sliding_window_view(data, window, axis=0)[::hop]
    return np.moveaxis(windows, -1, 1)


def log_mel_spectrogram(waveform: np.ndarray) -> np.ndarray:
    """(frames × 64) log(mel + 0.01) of a 16 kHz mono float waveform; empty when it is under 25 ms."""
    waveform = np.asarray(waveform, dtype=np.float64)
    if waveform.shape[0] < WINDOW_SAMPLES:
        return np.zeros((0, NUM_MEL_BANDS))
    periodic_hann = 0.5 - 0.5 * np.cos(2 * np.pi / WINDOW_SAMPLES * np.arange(WINDOW_SAMPLES))
    frames = _frame(waveform, WINDOW_SAMPLES, HOP_SAMPLES) * periodic_hann
    magnitude = np.abs(np.fft.rfft(frames, FFT_LENGTH))
    return np.log(magnitude @ mel_matrix() + LOG_OFFSET)


def to_mono_16k(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """Mean of channels (``samples × channels``, as the reference), resampled to 16 kHz when needed."""
    waveform = np.asarray(waveform, dtype=np.float64)
    if waveform.ndim > 1:
        waveform = waveform.mean(axis=1)
    if sample_rate != SAMPLE_RATE:
        waveform = torchaudio.functional.resample(torch.from_numpy(waveform), sample_rate, SAMPLE_RATE).numpy()
    return waveform


def waveform_to_examples(waveform: np.ndarray, sample_rate: int) -> np.ndarray:
    """(N × 96 × 64) float32 examples, non-overlapping, exactly as the reference ``waveform_to_examples``."""
    log_mel = log_mel_spectrogram(to_mono_16k(waveform, sample_rate))
    if log_mel.shape[0] < EXAMPLE_FRAMES:
        return np.zeros((0, EXAMPLE_FRAMES, NUM_MEL_BANDS), dtype=np.float32)
    return _frame(log_mel, EXAMPLE_FRAMES, EXAMPLE_FRAMES).astype(np.float32)


def segment_examples(waveform: np.ndarray, sample_rate: int, num_segments: int, hop_frames: int) -> np.ndarray:
    """(T × 96 × 64): one example per 1 s segment, example t starting at log-mel frame ``t * hop_frames``.

    ``hop_frames=96`` is the reference framing (example t covers 0.96·t … 0.96·t + 0.975 s, which is how the
    official AVE features were made); ``hop_frames=100`` starts each example exactly at its segment. The
    waveform is zero-padded so that every segment has an example.
    """
    waveform = to_mono_16k(waveform, sample_rate)
    needed = (num_segments - 1) * hop_frames * HOP_SAMPLES + (EXAMPLE_FRAMES - 1) * HOP_SAMPLES + WINDOW_SAMPLES
    if waveform.shape[0] < needed:
        waveform = np.pad(waveform, (0, needed - waveform.shape[0]))
    log_mel = log_mel_spectrogram(waveform)
    starts = np.arange(num_segments) * hop_frames
    return log_mel[starts[:, None] + np.arange(EXAMPLE_FRAMES)].astype(np.float32)
