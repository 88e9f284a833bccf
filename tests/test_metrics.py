"""Recognition metrics (explorer.metrics), checked against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.explain import InvalidInputError
from explorer.metrics import (
    class_mean_average_precision,
    evaluate_predictions,
    f_score,
    mean_average_precision,
    top1_accuracy,
)


def test_top1_accuracy_by_hand():
    scores = np.array([[0.2, 0.9, 0.1], [0.5, 0.5, 0.1], [0.3, 0.2, 0.1]])
    targets = np.array([[0, 1, 0], [0, 1, 0], [0, 1, 1]])
    # row 0: top is label 1, relevant → hit; row 1: tie, first (label 0) wins → miss; row 2: label 0 → miss
    assert top1_accuracy(scores, targets) == pytest.approx(100 / 3)


def test_mean_average_precision_by_hand():
    scores = np.array(
        [
            [0.75, 0.5, 1.0],
            [1.0, 0.2, 0.1],
            [0.5, 0.5, 0.2],
            [0.4, 0.4, 0.4],
            [0.3, 0.2, 0.1],
            [0.3, 0.2, 0.1],
        ]
    )
    targets = np.array([[1, 0, 0], [0, 0, 1], [1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 1, 1]])
    # row 0: label 0 (0.75): labels ≥ 0.75 are {0, 2}, relevant {0} → 1/2
    # row 1: label 2 (0.1): all 3 labels ≥ 0.1, relevant {2} → 1/3
    # row 2: label 0 (0.5) ties with label 1: ≥ 0.5 are {0, 1}, relevant {0} → 1/2
    # row 3: labels 0 and 1 tie with 2: each sees 3 labels ≥, 2 relevant → 2/3 and 2/3 → 2/3
    # row 4: no relevant label → 1 (sklearn);  row 5: all relevant → 1 (sklearn)
    # mean = (1/2 + 1/3 + 1/2 + 2/3 + 1 + 1) / 6 = 4/6
    assert mean_average_precision(scores, targets) == pytest.approx(100 * 4 / 6)
    # scikit-learn's documented example: label_ranking_average_precision_score → 0.416…
    assert mean_average_precision(scores[:2], targets[:2]) == pytest.approx(100 * 0.41666666)


def _literal_ranking_precision(scores: np.ndarray, targets: np.ndarray) -> float:
    """The definition, one clip and one relevant label at a time."""
    per_clip = []
    for score, target in zip(scores, targets):
        relevant = np.flatnonzero(target)
        if len(relevant) in (0, len(target)):
            per_clip.append(1.0)
            continue
        ratios = [(score[relevant] >= score[j]).sum() / (score >= score[j]).sum() for j in relevant]
        per_clip.append(np.mean(ratios))
    return 100 * float(np.mean(per_clip))


def test_mean_average_precision_matches_definition_with_many_ties():
    generator = np.random.default_rng(0)
    scores = generator.integers(0, 4, size=(40, 6)) / 4  # few distinct values: many ties
    targets = generator.integers(0, 2, size=(40, 6))
    assert mean_average_precision(scores, targets) == pytest.approx(_literal_ranking_precision(scores, targets))


def test_class_mean_average_precision_by_hand():
    scores = np.array([[0.9, 0.5, 0.4], [0.8, 0.5, 0.3], [0.3, 0.5, 0.2], [0.1, 0.2, 0.1]])
    targets = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 1, 0]])
    # class 0, ranked 0.9(+) 0.8(−) 0.3(+) 0.1(−): precision at the positives 1/1 and 2/3 → AP = 5/6
    # class 1, three clips tie at 0.5 holding one positive: recall 1/2 at precision 1/3,
    #          then 0.2(+): recall 1 at precision 2/4 → AP = 1/2·1/3 + 1/2·1/2 = 5/12
    # class 2 has no positive: left out (sklearn would count it as 0 and give 100·15/36)
    # mean = (5/6 + 5/12) / 2 = 15/24
    assert class_mean_average_precision(scores, targets) == pytest.approx(100 * 15 / 24)
    assert mean_average_precision(scores, targets) != pytest.approx(100 * 15 / 24)


def test_class_mean_average_precision_without_positives_is_nan():
    assert np.isnan(class_mean_average_precision(np.ones((2, 3)) / 2, np.zeros((2, 3))))


def test_f_score_by_hand():
    scores = np.array([[0.9, 0.6, 0.2], [0.5, 0.1, 0.1], [0.1, 0.1, 0.1], [0.1, 0.2, 0.3]])
    targets = np.array([[1, 0, 0], [1, 0, 1], [0, 1, 0], [0, 0, 0]])
    # row 0: predicted {0, 1}, true {0}: 2·1/(2+1) = 2/3
    # row 1: predicted {0} (0.5 counts), true {0, 2}: 2·1/(1+2) = 2/3
    # row 2: predicted {}, true {1}: 0
    # row 3: predicted {}, true {}: zero_division (0 like sklearn's default, or 1)
    assert f_score(scores, targets) == pytest.approx(100 * (4 / 3) / 4)
    assert f_score(scores, targets, zero_division=1.0) == pytest.approx(100 * (4 / 3 + 1) / 4)


def test_torch_and_numpy_agree_and_evaluate_predictions():
    generator = torch.Generator().manual_seed(0)
    scores = torch.rand(12, 5, generator=generator)
    targets = (torch.rand(12, 5, generator=generator) > 0.6).int()
    results = evaluate_predictions(scores, targets)
    assert set(results) == {"top1", "map", "class_map", "f_score"}
    assert results["map"] == pytest.approx(mean_average_precision(scores.numpy(), targets.numpy().astype(bool)))
    assert all(0.0 <= value <= 100.0 for value in results.values())


def test_perfect_predictions_score_100():
    targets = np.array([[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    scores = np.where(targets, 0.9, 0.1)
    assert evaluate_predictions(scores, targets) == pytest.approx(
        {"top1": 100.0, "map": 100.0, "class_map": 100.0, "f_score": 100.0}
    )


@pytest.mark.parametrize(
    "scores, targets, message",
    [
        (np.zeros((2, 3)), np.zeros((2, 4)), r"\(2, 3\).*\(2, 4\)"),
        (np.zeros(3), np.zeros(3), "N×K"),
        (np.zeros((0, 3)), np.zeros((0, 3)), "at least one clip"),
        (np.zeros((2, 3)), np.full((2, 3), 0.5), "only 0 and 1"),
        (np.full((2, 3), np.nan), np.zeros((2, 3)), "NaN"),
        ("scores", np.zeros((2, 3)), "numpy array"),
        (np.array([["a", "b"]]), np.zeros((1, 2)), "numbers"),
        ([[0.1, 0.2], [0.3]], np.zeros((2, 2)), "rectangular"),
    ],
)
@pytest.mark.parametrize(
    "metric", [top1_accuracy, mean_average_precision, class_mean_average_precision, f_score, evaluate_predictions]
)
def test_bad_input(metric, scores, targets, message):
    with pytest.raises(InvalidInputError, match=message):
        metric(scores, targets)


def test_f_score_refuses_logits():
    with pytest.raises(InvalidInputError, match="not logits"):
        f_score(np.array([[2.5, -1.0]]), np.array([[1, 0]]))
