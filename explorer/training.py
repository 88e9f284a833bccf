"""Training and inference loops shared by every model (paper §4.1).

Every model gets the same optimiser (Adam), learning-rate schedule and seed,
so comparisons between models are fair. Early stopping watches the
validation mAP and restores the best weights.

Launched by ``torchrun --nproc_per_node N`` (``WORLD_SIZE`` > 1), training runs
data-parallel: each rank sees its own shard and DistributedDataParallel
averages the gradients. Each rank takes ``batch_size / N`` samples per step,
so one optimiser step still averages over ``batch_size`` samples.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from explorer import metrics
from explorer.data.features import collate_features
from explorer.models.base import AVModel

SCHEDULES = ("cosine", "step")


@dataclass
class TrainResult:
    best_state: dict[str, Tensor]
    history: list[dict[str, float]]  # one row per epoch: epoch, lr, train_loss, val_* metrics
    best_epoch: int  # 1-based; 0 when no epoch ran
    val_metrics: dict[str, float]  # the best epoch's validation metrics


@dataclass
class Predictions:
    """A model's outputs over a data set, in data set order.

    Attention is an ``N×T…`` tensor when every clip has the same length,
    otherwise a list of per-clip ``T…`` tensors; both iterate clip by clip.
    """

    probs: Tensor  # N×K
    labels: Tensor  # N×K
    indices: list[int]
    time_attention: Tensor | list[Tensor] | None = None  # N×T
    space_attention: Tensor | list[Tensor] | None = None  # N×T×H×W
    # The class activations of each clip's top predicted class (the class the app explains by default):
    class_time: Tensor | list[Tensor] | None = None  # N×T CAV, min-max scaled per clip to [0, 1]
    class_space: Tensor | list[Tensor] | None = None  # N×T×H×W CAM, raw (only its peak is scored)


# -- distributed set-up ----------------------------------------------------------------------------------------------
def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_main_process() -> bool:
    """Rank 0 (or the only process): the one that prints and writes files."""
    rank = dist.get_rank() if dist.is_initialized() else int(os.environ.get("RANK", "0"))
    return rank == 0


def setup_distributed(device: torch.device) -> torch.device:
    """Join the torchrun process group if there is one; returns this rank's device."""
    if world_size() <= 1 or dist.is_initialized():
        return device
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    # Ranks share the CPU cores; without this each would spawn one thread per core.
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // world_size()))
    return device


def teardown_distributed() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


# -- loops -----------------------------------------------------------------------------------------------------------
def _scheduler(optimizer: torch.optim.Optimizer, schedule: str, epochs: int):
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, epochs))
    if schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    raise ValueError(f"unknown learning-rate schedule {schedule!r}; choose one of: {', '.join(SCHEDULES)}")


def train(
    model: AVModel,
    train_set: Dataset,
    val_set: Dataset,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    patience: int = 5,
    weight_decay: float = 0.0,
    schedule: str = "cosine",
    progress: bool = True,
    device: str | torch.device = "cpu",
    val_score: Callable[[Predictions], float] | None = None,
) -> TrainResult:
    """Train with Adam, stop early on a validation score, and leave the best weights in ``model``.

    The score is validation mAP unless ``val_score`` maps the validation predictions to another number to maximise
    (a where/when score, for instance: then the model card must say that checkpoints were picked on it).
    """
    if epochs < 1 or batch_size < 1 or lr <= 0 or patience < 1:
        raise ValueError("epochs, batch_size, lr and patience must be positive")
    device = setup_distributed(torch.device(device))
    torch.manual_seed(seed)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = _scheduler(optimizer, schedule, epochs)

    ranks = world_size() if dist.is_initialized() else 1
    if ranks > 1:
        network = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
        sampler = DistributedSampler(train_set, shuffle=True, seed=seed)
        loader = DataLoader(
            train_set, batch_size=max(1, batch_size // ranks), sampler=sampler, collate_fn=collate_features
        )
    else:
        network, sampler = model, None
        loader = DataLoader(
            train_set,
            batch_size=batch_size,
            shuffle=True,
            generator=torch.Generator().manual_seed(seed),
            collate_fn=collate_features,
        )

    show = progress and is_main_process()
    history: list[dict[str, float]] = []
    best = TrainResult(copy.deepcopy(model.state_dict()), history, 0, {})
    best_map, epochs_without_gain = -np.inf, 0
    for epoch in range(1, epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        network.train()
        losses = []
        bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", disable=not show, leave=False, unit="batch")
        for audio, visual, labels, _ in bar:
            result = network(audio.to(device).float(), visual.to(device).float())
            loss = model.loss(result, labels.to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            bar.set_postfix(loss=f"{loss.item():.4f}")
        learning_rate = optimizer.param_groups[0]["lr"]
        scheduler.step()

        # Every rank validates on the whole set with identical weights, so all
        # ranks take the same early-stopping decision without talking.
        predictions = predict(model, val_set, batch_size, device)
        validation = metrics.evaluate_predictions(predictions.probs, predictions.labels)
        row = {"epoch": epoch, "lr": learning_rate, "train_loss": float(np.mean(losses))}
        row.update({f"val_{name}": value for name, value in validation.items()})
        history.append(row)
        if show:
            tqdm.write(
                f"epoch {epoch}: loss {row['train_loss']:.4f}  val mAP {validation['map']:.2f}  "
                f"top-1 {validation['top1']:.2f}"
            )
        score = validation["map"] if val_score is None else val_score(predictions)
        row["val_score"] = score
        if score > best_map:
            best_map, epochs_without_gain = score, 0
            best = TrainResult(copy.deepcopy(model.state_dict()), history, epoch, validation)
        else:
            epochs_without_gain += 1
            if epochs_without_gain >= patience:
                break
    model.load_state_dict(best.best_state)
    return best


def _gather(parts: list[Tensor]) -> Tensor | list[Tensor]:
    """Concatenate batches, or keep per-clip tensors when clip lengths differ."""
    if len({part.shape[1:] for part in parts}) <= 1:
        return torch.cat(parts)
    return [clip for part in parts for clip in part]


def _collate(items: list) -> tuple[Tensor, Tensor, Tensor, list[int]]:
    audio, visual, labels = (torch.stack([torch.as_tensor(item[j]) for item in items]) for j in range(3))
    return audio, visual, labels, [int(item[3]) for item in items]


def iterate_batches(dataset: Dataset, batch_size: int):
    """Batches of clips of equal shape, in data set order (clips of different lengths cannot be stacked)."""
    pending: list = []
    for item in (dataset[i] for i in range(len(dataset))):
        same_shape = not pending or (item[0].shape, item[1].shape) == (pending[0][0].shape, pending[0][1].shape)
        if len(pending) == batch_size or not same_shape:
            yield _collate(pending)
            pending = []
        pending.append(item)
    if pending:
        yield _collate(pending)


@torch.no_grad()
def predict(model: AVModel, dataset: Dataset, batch_size: int = 32, device: str | torch.device = "cpu") -> Predictions:
    """Run ``model`` over ``dataset`` in order and gather predictions and attention."""
    if len(dataset) == 0:
        raise ValueError("cannot predict on an empty data set")
    device = torch.device(device)
    model.eval()
    probs, labels, indices = [], [], []
    parts: dict[str, list[Tensor]] = {"time": [], "space": [], "class_time": [], "class_space": []}
    for audio, visual, batch_labels, batch_indices in iterate_batches(dataset, batch_size):
        result = model(audio.to(device).float(), visual.to(device).float())
        probs.append(result.probs.cpu())
        labels.append(batch_labels)
        indices.extend(batch_indices)
        top = result.probs.argmax(dim=1)
        rows = torch.arange(len(top), device=top.device)
        if result.time_attention is not None:
            parts["time"].append(result.time_attention.cpu())
        if result.space_attention is not None:
            parts["space"].append(result.space_attention.cpu())
        if result.cav is not None:
            parts["class_time"].append(min_max(result.cav[rows, :, top]).cpu())
        if result.cam is not None:
            parts["class_space"].append(result.cam[rows, ..., top].cpu())
    gathered = {key: _gather(values) if values else None for key, values in parts.items()}
    return Predictions(
        probs=torch.cat(probs),
        labels=torch.cat(labels),
        indices=indices,
        time_attention=gathered["time"],
        space_attention=gathered["space"],
        class_time=gathered["class_time"],
        class_space=gathered["class_space"],
    )


def min_max(values: Tensor) -> Tensor:
    """Each row (N×T) scaled to [0, 1]; a constant row becomes all ones (it points at every segment alike)."""
    low, high = values.amin(dim=1, keepdim=True), values.amax(dim=1, keepdim=True)
    span = high - low
    return torch.where(span > 0, (values - low) / span.clamp(min=1e-12), torch.ones_like(values))
