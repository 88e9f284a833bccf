"""Train the demo: the ``compact`` encoders on clip labels, then all 13 models on their frozen features.

Only each clip's labels reach a loss, as in the paper: no where/when supervision anywhere, so whatever the
attention shows was learned. Splits come from disjoint corpus seeds. Clips are rendered in memory and cut to the
frames ``load_clip`` keeps from the mp4 the app decodes, so train-time and app-time features agree.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import TensorDataset
from tqdm.auto import tqdm

from explorer import metrics
from explorer.demo.corpus import APP_FPS, APP_SIZE, GroundTruth, as_decoded, iter_scenes
from explorer.demo.feature_cache import cached_features
from explorer.demo.scene import OBJECT_SCALE
from explorer.demo.sources import CLASS_NAMES
from explorer.encoders import Encoder, create_encoder
from explorer.encoders.base import RANDOM
from explorer.media import Clip
from explorer.models import ABLATION_MODELS, COMPARISON_MODELS, AVModel, create_model
from explorer.training import TrainResult, train

ALL_MODELS: tuple[str, ...] = tuple(dict.fromkeys(ABLATION_MODELS + COMPARISON_MODELS))
# Checkpoints beside the paper's 13 models: name -> (architecture, settings over the recipe's). STAN as the paper
# pools (Eq. 6), kept so that the report and the app can show what the demo's normalised pooling changes.
VARIANTS: dict[str, tuple[str, dict]] = {"stan_mean_pooling": ("stan", {"pooling": "mean"})}
DEMO_CHECKPOINTS: tuple[str, ...] = ALL_MODELS + tuple(VARIANTS)
RETRAIN_COMMAND = "explorer demo reproduce --out checkpoints/demo"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the demo models; the model cards record it."""

    train_clips: int = 1000
    val_clips: int = 200
    test_clips: int = 300
    encoder_clips: int = 1000  # the first clips of the train split train the encoders
    encoder_val_clips: int = 100
    train_seed: int = 1
    val_seed: int = 2
    test_seed: int = 3
    sample_seed: int = 4
    samples: int = 12
    encoder_steps: int = 1400
    visual_batch: int = 32  # clips per step for the visual CNN
    audio_batch: int = 4  # clips per step for the audio CNN (all their segments)
    encoder_frames: int = 1  # frames per clip in a visual step (the visual loss averages them)
    encoder_eval_every: int = 350
    encoder_lr: float = 2e-3
    epochs: int = 60
    patience: int = 10
    lr: float = 1e-3
    weight_decay: float = 1e-3  # with normalized pooling, 0 gave a worse temporal pointing game on held-out clips
    batch_size: int = 32
    schedule: str = "cosine"
    hidden: int = 64
    seed: int = 0
    sigma2_levels: tuple[float, ...] = tuple(round(0.1 * step, 1) for step in range(11))
    tvd_clips: int = 100
    tvd_draws: int = 20
    # STAN's settings over its defaults. Normalised pooling: with the paper's mean pooling the gates saturate at ~1
    # on the demo and explain nothing (reports/demo compares both).
    model_config: dict = field(default_factory=lambda: {"pooling": "normalized"})

    def describe(self) -> dict:
        return {**asdict(self), "sigma2_levels": list(self.sigma2_levels)}


FULL = Recipe()
QUICK = Recipe(train_clips=16, val_clips=6, test_clips=6, encoder_clips=8, encoder_val_clips=4, samples=2,
               encoder_steps=2, visual_batch=4, audio_batch=2, encoder_eval_every=2, epochs=1, patience=1, hidden=8,
               tvd_clips=4, tvd_draws=2, sigma2_levels=(0.0, 1.0))


def decoded_scenes(n: int, seed: int, frames_per_segment: int, object_scale: float = OBJECT_SCALE,
                   ) -> Iterator[tuple[Clip, GroundTruth]]:
    for clip, truth in iter_scenes(n, seed, fps=APP_FPS, size=APP_SIZE, object_scale=object_scale):
        yield as_decoded(clip, frames_per_segment), truth


# -- encoders ------------------------------------------------------------------------------------------------------
@dataclass
class EncoderInputs:
    frames: Tensor  # N×T×S×S×3 uint8: one of each segment's decoded frames
    examples: Tensor  # N×T×1×96×64 log-mel
    labels: Tensor  # N×K


def encoder_inputs(encoder: Encoder, n: int, seed: int, rng: np.random.Generator) -> EncoderInputs:
    frames, examples, labels = [], [], []
    for clip, truth in decoded_scenes(n, seed, encoder.frames_per_segment):
        clip_frames, _ = encoder.visual_input(clip)
        per_segment = clip_frames.view(clip.num_segments, encoder.frames_per_segment, *clip_frames.shape[1:])
        picks = torch.from_numpy(rng.integers(encoder.frames_per_segment, size=clip.num_segments))
        frames.append(per_segment[torch.arange(clip.num_segments), picks])
        examples.append(encoder.audio_input(clip))
        labels.append(torch.from_numpy(truth.labels))
    return EncoderInputs(torch.stack(frames), torch.stack(examples), torch.stack(labels))


class ClipHeads(nn.Module):
    """Linear clip classifiers on the encoders' pooled outputs: the only way labels reach the encoders."""

    def __init__(self, encoder: Encoder, num_classes: int):
        super().__init__()
        self.visual = nn.Linear(encoder.visual_dim, num_classes)
        self.audio = nn.Linear(encoder.audio_dim, num_classes)

    def visual_logits(self, encoder: Encoder, frames: Tensor) -> Tensor:
        """N×F frames → 7×7 maps → global average pool → mean over the clip's frames → linear."""
        maps = encoder.embed_frames(encoder.normalize_frames(frames.flatten(0, 1)))
        return self.visual(maps.mean(dim=(2, 3)).view(*frames.shape[:2], -1).mean(dim=1))

    def audio_logits(self, encoder: Encoder, examples: Tensor) -> Tensor:
        """N×T log-mel examples → one embedding per segment → max over the clip's segments → linear."""
        embeddings = encoder.embed_audio(examples.flatten(0, 1)).view(*examples.shape[:2], -1)
        return self.audio(embeddings.amax(dim=1))


@torch.no_grad()
def _encoder_val_map(encoder: Encoder, heads: ClipHeads, data: EncoderInputs, batch: int = 16) -> dict[str, float]:
    encoder.eval()
    parts = range(0, len(data.labels), batch)
    visual = torch.cat([heads.visual_logits(encoder, data.frames[i : i + batch]) for i in parts])
    audio = torch.cat([heads.audio_logits(encoder, data.examples[i : i + batch]) for i in parts])
    return {"visual_val_map": metrics.mean_average_precision(torch.sigmoid(visual), data.labels),
            "audio_val_map": metrics.mean_average_precision(torch.sigmoid(audio), data.labels)}


def train_encoder(recipe: Recipe, progress: bool = True) -> tuple[Encoder, dict]:
    """Train the compact visual and audio CNNs with clip-level BCE; returns the frozen encoder and a summary.

    Each step takes a batch of single frames (one random segment of each clip: every visible object is on screen the
    whole clip) and a smaller batch of whole clips' audio (the max over segments needs them all).
    """
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    encoder = create_encoder("compact", weights=RANDOM)
    train_data = encoder_inputs(encoder, recipe.encoder_clips, recipe.train_seed, rng)
    val_data = encoder_inputs(encoder, recipe.encoder_val_clips, recipe.val_seed, rng)
    heads = ClipHeads(encoder, len(CLASS_NAMES))
    optimizer = torch.optim.Adam([*encoder.parameters(), *heads.parameters()], lr=recipe.encoder_lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.encoder_steps)
    history, losses = [], []
    clips, segments = train_data.frames.shape[:2]
    for step in tqdm(range(1, recipe.encoder_steps + 1), desc="encoders", disable=not progress, leave=False):
        encoder.train()
        visual_clips = torch.from_numpy(rng.choice(clips, min(recipe.visual_batch, clips), replace=False))
        frame_segments = torch.from_numpy(rng.integers(segments, size=(len(visual_clips), recipe.encoder_frames)))
        audio_clips = torch.from_numpy(rng.choice(clips, min(recipe.audio_batch, clips), replace=False))
        frames = train_data.frames[visual_clips[:, None], frame_segments]
        visual_logits = heads.visual_logits(encoder, frames)
        audio_logits = heads.audio_logits(encoder, train_data.examples[audio_clips])
        loss = (F.binary_cross_entropy_with_logits(visual_logits, train_data.labels[visual_clips])
                + F.binary_cross_entropy_with_logits(audio_logits, train_data.labels[audio_clips]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        if step % recipe.encoder_eval_every == 0 or step == recipe.encoder_steps:
            validation = _encoder_val_map(encoder, heads, val_data)
            history.append({"step": step, "train_loss": float(np.mean(losses)), **validation})
            losses = []
            if progress:
                tqdm.write("encoders " + ", ".join(f"{key} {value:.3f}" for key, value in history[-1].items()))
    encoder.eval().requires_grad_(False)
    return encoder, {"history": history, "seconds": time.perf_counter() - started, **history[-1]}


# -- features --------------------------------------------------------------------------------------------------------
@dataclass
class FeatureSplit:
    """One split's features from the frozen encoder, with the ground truth the explanation tests need."""

    video_ids: list[str]
    audio: Tensor  # N×T×Da
    visual: Tensor  # N×T×H×W×Dv
    labels: Tensor  # N×K
    time_masks: np.ndarray  # N×T: 1 where a labelled event sounds
    event_masks: np.ndarray | None = None  # N×T×S×S uint8: the labelled objects at each segment's middle frame
    clips: list[Clip] | None = None  # kept only when asked (figures)

    def dataset(self) -> TensorDataset:
        return TensorDataset(self.audio, self.visual, self.labels, torch.arange(len(self.labels)))

    def head(self, n: int) -> "FeatureSplit":
        """The first ``n`` clips."""
        cut = lambda value: None if value is None else value[:n]  # noqa: E731
        return FeatureSplit(self.video_ids[:n], self.audio[:n], self.visual[:n], self.labels[:n],
                            self.time_masks[:n], cut(self.event_masks), cut(self.clips))


def extract_splits(
    encoders: Sequence[Encoder], n: int, seed: int, object_scale: float = OBJECT_SCALE, keep_clips: int = 0,
    cache: Path | None = None, progress: bool = True,
) -> list[FeatureSplit]:
    """Render ``n`` clips of ``seed`` once and encode them as the app would encode their mp4s, once per encoder
    (cached, see :mod:`explorer.demo.feature_cache`); one split per encoder, with the ground truth."""
    ids, truth, features = cached_features(encoders, n, seed, object_scale, cache, progress=progress)
    scenes = list(iter_scenes(keep_clips, seed, fps=APP_FPS, size=APP_SIZE, object_scale=object_scale)) \
        if keep_clips else []
    return [
        FeatureSplit(ids, encoded["audio"], encoded["visual"], truth["labels"], truth["time_masks"].numpy(),
                     truth["event_masks"].numpy(),
                     [as_decoded(clip, encoder.frames_per_segment) for clip, _ in scenes] or None)
        for encoder, encoded in zip(encoders, features)
    ]


def extract_features(encoder: Encoder, n: int, seed: int, **options) -> FeatureSplit:
    """:func:`extract_splits` for one encoder."""
    return extract_splits([encoder], n, seed, **options)[0]


# -- the 13 models ---------------------------------------------------------------------------------------------------
def model_config(name: str, recipe: Recipe) -> tuple[str, dict]:
    """The architecture of checkpoint ``name`` and its settings."""
    architecture, overrides = VARIANTS.get(name, (name, {}))
    config = {"hidden": recipe.hidden}
    if architecture.startswith("stan"):
        config.update(recipe.model_config)
    return architecture, {**config, **overrides}


def train_model(name: str, train_split: FeatureSplit, val_split: FeatureSplit, recipe: Recipe,
                progress: bool = False) -> tuple[AVModel, TrainResult, float]:
    """One model (a name of DEMO_CHECKPOINTS) with the shared recipe (Adam, schedule, seed, early stopping on val
    mAP)."""
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    architecture, config = model_config(name, recipe)
    model = create_model(architecture, len(CLASS_NAMES), train_split.audio.shape[-1], train_split.visual.shape[-1],
                         **config)
    result = train(model, train_split.dataset(), val_split.dataset(), epochs=recipe.epochs, lr=recipe.lr,
                   weight_decay=recipe.weight_decay, batch_size=recipe.batch_size, seed=recipe.seed,
                   patience=recipe.patience, schedule=recipe.schedule, progress=progress)
    return model.eval(), result, time.perf_counter() - started
