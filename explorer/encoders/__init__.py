"""Encoders, created by name: ``create_encoder("vggish+resnet152")`` (the paper's) or ``create_encoder("compact")``."""

from explorer.encoders import aisfx, compact, efficientnet, resnet, soundnet, vggish  # noqa: F401  (registers them)
from explorer.encoders.base import RANDOM, Encoder
from explorer.encoders.compatibility import check_compatible
from explorer.encoders.registry import (
    PAPER_ENCODER,
    create_encoder,
    list_encoders,
    load_encoder,
    register_encoder,
    save_encoder,
)

__all__ = [
    "PAPER_ENCODER",
    "RANDOM",
    "Encoder",
    "check_compatible",
    "create_encoder",
    "list_encoders",
    "load_encoder",
    "register_encoder",
    "save_encoder",
]
