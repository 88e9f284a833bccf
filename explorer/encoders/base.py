"""The one interface every encoder shares: a :class:`~explorer.media.Clip` in, STAN's feature tensors out.

An encoder turns each 1 s segment of a clip into one audio vector (``T×Da``) and one channels-last visual
map (``T×H×W×Dv``, the frames of the segment average-pooled in time, paper §3.1). Subclasses supply two
networks, :meth:`Encoder.embed_audio` over 96×64 log-mel examples and :meth:`Encoder.embed_frames` over
normalised frames; this class does the batching, resizing and pooling. An encoder without one modality
has dimension 0 there and returns an empty tensor for it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import cv2
import numpy as np
import torch
from torch import Tensor, nn

from explorer.encoders.log_mel import EXAMPLE_FRAMES, NUM_MEL_BANDS, segment_examples
from explorer.media.errors import MediaError

RANDOM = "random"  # ``weights=RANDOM``: untrained networks, for tests and timing
IMAGENET_NORMALIZATION = {"mean": (0.485, 0.456, 0.406), "std": (0.229, 0.224, 0.225)}


class Encoder(nn.Module):
    """Base class; ``encode(clip) -> (audio T×Da, visual T×H×W×Dv)`` float32 tensors on the CPU."""

    name: str = "base"
    audio_dim: int = 0
    visual_dim: int = 0
    frame_size: int = 224  # frames are resized to frame_size × frame_size
    stride: int = 32  # input pixels per visual feature cell
    normalization: dict = IMAGENET_NORMALIZATION
    frames_per_segment: int = 8  # what extraction asks the decoder for
    audio_hop_frames: int = 96  # see log_mel.segment_examples
    batch_frames: int = 32  # frames per forward pass, to bound memory
    weights_meta = None  # the PackagedWeights an encoder loaded, when it loaded packaged ones

    @property
    def audio_front_end(self) -> str:
        """What :meth:`audio_input` feeds the audio network; encoders with their own front end override it."""
        return f"VGGish log-mel {EXAMPLE_FRAMES}x{NUM_MEL_BANDS}, hop {self.audio_hop_frames} frames"

    def __init__(self, weights: Any = None, **config):
        super().__init__()
        self.config = config
        self.weights_source = str(weights) if weights is not None else None

    # -- what subclasses provide ----------------------------------------------
    def embed_audio(self, examples: Tensor) -> Tensor:
        """N×… examples from :meth:`audio_input` (VGGish's N×1×96×64 log-mel by default) → N×Da."""
        raise NotImplementedError

    def embed_frames(self, frames: Tensor) -> Tensor:
        """N×3×S×S normalised frames → N×Dv×H×W maps."""
        raise NotImplementedError

    # -- the interface ---------------------------------------------------------
    @property
    def grid(self) -> tuple[int, int]:
        side = self.frame_size // self.stride if self.visual_dim else 0
        return side, side

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def load_weights(self, module: nn.Module, weights, packaged, read) -> None:
        """Fill ``module`` from ``weights``: ``RANDOM`` leaves it untrained, ``None`` takes the ``packaged`` weights
        (a PackagedWeights, hash-checked), a path that file; ``read(path)`` turns the file into a state dict."""
        if weights == RANDOM:
            return
        from explorer.encoders.weights import load_into

        path = Path(weights) if weights is not None else packaged.path()
        load_into(module, read(path), path)
        self.weights_source = str(path)
        self.weights_meta = packaged if weights is None else None

    def describe(self) -> dict:
        """Metadata for a feature store or a checkpoint card."""
        return {
            "encoder": self.name,
            "audio_dim": self.audio_dim,
            "visual_dim": self.visual_dim,
            "grid": list(self.grid),
            "frame_size": self.frame_size,
            "normalization": {key: list(value) for key, value in self.normalization.items()},
            "frames_per_segment": self.frames_per_segment,
            "audio_front_end": self.audio_front_end,
            "weights": self.weights_source,
            "config": self.config,
            **({"pretrained": self.weights_meta.describe()} if self.weights_meta is not None else {}),
        }

    def encode(self, clip) -> tuple[Tensor, Tensor]:
        return self.encode_batch([clip])[0]

    def encode_batch(self, clips: Sequence) -> list[tuple[Tensor, Tensor]]:
        """Encode several clips with shared forward passes; no gradients, eval mode.

        ``no_grad``, not ``inference_mode``: the features go straight into a model, and a model's forward with
        autograd on cannot save inference tensors for backward."""
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                return [(audio.float().cpu(), visual.float().cpu()) for audio, visual in self(clips)]
        finally:
            self.train(was_training)

    def forward(self, clips: Sequence) -> list[tuple[Tensor, Tensor]]:
        """Differentiable :meth:`encode_batch`, for training an encoder end to end."""
        for clip in clips:
            check_clip(clip, needs_frames=self.visual_dim > 0)
        segments = [clip.num_segments for clip in clips]
        audio = self._audio_features(clips)
        visual = self._visual_features(clips)
        return list(zip(audio.split(segments), visual.split(segments)))

    # -- the parts, public so that a training loop can call them ---------------
    def audio_input(self, clip) -> Tensor:
        """T×1×96×64 log-mel examples, one per segment (an encoder with its own front end overrides this)."""
        examples = segment_examples(clip.audio, clip.sample_rate, clip.num_segments, self.audio_hop_frames)
        return torch.from_numpy(examples).unsqueeze(1)

    def visual_input(self, clip) -> tuple[Tensor, Tensor]:
        """All frames resized (N×S×S×3 uint8) and the segment each belongs to (N)."""
        frames = [frame for segment in clip.frames for frame in segment]
        resized = np.zeros((len(frames), self.frame_size, self.frame_size, 3), np.uint8)
        for index, frame in enumerate(frames):
            resized[index] = resize_frame(frame, self.frame_size)
        counts = torch.tensor([len(segment) for segment in clip.frames])
        segment_ids = torch.repeat_interleave(torch.arange(clip.num_segments), counts)
        return torch.from_numpy(resized), segment_ids

    def normalize_frames(self, frames: Tensor) -> Tensor:
        """N×S×S×3 uint8 → N×3×S×S float, normalised; the permute leaves it channels-last in memory."""
        mean = torch.tensor(self.normalization["mean"], device=frames.device) * 255
        std = torch.tensor(self.normalization["std"], device=frames.device) * 255
        return ((frames.float() - mean) / std).permute(0, 3, 1, 2)

    def _audio_features(self, clips: Sequence) -> Tensor:
        total = sum(clip.num_segments for clip in clips)
        if not self.audio_dim:
            return torch.zeros(total, 0, device=self.device)
        examples = torch.cat([self.audio_input(clip) for clip in clips]).to(self.device)
        return torch.cat([self.embed_audio(chunk) for chunk in examples.split(self.batch_frames)])

    def _visual_features(self, clips: Sequence) -> Tensor:
        """(ΣT)×H×W×Dv: each segment's frame maps averaged; a segment without frames gets zeros."""
        height, width = self.grid
        total = sum(clip.num_segments for clip in clips)
        if not self.visual_dim:
            return torch.zeros(total, height, width, 0, device=self.device)
        frames, segment_ids, offset = [], [], 0
        for clip in clips:
            clip_frames, clip_ids = self.visual_input(clip)
            frames.append(clip_frames)
            segment_ids.append(clip_ids + offset)
            offset += clip.num_segments
        frames, segment_ids = torch.cat(frames), torch.cat(segment_ids).to(self.device)
        summed = torch.zeros(total, self.visual_dim, height, width, device=self.device)
        for start in range(0, len(frames), self.batch_frames):
            chunk = frames[start : start + self.batch_frames].to(self.device)
            maps = self.embed_frames(self.normalize_frames(chunk))
            summed.index_add_(0, segment_ids[start : start + self.batch_frames], maps.float())
        counts = torch.bincount(segment_ids, minlength=total).clamp(min=1)
        return (summed / counts[:, None, None, None]).permute(0, 2, 3, 1).contiguous()


def resize_frame(frame: np.ndarray, size: int) -> np.ndarray:
    """Squash a frame to size × size, so the feature grid covers the whole picture the app overlays it on."""
    if frame.shape[0] == size and frame.shape[1] == size:
        return frame
    shrinking = frame.shape[0] > size or frame.shape[1] > size
    return cv2.resize(frame, (size, size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def check_clip(clip, needs_frames: bool) -> None:
    """A clear MediaError when ``clip`` does not follow the Clip contract."""
    missing = [key for key in ("frames", "audio", "sample_rate", "num_segments") if not hasattr(clip, key)]
    if missing:
        raise MediaError(
            f"an encoder needs a Clip (from explorer.media.load_clip), got {type(clip).__name__} "
            f"without {', '.join(missing)}."
        )
    if not isinstance(clip.num_segments, (int, np.integer)) or clip.num_segments < 1:
        raise MediaError(f"a clip needs at least one 1-second segment, got num_segments={clip.num_segments!r}.")
    audio = clip.audio
    if not isinstance(audio, np.ndarray) or audio.ndim != 1 or not np.issubdtype(audio.dtype, np.floating):
        raise MediaError(f"clip audio must be a 1-D float numpy array, got {_describe(audio)}.")
    if not needs_frames:
        return
    if len(clip.frames) != clip.num_segments:
        raise MediaError(
            f"a clip with {clip.num_segments} segments must have {clip.num_segments} frame arrays, "
            f"got {len(clip.frames)}."
        )
    for t, frames in enumerate(clip.frames):
        if not isinstance(frames, np.ndarray) or frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise MediaError(f"segment {t} of the clip must hold F×H×W×3 uint8 RGB frames, got {_describe(frames)}.")


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} array of shape {value.shape}"
    return type(value).__name__
