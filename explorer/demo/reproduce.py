"""``explorer demo reproduce``: features from the pretrained encoders, the models, the sample clips and the report."""

from __future__ import annotations

import inspect
import json
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

from explorer.demo.corpus import build_corpus
from explorer.demo.report import FIGURE4_CLIPS, write_report
from explorer.demo.scoring import check_targets, evaluate_demo_model, lead_with
from explorer.demo.sources import CLASS_NAMES
from explorer.demo.training import (
    CHECKPOINT_SELECTIONS,
    DEMO_CHECKPOINTS,
    RETRAIN_COMMAND,
    FeatureSplit,
    Recipe,
    checkpoint_selection,
    demo_encoder,
    extract_splits,
    model_config,
    train_model,
    with_outlier_clips,
)
from explorer.demo.workers import run_jobs
from explorer.encoders import Encoder
from explorer.errors import ExplorerError
from explorer.evaluation import json_ready
from explorer.explain.familiarity import FeatureReference, encoder_identity
from explorer.models import load_checkpoint, model_spec, save_checkpoint
from explorer.models.stan import STAN
from explorer.paths import make_folder

# Why each STAN checkpoint pools as it does; its model card quotes this.
POOLING_NOTES = {
    "mean": "mean: the paper's Eq. 6 (A^st·x^st averaged over T×H×W). Kept for comparison: on the demo its gates "
    "saturate at ~1 and its attention explains nothing (see reports/demo).",
    "normalized": "normalized: Σ A^st·x^st / Σ A^st, chosen for the demo because it makes the attention selective "
    "(reports/demo); attention is reported divided by its per-clip maximum, which the model ignores.",
    "factored": "factored: space normalised within each segment, time over segments, chosen for the demo because "
    "it makes the attention selective (reports/demo); attention is reported divided by its maximum "
    "(space per segment, time per clip), which the model ignores.",
}


def card_encoder(encoder: Encoder) -> dict:
    """The card's entry for the encoder pair, as JSON reads it back."""
    return json.loads(json.dumps(json_ready({**encoder.describe(), "name": encoder.name})))


def write_feature_reference(out: Path, encoder: Encoder, train: FeatureSplit, val: FeatureSplit, recipe: Recipe):
    """The training clips' feature statistics beside the checkpoints, for the app's familiarity warning."""
    source = (
        f"the seconds of {recipe.train_clips} training clips of demo seed {recipe.train_seed}; threshold: the 99th "
        f"percentile of {recipe.val_clips} validation clips of seed {recipe.val_seed}, their first seconds as many as "
        "the clip's"
    )
    identity = encoder_identity(card_encoder(encoder))
    FeatureReference.fit(identity, (train.audio, train.visual), (val.audio, val.visual), source).save(out)


def model_card(name: str, metrics: dict, training: dict, encoder: Encoder, recipe: Recipe) -> dict:
    """The card names the encoder pair, its configuration and each part's packaged weights (package, version, hash)."""
    card = {
        "dataset": "demo",
        "classes": list(CLASS_NAMES),
        "encoder": card_encoder(encoder),
        "metrics": metrics,
        "metrics_split": f"test: {recipe.test_clips} clips of demo seed {recipe.test_seed} (never used in training)",
        "training": training,
        "training_command": RETRAIN_COMMAND,
    }
    preset, config = model_config(name, recipe)
    if model_spec(preset).family == "stan":
        card.update(stan_option_notes(config))
    if preset == "stan":
        card["targets"] = check_targets(metrics)
        card["lead_with"] = lead_with(metrics)
    return json_ready(card)  # strict JSON: a ratio over a zero TVD (a tiny --quick model) is infinite


# What each STAN option of a checkpoint means and why the demo chose it, by option and value.
STAN_OPTION_NOTES = {
    "pooling": POOLING_NOTES,
    "time_gating": {
        "mlp": "mlp: the paper's F^t_gate, an MLP over each second's class activation values.",
        "agreement": "agreement (beyond the paper): A^t_t = max_k σ(a_tk)·σ(v_tk) of the audio and visual halves "
        "of the CAV, so a second counts when some class is both heard and seen in it; chosen for the demo because "
        "the paper's MLP gate attends to any sound, off-screen ones too (docs/DEMO.md, the levers).",
    },
    "space_gating": {
        "conv": "conv: the paper's F_space-gate, a convolution over each second's class activation maps.",
        "agreement": "agreement (beyond the paper): A^s_thw = max_k σ(v_thwk)·σ(a_tk) of the visual and audio "
        "halves of the CAM, so a location counts when it shows a class that is heard in its second; chosen for "
        "the demo because its peak finds the sounding object more often than the conv gate's (docs/DEMO.md, the "
        "levers).",
    },
    "aux_pooling": {
        "mean": "mean: L_CAM and L_CAV on the global average of the CAM and CAV, as the paper.",
        "attention": "attention (beyond the paper): L_CAM and L_CAV on the CAM and CAV averaged with the attention "
        "weights, so only where and when the model looks must show the clip's classes (docs/DEMO.md, the levers).",
    },
    "audio_context": {
        "mean": "mean: each second's audio beside the clip's mean audio ā, [a_t, ā], as the paper (Eq. 1).",
        "none": "none (beyond the paper): each second's audio a_t alone, without the clip's mean ā, through which "
        "noise on the seconds A^t rates irrelevant moved every second's feature (docs/DEMO.md, the levers).",
    },
    # Numbers: a sentence with the value (1 is the paper's).
    "space_sharpness": "{value:g}: A^s raised to this power before it pools (1: the paper's gate as it is).",
    "time_sharpness": "{value:g}: A^t raised to this power before it pools (1: the paper's gate as it is).",
    "space_floor": "{value:g}: A^s cut to 0 under this share of its peak, (A − τ)₊ / (1 − τ) (0: the paper's gate).",
    "time_floor": "{value:g}: A^t cut to 0 under this share of its peak, (A − τ)₊ / (1 − τ) (0: the paper's gate).",
    "space_contrast": "{value:g}: A^s mapped to A^c / (A^c + (1 − A)^c), half its peak kept (1: the paper's gate).",
    "time_contrast": "{value:g}: A^t mapped to A^c / (A^c + (1 − A)^c), half its peak kept (1: the paper's gate).",
}


def stan_option_notes(config: dict) -> dict[str, str]:
    """Each STAN option of a model ``config``, with what it means and why (the model's default where unset)."""
    defaults = inspect.signature(STAN).parameters  # the model's own defaults: the paper's choices
    notes = {}
    for option, meanings in STAN_OPTION_NOTES.items():
        value = config.get(option, defaults[option].default)
        notes[option] = meanings[value] if isinstance(meanings, dict) else meanings.format(value=value)
    return notes


class StageTimer:
    """Prints and keeps the wall time of each stage."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.seconds[name] = time.perf_counter() - started
        print(f"[{name}] {self.seconds[name]:.1f} s", flush=True)


def reproduce(
    out: Path,
    samples_out: Path,
    report_out: Path,
    recipe: Recipe,
    progress: bool = True,
    cache: Path | None = None,
    only: Sequence[str] = (),
    workers: int = 1,
) -> dict:
    """Run every stage; returns the timings and each model's test metrics. Features are cached (``cache``, else
    ``$EXPLORER_DEMO_CACHE`` or ~/.cache/stan-explorer), so a rerun trains without rendering or encoding.

    ``only``: retrain just these checkpoints; the others are read back from ``out`` with the test metrics their cards
    hold, the samples are left as they are, and the report is written again from all of them.

    ``workers``: processes that encode the feature chunks, train and score the models and score the explanation
    methods side by side (:mod:`explorer.demo.workers`); 1 does it all here."""
    if workers < 1:
        raise ExplorerError(f"--workers must be at least 1, got {workers}.")
    unknown = sorted(set(only) - set(DEMO_CHECKPOINTS))
    if unknown:
        raise ExplorerError(f"--only names checkpoints the demo does not have: {', '.join(unknown)}.")
    for folder, what in ((out, "checkpoints"), (samples_out, "samples"), (report_out, "report")):
        make_folder(folder, what)
    timer = StageTimer()
    encoder = demo_encoder(recipe)
    with timer.stage("features"):
        options = {"object_scale": recipe.object_scale, "cache": cache, "progress": progress, "workers": workers}
        (train_split,) = extract_splits([encoder], recipe.train_clips, recipe.train_seed, **options)
        (val_split,) = extract_splits([encoder], recipe.val_clips, recipe.val_seed, **options)
        (test_split,) = extract_splits(
            [encoder], recipe.test_clips, recipe.test_seed, keep_clips=FIGURE4_CLIPS, **options
        )
        # The familiarity reference keeps to the ordinary clips: what the demo's footage looks like.
        write_feature_reference(out, encoder, train_split, val_split, recipe)
        train_split = with_outlier_clips(train_split, encoder, recipe, **options)
    results, models = {}, {}
    with timer.stage("models"):
        # The paper's tables start with the cheap single-sense models: trained last, they keep every worker busy
        # to the end (the audio baselines take seconds, the audio-visual STANs minutes).
        retrained = [name for name in reversed(DEMO_CHECKPOINTS) if not only or name in only]
        for name in DEMO_CHECKPOINTS:
            if name not in retrained:
                models[name] = load_checkpoint(out / name)
                results[name] = models[name].card["metrics"]

        def train_and_score(name: str):
            model, trained, seconds = train_model(name, train_split, val_split, recipe)
            return model, trained, seconds, evaluate_demo_model(model, test_split, recipe)

        for name, (model, trained, seconds, metrics) in zip(retrained, run_jobs(train_and_score, retrained, workers)):
            training = {
                "recipe": recipe.describe(),
                "best_epoch": trained.best_epoch,
                "epochs_run": len(trained.history),
                "val_metrics": trained.val_metrics,
                "wall_seconds": round(seconds, 1),
                "checkpoint_selection": CHECKPOINT_SELECTIONS[checkpoint_selection(name, recipe)].card_text,
            }
            card = model_card(name, metrics, json_ready(training), encoder, recipe)
            save_checkpoint(model, out / name, card)
            results[name], models[name] = metrics, model
            print(
                f"  {name}: top-1 {metrics['top1']:.1f}  mAP {metrics['map']:.1f}  F {metrics['f_score']:.1f}  "
                f"({len(trained.history)} epochs, {seconds:.0f} s)",
                flush=True,
            )
        models = {name: models[name] for name in DEMO_CHECKPOINTS}  # table order, whichever finished first
        results = {name: results[name] for name in DEMO_CHECKPOINTS}
    with timer.stage("samples"):
        if only:
            print(f"  samples: kept in {samples_out} (only {', '.join(only)} retrained)")
        else:
            build_corpus(
                samples_out,
                n=recipe.samples,
                seed=recipe.sample_seed,
                progress=progress,
                object_scale=recipe.object_scale,
            )
    with timer.stage("report"):
        write_report(
            models, test_split, results, report_out, recipe, source=f"seed {recipe.test_seed}", workers=workers
        )
    summary = {"stage_seconds": timer.seconds, "encoder": encoder.describe(), "metrics": results}
    (report_out / "reproduce.json").write_text(json.dumps(json_ready(summary), indent=1) + "\n", encoding="utf-8")
    return summary
