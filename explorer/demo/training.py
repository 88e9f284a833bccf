"""Train the demo as the paper trains: all 13 models on the frozen features of pretrained encoders.

The encoders come pretrained from registry packages (EfficientNet-Lite0 on ImageNet, aiSFX on sound-effects
libraries); only the models are trained, and only each clip's labels reach a loss: no where/when supervision
anywhere, so whatever the attention shows was learned. Splits come from disjoint corpus seeds. Clips are rendered in
memory and cut to the frames ``load_clip`` keeps from the mp4 the app decodes, so train-time and app-time
features agree.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import TensorDataset

from explorer.demo.corpus import APP_FPS, APP_SIZE, as_decoded, iter_scenes
from explorer.demo.feature_cache import cached_features
from explorer.demo.scene import OBJECT_SCALE
from explorer.demo.sources import CLASS_NAMES
from explorer.encoders import Encoder, create_encoder
from explorer.explain import pointing_game, spatial_pointing_game
from explorer.explain.pointing import tolerant_mask
from explorer.media import Clip
from explorer.models import PAPER_TABLES, AVModel, create_model, model_spec, preset_config, table_models
from explorer.training import Predictions, TrainResult, train

ALL_MODELS: tuple[str, ...] = tuple(dict.fromkeys(name for table in PAPER_TABLES for name in table_models(table)))
# Presets trained beside the paper's 13 models: STAN as the paper pools, kept so that the report and the app can
# show what the demo's normalised pooling changes. Each is saved under its name with "_" for ".".
DEMO_PRESETS: tuple[str, ...] = ("stan.mean_pooling",)
PRESET_CHECKPOINTS: tuple[str, ...] = tuple(preset.replace(".", "_") for preset in DEMO_PRESETS)
DEMO_CHECKPOINTS: tuple[str, ...] = ALL_MODELS + PRESET_CHECKPOINTS
RETRAIN_COMMAND = "explorer demo reproduce --out checkpoints/demo"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides the demo models; the model cards record it."""

    train_clips: int = 1000
    val_clips: int = 200
    test_clips: int = 300
    train_seed: int = 1
    val_seed: int = 2
    test_seed: int = 3
    sample_seed: int = 4
    samples: int = 12
    # Frozen pretrained encoders (docs/ENCODERS.md says why these): audio and visual network, and the visual map.
    audio_encoder: str = "aisfx"
    visual_encoder: str = "efficientnet_lite0"
    encoder_config: dict = field(
        default_factory=lambda: {"layer": "stride16+concepts", "output_stride": 16, "frames_per_segment": 1}
    )
    object_scale: float = OBJECT_SCALE
    # Outlier clips of the train seed added to its training clips: objects of no demo class, seen and heard, with no
    # label (OUTLIER_CLASSES). The tenth pass (docs/DEMO.md, benchmarks/outlier_clips.py, three training seeds each):
    # 250 beside the 1000 clips keep every demo score, improve A^t, and double the real videos of unknown classes
    # kept unsure, at a lower confidence everywhere; the reproduce stays under 30 minutes. Validation and test never
    # hold them.
    outlier_clips: int = 250
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
    # The perturbation test's noise: "fast" draws the exact path's distribution ~9× faster on STAN's test clips.
    tvd_sampling: str = "fast"
    method_clips: int = 40  # test clips the explanation methods are scored on (occlusion is slow)
    methods: tuple[str, ...] = ()  # the explanation methods scored; () for every one
    # Settings over the defaults of the STAN family. Normalised pooling: with the paper's mean pooling the gates
    # saturate at ~1 on the demo and explain nothing (reports/demo compares both).
    model_config: dict = field(default_factory=lambda: {"pooling": "normalized"})
    # Settings of the audio-visual STAN alone (not its presets or single-sense ablations), each a lever measured alone
    # (benchmarks/demo_levers.py, docs/DEMO.md): the agreement gates (the paper's MLP time gate attends to any sound,
    # an off-screen one too), L_CAM / L_CAV where the model looks, no clip-mean audio ā (noise on irrelevant seconds
    # reached every second through it), A^s squared and the square root of A^t, then both with a contrast about half
    # their peak, 3 on both (the seventh and eighth passes: the weight leaves what the perturbation test calls
    # irrelevant).
    # How the audio-visual STAN's checkpoint is picked (:data:`CHECKPOINT_SELECTIONS`); every other model: val mAP.
    stan_selection: str = "class_maps"
    stan_config: dict = field(
        default_factory=lambda: {
            "time_gating": "agreement",
            "space_gating": "agreement",
            "aux_pooling": "attention",
            "audio_context": "none",
            "space_sharpness": 2.0,
            "time_sharpness": 0.5,
            "space_contrast": 3.0,
            "time_contrast": 3.0,
        }
    )

    def describe(self) -> dict:
        return {**asdict(self), "sigma2_levels": list(self.sigma2_levels)}


FULL = Recipe()
QUICK = Recipe(
    train_clips=16,
    outlier_clips=4,
    val_clips=6,
    test_clips=6,
    samples=2,
    epochs=1,
    patience=1,
    hidden=8,
    tvd_clips=4,
    method_clips=2,
    tvd_draws=2,
    sigma2_levels=(0.0, 1.0),
)


# -- encoders ------------------------------------------------------------------------------------------------------
def demo_encoder(recipe: Recipe) -> Encoder:
    """The frozen pretrained pair the recipe names (weights from registry packages, nothing trained here)."""
    return create_encoder(f"{recipe.audio_encoder}+{recipe.visual_encoder}", **recipe.encoder_config)


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

    def plus(self, other: "FeatureSplit") -> "FeatureSplit":
        """This split's clips, then ``other``'s (clips kept only when both keep them)."""
        both = lambda mine, theirs, join: None if mine is None or theirs is None else join([mine, theirs])  # noqa: E731
        return FeatureSplit(
            self.video_ids + other.video_ids,
            torch.cat([self.audio, other.audio]),
            torch.cat([self.visual, other.visual]),
            torch.cat([self.labels, other.labels]),
            np.concatenate([self.time_masks, other.time_masks]),
            both(self.event_masks, other.event_masks, np.concatenate),
            both(self.clips, other.clips, lambda parts: parts[0] + parts[1]),
        )

    def head(self, n: int) -> "FeatureSplit":
        """The first ``n`` clips."""
        cut = lambda value: None if value is None else value[:n]  # noqa: E731
        return FeatureSplit(
            self.video_ids[:n],
            self.audio[:n],
            self.visual[:n],
            self.labels[:n],
            self.time_masks[:n],
            cut(self.event_masks),
            cut(self.clips),
        )


def extract_splits(
    encoders: Sequence[Encoder],
    n: int,
    seed: int,
    object_scale: float = OBJECT_SCALE,
    keep_clips: int = 0,
    cache: Path | None = None,
    progress: bool = True,
    workers: int = 1,
    outliers: bool = False,
) -> list[FeatureSplit]:
    """Render ``n`` clips of ``seed`` (its outlier clips with ``outliers``) once and encode them as the app would
    encode their mp4s, once per encoder (cached, see :mod:`explorer.demo.feature_cache`; ``workers`` processes fill
    the missing chunks); one split per encoder, with the ground truth."""
    ids, truth, features = cached_features(
        encoders, n, seed, object_scale, cache, progress=progress, workers=workers, outliers=outliers
    )
    scenes = (
        list(iter_scenes(keep_clips, seed, fps=APP_FPS, size=APP_SIZE, object_scale=object_scale)) if keep_clips else []
    )
    return [
        FeatureSplit(
            ids,
            encoded["audio"],
            encoded["visual"],
            truth["labels"],
            truth["time_masks"].numpy(),
            truth["event_masks"].numpy(),
            [as_decoded(clip, encoder.frames_per_segment) for clip, _ in scenes] or None,
        )
        for encoder, encoded in zip(encoders, features)
    ]


def extract_features(encoder: Encoder, n: int, seed: int, **options) -> FeatureSplit:
    """:func:`extract_splits` for one encoder."""
    return extract_splits([encoder], n, seed, **options)[0]


def with_outlier_clips(train: FeatureSplit, encoder: Encoder, recipe: Recipe, **options) -> FeatureSplit:
    """The training split followed by the recipe's outlier clips of the train seed (none when it names none);
    ``options`` as :func:`extract_splits` takes them."""
    if not recipe.outlier_clips:
        return train
    return train.plus(extract_features(encoder, recipe.outlier_clips, recipe.train_seed, outliers=True, **options))


# -- the 13 models ---------------------------------------------------------------------------------------------------
def model_config(name: str, recipe: Recipe) -> tuple[str, dict]:
    """What to build for checkpoint ``name`` (a model, or a preset saved as ``stan_mean_pooling``) and the
    settings it is built with: the recipe's, then the preset's own."""
    preset = dict(zip(PRESET_CHECKPOINTS, DEMO_PRESETS)).get(name, name)
    config = {"hidden": recipe.hidden}
    if model_spec(preset).family == "stan":
        config.update(recipe.model_config)
    if preset == "stan":
        config.update(recipe.stan_config)
    return preset, {**config, **preset_config(preset)}


# Checkpoint selection on a where/when score of the validation seed, no training signal (the losses see labels only):
# the peak's hit rate within 15 px minus the pointing MAE, of STAN's class maps (its top class's CAM and CAV) or of
# its gates (A^s, A^t), as :class:`Predictions` fields. Measured alone on seed 5 (docs/DEMO.md, the levers); a card
# whose model was picked so says it.
class CheckpointSelection(NamedTuple):
    """A where/when score's two :class:`Predictions` fields (None: val mAP) and the sentence a card gives for it."""

    space_field: str | None
    time_field: str | None
    card_text: str


CHECKPOINT_SELECTIONS = {
    "map": CheckpointSelection(None, None, "best validation mAP (no where/when score)"),
    "class_maps": CheckpointSelection(
        "class_space",
        "class_time",
        "best validation where/when score of STAN's class maps: the top class's CAM hit within 15 px minus its "
        "CAV's pointing MAE, on the validation seed's object masks and event seconds (the losses still see labels "
        "only)",
    ),
    "gates": CheckpointSelection(
        "space_attention",
        "time_attention",
        "best validation where/when score of STAN's gates: A^s's hit within 15 px minus A^t's pointing MAE, on the "
        "validation seed's object masks and event seconds (the losses still see labels only)",
    ),
}


def checkpoint_selection(name: str, recipe: Recipe) -> str:
    """The key of :data:`CHECKPOINT_SELECTIONS` that picks checkpoint ``name``'s weights."""
    return recipe.stan_selection if model_config(name, recipe)[0] == "stan" else "map"


def where_when_score(val_split: FeatureSplit, selection: str) -> Callable[[Predictions], float] | None:
    """The validation score of ``selection`` (None for val mAP, the trainer's default); every val clip is annotated."""
    if selection not in CHECKPOINT_SELECTIONS:
        raise ValueError(f"checkpoint selection must be one of {', '.join(CHECKPOINT_SELECTIONS)}, got {selection!r}")
    space_field, time_field, _ = CHECKPOINT_SELECTIONS[selection]
    if space_field is None:
        return None
    # The masks grown by the 15 px once, not at every epoch's score: a hit inside them is a hit within 15 px.
    object_masks = [np.stack([tolerant_mask(mask) for mask in clip]) for clip in val_split.event_masks]
    time_masks = list(val_split.time_masks)

    def score(predictions: Predictions) -> float:
        space, time_map = getattr(predictions, space_field), getattr(predictions, time_field)
        if space is None or time_map is None:
            raise ValueError(f"checkpoint selection {selection!r} needs a model with {space_field} and {time_field}")
        hit = spatial_pointing_game(space, object_masks)
        return hit - pointing_game(time_map, time_masks)

    return score


def train_model(
    name: str,
    train_split: FeatureSplit,
    val_split: FeatureSplit,
    recipe: Recipe,
    progress: bool = False,
    selection: str | None = None,
) -> tuple[AVModel, TrainResult, float]:
    """One model (a name of DEMO_CHECKPOINTS) with the shared recipe (Adam, schedule, seed, early stopping on the
    validation score of ``selection``, by default :func:`checkpoint_selection`'s)."""
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    val_score = where_when_score(val_split, selection or checkpoint_selection(name, recipe))
    preset, config = model_config(name, recipe)
    model = create_model(preset, len(CLASS_NAMES), train_split.audio.shape[-1], train_split.visual.shape[-1], **config)
    result = train(
        model,
        train_split.dataset(),
        val_split.dataset(),
        epochs=recipe.epochs,
        lr=recipe.lr,
        weight_decay=recipe.weight_decay,
        batch_size=recipe.batch_size,
        seed=recipe.seed,
        patience=recipe.patience,
        schedule=recipe.schedule,
        progress=progress,
        val_score=val_score,
    )
    return model.eval(), result, time.perf_counter() - started
