"""Real videos, from photos and recordings no demo training clip uses: the demo STAN names the classes it knows and
stays unsure on the ones it does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.demo.real import REAL_VIDEOS, UNSURE_BELOW, VIDEOS_DIR, real_clip
from explorer.demo.sources import CLASS_NAMES, DEMO_CLASSES, HELD_OUT_SOUNDS
from explorer.media import load_clip


def probabilities(stan, clip) -> np.ndarray:
    model, encoder = stan
    audio, visual = encoder.encode(clip)
    with torch.no_grad():
        return model(audio[None], visual[None]).probs[0].numpy()


def test_no_demo_class_draws_a_held_out_recording():
    drawn = {sound for demo_class in DEMO_CLASSES for sound in demo_class.sounds}
    assert not drawn & set(HELD_OUT_SOUNDS)
    for video in REAL_VIDEOS:
        assert video.sound.removeprefix("demo:") not in drawn


# Measured misses, both unsure rather than wrong with confidence. The black dog of donna.jpg over a held-out bark
# reads as Goat (0.11; Dog 0.06): the agreement gates count a location or a second only when the same class is both
# seen and heard there, and the demo's Dog is one drawn stamp, so on this real photo the visual half of Dog does not
# agree with the bark and nothing is attended. The astronaut's top class is Speech, at 0.05: the real speech
# recording sounds like none of the demo's Speech recordings to aiSFX.
KNOWN_WRONG = {"donna_barking", "astronaut_speaking"}


def videos(known: bool, misses: set[str], reason: str) -> list:
    """The real videos of classes the model knows (``known``) or not, the recorded ``misses`` as strict xfails."""
    return [
        pytest.param(video, marks=pytest.mark.xfail(strict=True, reason=reason)) if video.name in misses else video
        for video in REAL_VIDEOS
        if bool(video.expected) == known
    ]


@pytest.mark.parametrize(
    "video", videos(True, KNOWN_WRONG, "known miss: unsure on a real dog and on real speech"), ids=lambda v: v.name
)
def test_stan_names_the_class_of_a_real_video(stan, video):
    """The shipped mp4, decoded as the app decodes an upload: the right top class, confident enough that the app
    does not call it unsure."""
    probs = probabilities(stan, load_clip(VIDEOS_DIR / f"{video.name}.mp4"))
    assert CLASS_NAMES[int(probs.argmax())] == video.expected, dict(zip(CLASS_NAMES, probs.round(2)))
    assert probs.max() >= UNSURE_BELOW, dict(zip(CLASS_NAMES, probs.round(2)))


# None: a passing motorcycle (top class Dog 0.25), a rabbit with footsteps (Dog 0.18) and typing over a coffee cup
# (0.26) all stay under the bar, because no class is both seen and heard in them. (The previous STAN, with the
# paper's space gate and the clip-mean audio, read the first two as Car 0.86 and Dog 0.87.)
KNOWN_OVERCONFIDENT: set[str] = set()


@pytest.mark.parametrize(
    "video", videos(False, KNOWN_OVERCONFIDENT, "known miss: confidently wrong"), ids=lambda video: video.name
)
def test_stan_is_unsure_on_a_class_it_does_not_know(stan, video):
    probs = probabilities(stan, load_clip(VIDEOS_DIR / f"{video.name}.mp4"))
    assert probs.max() < UNSURE_BELOW, dict(zip(CLASS_NAMES, probs.round(2)))


def test_shipped_videos_are_the_ones_the_code_makes():
    for video in REAL_VIDEOS:
        decoded, made = load_clip(VIDEOS_DIR / f"{video.name}.mp4"), real_clip(video)
        assert decoded.num_segments == made.num_segments
        assert decoded.frames[0].shape[1:] == made.frames[0].shape[1:]
