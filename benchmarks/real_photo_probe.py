"""Which EfficientNet-Lite0 map carries the demo's classes from its cut-outs to real photos? A linear probe.

For every visible object of the first clips of training seed 1 (its first and sixth second), the object's map is
averaged under its mask, at each candidate layer; a logistic regression learns the 15 demo classes from those. It is
scored on the objects of test seed 5 (the demo's own cut-outs on unseen scenes) and on the ten real test videos of
known classes (``explorer.demo.real``): the class of the cell whose best class score is highest, as a max-pooling
model would read the frame, and of the frame's mean map. Beside them, EfficientNet's own ImageNet head on the same
real frames (its top class, in ImageNet's 1000 classes). No STAN is trained: this asks what the features allow.

    python benchmarks/real_photo_probe.py [--clips 400]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from timm.data import ImageNetInfo

from explorer.demo import iter_scenes
from explorer.demo.real import REAL_VIDEOS, VIDEOS_DIR
from explorer.demo.sources import CLASS_NAMES
from explorer.encoders.efficientnet import EfficientNetLite0Encoder
from explorer.media import load_clip

TRAIN_SEED, TEST_SEED = 1, 5
SECONDS = (0, 5)
MIN_PIXELS = 50  # an object mostly covered gives no map to learn from


def layer_maps(encoder: EfficientNetLite0Encoder, frames: torch.Tensor) -> dict[str, torch.Tensor]:
    """N×C×h×w maps of the stride-16 stage, the last block, the 1280-channel head and the ImageNet log-probabilities
    per cell (the classifier applied to each cell of the head)."""
    network = encoder.network
    with torch.no_grad():
        x = network.bn1(network.conv_stem(encoder.normalize_frames(frames).contiguous()))
        stride16 = network.blocks[:5](x)
        blocks = network.blocks[5:](stride16)
        head = network.bn2(network.conv_head(blocks))
        imagenet = network.classifier(head.permute(0, 2, 3, 1)).log_softmax(-1).permute(0, 3, 1, 2)
    return {"stride16": stride16, "blocks": blocks, "head": head, "imagenet_log_probs": imagenet}


def object_features(encoder, n: int, seed: int) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Each visible object's mask-averaged map per layer, and its class."""
    features, classes = {}, []
    for clip, truth in iter_scenes(n, seed, fps=1):
        frames, _ = encoder.visual_input(clip)
        maps = layer_maps(encoder, frames[list(SECONDS)])
        for row, index in enumerate(truth.visible):
            for k, second in enumerate(SECONDS):
                mask = torch.from_numpy(truth.object_masks[row, second].astype(np.float32))[None, None]
                if mask.sum() < MIN_PIXELS:
                    continue
                classes.append(CLASS_NAMES.index(truth.spec.objects[index].class_name))
                for layer, values in maps.items():
                    weight = F.adaptive_avg_pool2d(mask, values.shape[-2:])[0, 0]
                    features.setdefault(layer, []).append((values[k] * weight).sum((1, 2)) / weight.sum())
    return {layer: torch.stack(rows) for layer, rows in features.items()}, torch.tensor(classes)


def fit(features: torch.Tensor, classes: torch.Tensor, steps: int = 300):
    """A standardised logistic regression (Adam, weight decay 1e-3)."""
    mean, std = features.mean(0), features.std(0) + 1e-3
    torch.manual_seed(0)
    linear = torch.nn.Linear(features.shape[1], len(CLASS_NAMES))
    optimizer = torch.optim.Adam(linear.parameters(), lr=1e-2, weight_decay=1e-3)
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(linear((features - mean) / std), classes).backward()
        optimizer.step()
    return lambda values: linear((values - mean) / std)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=int, default=400, help="training clips of seed 1 (test: a quarter of them)")
    args = parser.parse_args()
    encoder = EfficientNetLite0Encoder(layer="stride16").eval()
    train, train_classes = object_features(encoder, args.clips, TRAIN_SEED)
    test, test_classes = object_features(encoder, max(1, args.clips // 4), TEST_SEED)
    real = []
    for video in (video for video in REAL_VIDEOS if video.expected):
        frames, _ = encoder.visual_input(load_clip(VIDEOS_DIR / f"{video.name}.mp4"))
        middle = frames[[len(frames) // 2]]
        with torch.no_grad():
            logits = encoder.imagenet_logits(encoder.normalize_frames(middle))
        real.append((video, layer_maps(encoder, middle), logits))
    print(f"{len(train_classes)} training objects of seed {TRAIN_SEED}, {len(test_classes)} test objects of seed 5")
    print("| layer | channels | demo test objects | real videos, best cell | real videos, mean map | real answers |")
    print("|---|---|---|---|---|---|")
    for layer in train:
        probe = fit(train[layer], train_classes)
        with torch.no_grad():
            accuracy = (probe(test[layer]).argmax(1) == test_classes).float().mean().item()
            best_cell = mean_map = 0
            answers = []
            for video, maps, _ in real:
                cells = maps[layer][0].flatten(1).T
                cell_class = CLASS_NAMES[int(probe(cells).max(0).values.argmax())]
                best_cell += cell_class == video.expected
                mean_map += CLASS_NAMES[int(probe(cells.mean(0)).argmax())] == video.expected
                answers.append(f"{video.name}: {cell_class}")
        print(
            f"| {layer} | {train[layer].shape[1]} | {accuracy:.3f} | {best_cell}/10 | {mean_map}/10 | "
            f"{'; '.join(answers)} |"
        )
    names = ImageNetInfo()
    print("\nEfficientNet-Lite0's own ImageNet head on the same frames:")
    for video, _, logits in real:
        probability, index = logits.softmax(-1)[0].max(0)
        print(
            f"  {video.name}: {names.index_to_description(int(index))} {float(probability):.2f} "
            f"(demo class {video.expected})"
        )


if __name__ == "__main__":
    main()
