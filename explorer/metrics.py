"""Multi-label recognition metrics of the paper (§4.1), in percent.

``scores`` are N×K (clips × classes) and ``targets`` N×K in {0, 1}; either may be
a numpy array or a torch tensor. The definitions follow scikit-learn's, which
the project does not depend on:

- ``mean_average_precision`` is the paper's mAP, "the average fraction of relevant
  labels ranked higher than other labels": label ranking average precision
  (sklearn's ``label_ranking_average_precision_score``), example-based.
- ``class_mean_average_precision`` is the other, class-wise mAP (per-class
  average precision, macro-averaged), reported alongside for comparison.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from explorer.checks import as_numpy, check_binary, check_shape_match, check_unit_range
from explorer.errors import InvalidInputError


def _scores_and_targets(scores: Any, targets: Any) -> tuple[np.ndarray, np.ndarray]:
    scores = as_numpy(scores, "scores")
    targets = as_numpy(targets, "targets")
    if scores.ndim != 2:
        raise InvalidInputError(f"scores must be N×K (clips × classes), got shape {scores.shape}")
    check_shape_match(scores, targets, "scores", "targets")
    if scores.size == 0:
        raise InvalidInputError(f"scores need at least one clip and one class, got shape {scores.shape}")
    check_binary(targets, "targets")
    return scores, targets.astype(bool)


def top1_accuracy(scores: Any, targets: Any) -> float:
    """Percent of clips whose top-scored label is relevant (the first one on ties)."""
    scores, targets = _scores_and_targets(scores, targets)
    best = scores.argmax(axis=1)
    return 100.0 * float(targets[np.arange(len(scores)), best].mean())


def mean_average_precision(scores: Any, targets: Any) -> float:
    """The paper's mAP: label ranking average precision, in percent.

    For clip i and relevant label j: |{relevant l: s_l ≥ s_j}| / |{l: s_l ≥ s_j}|,
    averaged over the relevant labels, then over clips. As in scikit-learn, ties
    count with ≥ and a clip whose labels are all relevant or all irrelevant scores 1.
    """
    scores, targets = _scores_and_targets(scores, targets)
    at_least = scores[:, None, :] >= scores[:, :, None]  # [i, j, l]: label l scores at least as high as label j
    ranked_at_least = at_least.sum(axis=2)  # ≥ 1: j counts itself
    relevant_at_least = (at_least & targets[:, None, :]).sum(axis=2)
    precision = relevant_at_least / ranked_at_least
    positives = targets.sum(axis=1)
    per_clip = (precision * targets).sum(axis=1) / np.maximum(positives, 1)
    ranking_is_meaningless = (positives == 0) | (positives == targets.shape[1])
    per_clip[ranking_is_meaningless] = 1.0
    return 100.0 * float(per_clip.mean())


def class_mean_average_precision(scores: Any, targets: Any) -> float:
    """Class-wise mAP in percent: per-class average precision averaged over classes.

    Per class, AP = Σ_n (R_n − R_{n−1}) P_n over the distinct score thresholds,
    as sklearn's ``average_precision_score``. Unlike sklearn's macro average, which
    counts a class without positives as AP 0, such classes are left out of the mean
    (their AP is undefined); nan if no class has a positive.
    """
    scores, targets = _scores_and_targets(scores, targets)
    num_clips = len(scores)
    order = np.argsort(-scores, axis=0, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=0)
    sorted_targets = np.take_along_axis(targets, order, axis=0)
    precision_at = np.cumsum(sorted_targets, axis=0) / np.arange(1, num_clips + 1)[:, None]
    # Tied scores form one threshold: each clip takes the precision at the end of its run of ties.
    run_ends = np.ones_like(sorted_targets)
    run_ends[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    end_index = np.where(run_ends, np.arange(num_clips)[:, None], num_clips)
    end_index = np.minimum.accumulate(end_index[::-1], axis=0)[::-1]
    precision = np.take_along_axis(precision_at, end_index, axis=0)
    positives = targets.sum(axis=0)
    scored = positives > 0
    if not scored.any():
        return float("nan")
    average_precision = (precision * sorted_targets).sum(axis=0)[scored] / positives[scored]
    return 100.0 * float(average_precision.mean())


def f_score(scores: Any, targets: Any, threshold: float = 0.5, zero_division: float = 0.0) -> float:
    """Example-based F1 in percent: predict the labels with probability ≥ ``threshold``.

    Per clip F1 = 2·|pred ∧ true| / (|pred| + |true|), averaged over clips, as
    sklearn's ``f1_score(average="samples")``. A clip with neither predicted nor
    true labels scores ``zero_division`` (sklearn's default behaviour gives 0).
    """
    scores, targets = _scores_and_targets(scores, targets)
    check_unit_range(scores, "scores for the F-score (probabilities, not logits)")
    predicted = scores >= threshold
    true_positives = (predicted & targets).sum(axis=1)
    denominator = predicted.sum(axis=1) + targets.sum(axis=1)
    per_clip = np.full(len(scores), float(zero_division))
    nonempty = denominator > 0
    per_clip[nonempty] = 2.0 * true_positives[nonempty] / denominator[nonempty]
    return 100.0 * float(per_clip.mean())


def evaluate_predictions(scores: Any, targets: Any) -> dict[str, float]:
    """All four metrics (percent) of probabilities ``scores`` against ``targets``."""
    return {
        "top1": top1_accuracy(scores, targets),
        "map": mean_average_precision(scores, targets),
        "class_map": class_mean_average_precision(scores, targets),
        "f_score": f_score(scores, targets),
    }
