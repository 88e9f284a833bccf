"""How the demo models are scored: the targets STAN is held to, the test-split evaluation, and which explanation
each view opens on. Shared by ``reproduce`` (which writes the cards) and ``report`` (which tabulates them)."""

from __future__ import annotations

from explorer.demo.training import FeatureSplit, Recipe
from explorer.evaluation import evaluate_model, json_ready, perturbation
from explorer.models import AVModel

# The targets for STAN on unseen demo clips: (metric, comparison, bound).
# The where/when targets are checked for the gates (A^t, A^s) and for STAN's class maps (the top class's CAV and CAM).
STAN_TARGETS = {
    "top1": (">=", 90.0),
    "f_score": (">=", 80.0),
    "pointing_mae_soft": ("<=", 0.20),
    "spatial_hit_rate": (">=", 0.80),
    "tvd_ratio_at_sigma2_1": (">=", 5.0),
    "cav_mae_soft": ("<=", 0.20),
    "cam_hit_rate": (">=", 0.80),
}


def tvd_ratio(metrics: dict) -> float | None:
    """Mean TVD on relevant over irrelevant features at the largest σ²."""
    if not metrics.get("tvd_relevant"):
        return None
    irrelevant = metrics["tvd_irrelevant"][-1]
    return metrics["tvd_relevant"][-1] / irrelevant if irrelevant > 0 else float("inf")


def check_targets(metrics: dict) -> dict:
    """Each target of STAN with its measured value and whether it is met."""
    measured = {**metrics, "tvd_ratio_at_sigma2_1": tvd_ratio(metrics)}
    checked = {}
    for name, (comparison, bound) in STAN_TARGETS.items():
        value = measured.get(name)
        met = value is not None and (value >= bound if comparison == ">=" else value <= bound)
        checked[name] = {"target": f"{comparison} {bound}", "value": value, "met": met}
    return checked


def evaluate_demo_model(model: AVModel, test: FeatureSplit, recipe: Recipe) -> dict:
    """Recognition metrics and pointing games on the whole test split; TVD curves on its first clips."""
    result = evaluate_model(
        model, test.dataset(), list(test.time_masks), None if test.event_masks is None else list(test.event_masks)
    )
    if result["pointing_mae_soft"] is not None or result["spatial_hit_rate"] is not None:
        result.update(
            perturbation(
                model,
                test.head(recipe.tvd_clips).dataset(),
                recipe.sigma2_levels,
                recipe.tvd_draws,
                seed=recipe.seed,
                sampling=recipe.tvd_sampling,
            )
        )
    result["tvd_ratio_at_sigma2_1"] = tvd_ratio(result)
    return json_ready(result)


def lead_with(metrics: dict) -> dict | None:
    """Which explanation each view opens on: STAN's class map (the top class's CAM for "where", its CAV for "when")
    where it scores better than the gate (A^s, A^t) on the test clips, else the gate. The reason goes on the card."""
    keys = ("cam_hit_rate", "spatial_hit_rate", "cav_mae_soft", "pointing_mae_soft")
    if any(metrics.get(key) is None for key in keys):
        return None
    cam, gate, cav, gate_time = (metrics[key] for key in keys)
    why = (
        f"On unseen demo clips the peak of A^s lies within 15 px of the sounding object in {gate:.1%} of the "
        f"seconds, the top class's CAM in {cam:.1%}; the pointing MAE of A^t is {gate_time:.3f}, of the top "
        f"class's CAV {cav:.3f} (answering “every second”: {metrics.get('baseline_mae_every_second') or 0:.3f})."
    )
    return {
        "space": "class maps" if cam > gate else "attention",
        "time": "class maps" if cav < gate_time else "attention",
        "why": why,
    }
