"""Seeded scene specifications: which objects appear, where, and when each one sounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from explorer.demo.sources import AMBIENT_SOUNDS, BACKGROUNDS, DEMO_CLASSES, OUTLIER_CLASSES
from explorer.errors import DataError

DURATION_SECONDS = 10
MIN_EVENT_SECONDS = 2
MULTI_LABEL_RATE = 0.3
SILENT_DISTRACTOR_RATE = 0.6
OFFSCREEN_DISTRACTOR_RATE = 0.6
# Each visible object's longest side is drawn from a range that shrinks with the number of visible objects, then
# multiplied by this (capped at MAX_EXTENT). Larger objects are closer to AVE, where the sounding object often fills
# much of the frame; docs/DEMO.md measures the effect on the explanations.
OBJECT_SCALE = 1.0
MAX_EXTENT = 0.95

EVENT = "event"  # visible the whole clip and audible in its interval: a label
SILENT = "silent distractor"  # visible, never audible
OFFSCREEN = "off-screen distractor"  # audible in its interval, never visible
OUTLIER = "outlier"  # an event's place in an outlier clip: visible and audible as one, of no demo class, no label


@dataclass(frozen=True)
class SceneObject:
    """One source of the scene. Visible iff ``image``; audible iff ``sound`` (then in ``interval``, seconds)."""

    class_name: str
    role: str
    image: str | None = None
    sound: str | None = None
    interval: tuple[int, int] | None = None
    start_xy: tuple[float, float] = (0.5, 0.5)  # centre at the first frame, fractions of the frame
    end_xy: tuple[float, float] = (0.5, 0.5)  # centre at the last frame (linear path between)
    extent: float = 0.5  # longest side, fraction of the frame
    flip: bool = False
    gain: float = 1.0
    sound_offset: float = 0.0  # where in the source sound the loop starts, fraction of its length
    gap_seconds: float = 0.0  # silence between repetitions of the source sound


@dataclass(frozen=True)
class SceneSpec:
    video_id: str
    seed: int
    index: int
    background: str
    crop: tuple[float, float, float]  # side (fraction of the shorter side), left and top (fractions of the slack)
    ambient: str
    ambient_gain: float
    objects: tuple[SceneObject, ...]

    @property
    def events(self) -> list[tuple[str, int, int]]:
        return [(obj.class_name, *obj.interval) for obj in self.objects if obj.role == EVENT]

    @property
    def labels(self) -> list[str]:
        return [obj.class_name for obj in self.objects if obj.role == EVENT]


def video_id(seed: int, index: int, outliers: bool = False) -> str:
    return f"demo_{'outlier_' if outliers else ''}{seed}_{index:04d}"


def sample_scene(seed: int, index: int, object_scale: float = OBJECT_SCALE, outliers: bool = False) -> SceneSpec:
    """Clip ``index`` of ``seed``: always the same scene, independent of the other clips. ``object_scale`` changes
    only the objects' sizes: every other draw is the same.

    ``outliers``: an outlier clip of the same seed, a clip of its own (``demo_outlier_S_iiii``) whose events are
    objects of :data:`OUTLIER_CLASSES` (role :data:`OUTLIER`, no label); its distractors are drawn as in any clip."""
    for name, value in (("seed", seed), ("index", index)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 0:
            raise DataError(f"The demo {name} must be a non-negative integer, got {value!r}.")
    if not isinstance(object_scale, (int, float)) or not 0.1 <= object_scale <= 3:
        raise DataError(f"The demo object scale must be a number from 0.1 to 3, got {object_scale!r}.")
    # An outlier clip has a stream of its own, so it shares no draw with the ordinary clip of its index.
    rng = np.random.default_rng([int(seed), int(index), *([1] if outliers else [])])
    num_events = 2 if rng.random() < MULTI_LABEL_RATE else 1
    has_silent, has_offscreen = rng.random(2) < (SILENT_DISTRACTOR_RATE, OFFSCREEN_DISTRACTOR_RATE)
    class_ids = rng.permutation(len(DEMO_CLASSES))[: num_events + int(has_silent) + int(has_offscreen)]
    roles = [EVENT] * num_events + [SILENT] * int(has_silent) + [OFFSCREEN] * int(has_offscreen)
    classes = [DEMO_CLASSES[class_id] for class_id in class_ids]
    if outliers:  # drawn after what an ordinary clip draws here, which keeps ordinary clips as they were
        picked = rng.permutation(len(OUTLIER_CLASSES))[:num_events]
        classes[:num_events] = [OUTLIER_CLASSES[class_id] for class_id in picked]
        roles[:num_events] = [OUTLIER] * num_events

    num_visible = num_events + int(has_silent)
    slots = rng.permutation(num_visible)  # one horizontal slot per visible object keeps overlaps small
    extent_range = {1: (0.45, 0.7), 2: (0.35, 0.5), 3: (0.28, 0.38)}[num_visible]
    objects = []
    for position, (demo_class, role) in enumerate(zip(classes, roles)):
        fields: dict = {"class_name": demo_class.name, "role": role}
        if role != OFFSCREEN:
            slot_width = 1.0 / num_visible
            x = (slots[position] + rng.uniform(0.3, 0.7)) * slot_width
            y = rng.uniform(0.4, 0.65)
            moves = rng.random() < 0.5
            dx, dy = (rng.uniform(-0.12, 0.12), rng.uniform(-0.05, 0.05)) if moves else (0.0, 0.0)
            fields.update(
                image=demo_class.images[rng.integers(len(demo_class.images))],
                start_xy=(float(x), float(y)),
                end_xy=(float(x + dx), float(y + dy)),
                extent=min(MAX_EXTENT, float(rng.uniform(*extent_range)) * object_scale),
                flip=bool(rng.random() < 0.5),
            )
        if role != SILENT:
            length = int(rng.integers(MIN_EVENT_SECONDS, DURATION_SECONDS + 1))
            start = int(rng.integers(0, DURATION_SECONDS - length + 1))
            fields.update(
                sound=demo_class.sounds[rng.integers(len(demo_class.sounds))],
                interval=(start, start + length),
                gain=float(rng.uniform(0.6, 1.0)),
                sound_offset=float(rng.random()),
                gap_seconds=float(rng.uniform(0.05, 0.3)),
            )
        objects.append(SceneObject(**fields))
    return SceneSpec(
        video_id=video_id(int(seed), int(index), outliers),
        seed=int(seed),
        index=int(index),
        background=BACKGROUNDS[rng.integers(len(BACKGROUNDS))],
        crop=(float(rng.uniform(0.75, 1.0)), float(rng.random()), float(rng.random())),
        ambient=AMBIENT_SOUNDS[rng.integers(len(AMBIENT_SOUNDS))],
        ambient_gain=float(rng.uniform(0.05, 0.15)),
        objects=tuple(objects),
    )
