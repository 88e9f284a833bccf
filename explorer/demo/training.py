"""Train the demo: the ``compact`` encoders on clip labels, then all 13 models on their frozen features.

Only each clip's labels reach a loss, as in the paper: no where/when supervision anywhere, so whatever the
attention shows was learned. Splits come from disjoint corpus seeds. Clips are rendered in memory and cut to the
frames ``load_clip`` keeps from the mp4 the app decodes, so train-time and app-time features agree.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.data import TensorDataset
from tqdm.auto import tqdm

from explorer import metrics
from explorer.demo.corpus import GroundTruth, iter_scenes
from explorer.demo.sources import CLASS_NAMES
from explorer.encoders import Encoder, create_encoder
from explorer.encoders.base import RANDOM
from explorer.media import Clip
from explorer.models import ABLATION_MODELS, COMPARISON_MODELS, AVModel, create_model
from explorer.training import TrainResult, train

APP_FPS, APP_SIZE = 8, 224  # what ``explorer demo build`` writes and the app decodes
ALL_MODELS: tuple[str, ...] = tuple(dict.fromkeys(ABLATION_MODELS + COMPARISON_MODELS))
RETRAIN_COMMAND = "explorer demo reproduce --out checkpoints/demo"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the demo models; the model cards record it."""

    train_clips: int = 1500
    val_clips: int = 300
    test_clips: int = 300
    encoder_clips: int = 400  # the first clips of the train split train the encoders
    encoder_val_clips: int = 100
    train_seed: int = 1
    val_seed: int = 2
    test_seed: int = 3
    sample_seed: int = 4
    samples: int = 12
    encoder_epochs: int = 6
    encoder_batch: int = 16
    encoder_frames: int = 3  # frames per clip in an encoder step (the visual loss averages them)
    encoder_lr: float = 2e-3
    epochs: int = 60
    patience: int = 10
    lr: float = 1e-3
    batch_size: int = 32
    schedule: str = "cosine"
    hidden: int = 64
    seed: int = 0
    sigma2_levels: tuple[float, ...] = tuple(round(0.1 * step, 1) for step in range(11))
    tvd_clips: int = 100
    tvd_draws: int = 20
    model_config: dict = field(default_factory=dict)  # extra per-architecture settings, e.g. space_gate_layers

    def describe(self) -> dict:
        return {**asdict(self), "sigma2_levels": list(self.sigma2_levels)}


FULL = Recipe()
QUICK = Recipe(train_clips=16, val_clips=6, test_clips=6, encoder_clips=8, encoder_val_clips=4, samples=2,
               encoder_epochs=1, encoder_batch=4, epochs=1, patience=1, hidden=8, tvd_clips=4, tvd_draws=2,
               sigma2_levels=(0.0, 1.0))


def as_decoded(clip: Clip, frames_per_segment: int) -> Clip:
    """The frames ``load_clip`` keeps from this clip's mp4: each second, the one on screen at t + (k + 0.5) / F."""
    rate = clip.frames[0].shape[0]
    picks = [int((k + 0.5) * rate / frames_per_segment) for k in range(frames_per_segment)]
    return Clip.from_arrays([segment[picks] for segment in clip.frames], clip.audio, clip.sample_rate)


def decoded_scenes(n: int, seed: int, frames_per_segment: int) -> Iterator[tuple[Clip, GroundTruth]]:
    for clip, truth in iter_scenes(n, seed, fps=APP_FPS, size=APP_SIZE):
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

    def forward(self, encoder: Encoder, frames: Tensor, examples: Tensor) -> tuple[Tensor, Tensor]:
        """Visual: 7×7 map → global average pool → mean over the frames. Audio: per segment → max over segments."""
        n, t = examples.shape[:2]
        maps = encoder.embed_frames(encoder.normalize_frames(frames.flatten(0, 1)))
        visual = maps.mean(dim=(2, 3)).view(n, -1, encoder.visual_dim).mean(dim=1)
        audio = encoder.embed_audio(examples.flatten(0, 1)).view(n, t, encoder.audio_dim).amax(dim=1)
        return self.visual(visual), self.audio(audio)


@torch.no_grad()
def _encoder_val_map(encoder: Encoder, heads: ClipHeads, data: EncoderInputs, batch: int) -> dict[str, float]:
    encoder.eval()
    outputs = [heads(encoder, data.frames[i : i + batch], data.examples[i : i + batch])
               for i in range(0, len(data.labels), batch)]
    visual, audio = (torch.sigmoid(torch.cat([out[j] for out in outputs])) for j in (0, 1))
    return {"visual_val_map": metrics.mean_average_precision(visual, data.labels),
            "audio_val_map": metrics.mean_average_precision(audio, data.labels)}


def train_encoder(recipe: Recipe, progress: bool = True) -> tuple[Encoder, dict]:
    """Train the compact visual and audio CNNs with clip-level BCE; returns the frozen encoder and a summary."""
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    rng = np.random.default_rng(recipe.seed)
    encoder = create_encoder("compact", weights=RANDOM)
    train_data = encoder_inputs(encoder, recipe.encoder_clips, recipe.train_seed, rng)
    val_data = encoder_inputs(encoder, recipe.encoder_val_clips, recipe.val_seed, rng)
    heads = ClipHeads(encoder, len(CLASS_NAMES))
    parameters = [*encoder.parameters(), *heads.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=recipe.encoder_lr)
    steps = recipe.encoder_epochs * -(-recipe.encoder_clips // recipe.encoder_batch)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)
    history = []
    for epoch in range(1, recipe.encoder_epochs + 1):
        encoder.train()
        order = torch.randperm(recipe.encoder_clips)
        losses = []
        batches = order.split(recipe.encoder_batch)
        for batch in tqdm(batches, desc=f"encoders {epoch}/{recipe.encoder_epochs}", disable=not progress, leave=False):
            segments = torch.from_numpy(rng.permuted(
                np.tile(np.arange(train_data.frames.shape[1]), (len(batch), 1)), axis=1)[:, : recipe.encoder_frames])
            frames = train_data.frames[batch[:, None], segments]
            visual_logits, audio_logits = heads(encoder, frames, train_data.examples[batch])
            labels = train_data.labels[batch]
            loss = (F.binary_cross_entropy_with_logits(visual_logits, labels)
                    + F.binary_cross_entropy_with_logits(audio_logits, labels))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
        history.append({"epoch": epoch, "train_loss": float(np.mean(losses)),
                        **_encoder_val_map(encoder, heads, val_data, recipe.encoder_batch)})
        if progress:
            tqdm.write(f"encoders epoch {epoch}: " + ", ".join(f"{k} {v:.3f}" for k, v in history[-1].items() if k != "epoch"))
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


def extract_features(
    encoder: Encoder, n: int, seed: int, with_masks: bool = False, keep_clips: int = 0, batch: int = 8,
    progress: bool = True,
) -> FeatureSplit:
    """Render ``n`` clips of ``seed`` and encode them as the app would encode their mp4s."""
    ids, audio, visual, labels, time_masks, event_masks, clips, pending = [], [], [], [], [], [], [], []

    def flush() -> None:
        if not pending:
            return
        for features_audio, features_visual in encoder.encode_batch(pending):
            audio.append(features_audio)
            visual.append(features_visual)
        pending.clear()

    scenes = decoded_scenes(n, seed, encoder.frames_per_segment)
    for clip, truth in tqdm(scenes, total=n, desc=f"features seed {seed}", disable=not progress, leave=False):
        ids.append(truth.video_id)
        labels.append(torch.from_numpy(truth.labels))
        time_masks.append(truth.time_mask.max(axis=1))
        if with_masks:
            event_masks.append(truth.event_mask)
        if len(clips) < keep_clips:
            clips.append(clip)
        pending.append(clip)
        if len(pending) == batch:
            flush()
    flush()
    return FeatureSplit(ids, torch.stack(audio), torch.stack(visual), torch.stack(labels), np.stack(time_masks),
                        np.stack(event_masks) if with_masks else None, clips or None)


# -- the 13 models ---------------------------------------------------------------------------------------------------
def model_config(name: str, recipe: Recipe) -> dict:
    config = {"hidden": recipe.hidden}
    if name.startswith("stan"):
        config.update(recipe.model_config)
    return config


def train_model(name: str, train_split: FeatureSplit, val_split: FeatureSplit, recipe: Recipe,
                progress: bool = False) -> tuple[AVModel, TrainResult, float]:
    """One model with the shared recipe (Adam, schedule, seed, early stopping on val mAP)."""
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    model = create_model(name, len(CLASS_NAMES), train_split.audio.shape[-1], train_split.visual.shape[-1],
                         **model_config(name, recipe))
    result = train(model, train_split.dataset(), val_split.dataset(), epochs=recipe.epochs, lr=recipe.lr,
                   batch_size=recipe.batch_size, seed=recipe.seed, patience=recipe.patience,
                   schedule=recipe.schedule, progress=progress)
    return model.eval(), result, time.perf_counter() - started
