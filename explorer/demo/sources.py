"""The demo corpus's classes and the real media they are made of (``assets/demo/sources``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from explorer.errors import DataError
from explorer.media import SAMPLE_RATE, load_audio
from explorer.paths import DEMO_SOURCES

SOURCES_DIR = DEMO_SOURCES


@dataclass(frozen=True)
class DemoClass:
    """One class: cut-out photos (RGBA) and recorded sounds, paths relative to the sources folder."""

    name: str
    images: tuple[str, ...]
    sounds: tuple[str, ...]


# Fixed order: it is the class index of every label vector. Names follow AVE/LLP where a class matches.
DEMO_CLASSES: tuple[DemoClass, ...] = (
    DemoClass("Dog", ("stamps/dog.png",), ("stamps/dog.ogg", "sounds/scratch_Dog1.wav")),
    DemoClass("Cat", ("photos/chelsea_ellipse.png",), ("sounds/scratch_Meow.wav", "sounds/scratch_Cat.mp3")),
    DemoClass("Goat", ("stamps/goat.png",), ("stamps/goat.ogg",)),
    DemoClass(
        "Horse",
        ("stamps/horse.png",),
        ("stamps/horse.ogg", "sounds/scratch_Horse.wav", "sounds/scratch_HorseGallop.wav"),
    ),
    DemoClass(
        "Chicken rooster",
        ("stamps/rooster.png", "stamps/hen.png"),
        ("stamps/rooster.ogg", "sounds/scratch_Rooster.wav", "stamps/hen.ogg"),
    ),
    DemoClass("Rodents rats mice", ("stamps/mouse.png",), ("stamps/mouse.ogg",)),
    DemoClass("Violin fiddle", ("stamps/violin.png",), ("stamps/violin.ogg",)),
    DemoClass("Cello", ("stamps/cello.png",), ("stamps/cello.ogg",)),
    DemoClass(
        "Acoustic guitar",
        ("stamps/guitar_classical.png",),
        ("sounds/scratch_GuitarStrum.wav", "sounds/scratch_GuitarChords1.mp3"),
    ),
    DemoClass("Toilet flush", ("stamps/toilet.png",), ("stamps/toilet.ogg",)),
    DemoClass("Car", ("stamps/sedan.png", "stamps/beetle.png"), ("sounds/scratch_CarPassing.wav",)),
    DemoClass("Cow", ("stamps/cow.png",), ("stamps/cow.ogg",)),
    DemoClass("Sheep", ("stamps/sheep.png",), ("stamps/sheep.ogg",)),
    DemoClass("Duck", ("stamps/duck.png",), ("stamps/duck.ogg", "sounds/scratch_Duck.wav")),
    DemoClass("Speech", ("photos/grace_hopper_ellipse.png",), ("sounds/pyo_speech_male.aif",)),
)
# Kept in the sources folder but drawn by no class: the real test videos (explorer.demo.real) use them, so that
# their recordings are ones training never heard.
HELD_OUT_SOUNDS: tuple[str, ...] = ("sounds/scratch_Dog2.wav", "sounds/scratch_Kitten.wav")
CLASS_NAMES: tuple[str, ...] = tuple(demo_class.name for demo_class in DEMO_CLASSES)
# Things the demo does not know, each a Tux Paint cut-out with its own recording. Only outlier clips draw them
# (``sample_scene(outliers=True)``): seen and heard there, they carry no label, so training shows the models that a
# sounding object need not be one of CLASS_NAMES (outlier exposure, Hendrycks et al., 2019). No real test video and no
# audio-encoder comparison uses them.
OUTLIER_CLASSES: tuple[DemoClass, ...] = tuple(
    DemoClass(name, (f"stamps/{name}.png",), (f"stamps/{name}.ogg",))
    for name in ("drumkit", "elephant", "firetruck", "frog", "lion", "owl", "pig")
)

AMBIENT_SOUNDS: tuple[str, ...] = (
    "sounds/pomodoro_birds_10s_excerpt.ogg",
    "sounds/scratch_Crickets.wav",
    "sounds/scratch_WaterRunning.mp3",
)

BACKGROUNDS: tuple[str, ...] = tuple(
    f"backgrounds/{name}.jpg"
    for name in (
        "beach-malibu",
        "bench-with-view",
        "boardwalk",
        "brick-wall1",
        "canyon",
        "city-with-water",
        "driveway",
        "forest",
        "garden-rock",
        "hall",
        "hay_field",
        "hill",
        "houses",
        "kitchen",
        "lake",
        "pathway",
        "room1",
        "room2",
        "route66",
        "silos",
        "spotlight-stage",
        "train-tracks1",
        "village",
        "wooden-house",
    )
)

# A sound's leading and trailing frames quieter than this fraction of its loudest 25 ms frame are cut,
# so that a looped sound fills every second of its interval.
_SILENCE_FRACTION = 0.1
_ENERGY_FRAME = SAMPLE_RATE // 40


class SourceLibrary:
    """Loads and caches the decoded sources; every clip of a build reuses them."""

    def __init__(self, root: str | Path = SOURCES_DIR):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(
                f"The demo sources folder {self.root} does not exist; restore assets/demo/sources from git."
            )
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def _cached(self, kind: str, relative: str, load) -> np.ndarray:
        key = (kind, relative)
        if key not in self._cache:
            self._cache[key] = load(self.root / relative)
        return self._cache[key]

    def cutout(self, relative: str) -> np.ndarray:
        """H×W×4 float32 RGBA in [0, 1], colour premultiplied by alpha (so resizing leaves no dark rims)."""
        return self._cached("cutout", relative, _read_cutout)

    def background(self, relative: str) -> np.ndarray:
        """H×W×3 uint8 RGB."""
        return self._cached("background", relative, lambda path: _read_image(path, channels=3))

    def sound(self, relative: str) -> np.ndarray:
        """float32 mono at 16 kHz, silent ends cut, scaled to unit RMS."""
        return self._cached("sound", relative, _read_sound)


def _read_image(path: Path, channels: int) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None:
        raise DataError(f"The demo source image {path} is missing or unreadable; restore assets/demo/sources from git.")
    if image.ndim != 3 or image.shape[2] != channels or image.dtype != np.uint8:
        raise DataError(
            f"The demo source image {path} must be 8-bit with {channels} channels, got shape {image.shape}."
        )
    order = cv2.COLOR_BGRA2RGBA if channels == 4 else cv2.COLOR_BGR2RGB
    return cv2.cvtColor(image, order)


def _read_cutout(path: Path) -> np.ndarray:
    rgba = _read_image(path, channels=4).astype(np.float32) / 255.0
    rgba[..., :3] *= rgba[..., 3:]
    return rgba


def _read_sound(path: Path) -> np.ndarray:
    audio = load_audio(path, sample_rate=SAMPLE_RATE)
    usable = audio.size // _ENERGY_FRAME * _ENERGY_FRAME
    energy = np.sqrt(np.mean(audio[:usable].reshape(-1, _ENERGY_FRAME) ** 2, axis=1)) if usable else np.zeros(0)
    loud = np.flatnonzero(energy >= _SILENCE_FRACTION * energy.max()) if energy.size and energy.max() > 0 else []
    if len(loud) == 0:
        raise DataError(f"The demo source sound {path} is silent; restore assets/demo/sources from git.")
    trimmed = audio[loud[0] * _ENERGY_FRAME : (loud[-1] + 1) * _ENERGY_FRAME]
    return (trimmed / np.sqrt(np.mean(trimmed**2))).astype(np.float32)
