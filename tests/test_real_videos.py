"""Real videos, from photos and recordings no demo training clip uses: the demo STAN names the classes it knows and
stays unsure on the ones it does not."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from explorer.demo.real import REAL_VIDEOS, UNSURE_BELOW, VIDEOS_DIR, real_clip
from explorer.demo.sources import CLASS_NAMES, DEMO_CLASSES, HELD_OUT_SOUNDS
from explorer.explain.familiarity import reference_for
from explorer.media import load_clip


@pytest.fixture(scope="module")
def real_features(stan) -> dict[str, tuple]:
    """Each shipped mp4's features, decoded as the app decodes an upload."""
    encoder = stan[1]
    return {video.name: encoder.encode(load_clip(VIDEOS_DIR / f"{video.name}.mp4")) for video in REAL_VIDEOS}


@pytest.fixture(scope="module")
def real_probabilities(stan, real_features) -> dict[str, np.ndarray]:
    """STAN's class probabilities on each shipped mp4."""
    with torch.no_grad():
        return {
            name: stan[0](audio[None], visual[None]).probs[0].numpy() for name, (audio, visual) in real_features.items()
        }


def test_every_real_video_is_flagged_unlike_the_training_clips(stan, real_features):
    """The app's familiarity warning: each real video lies 1.2-2.2× (sound) and 1.2-2.9× (frames) past the validation
    clips' 99th percentile (measured at stop 24), the known classes too: the warning is what tells a newcomer that
    the confident Car 0.81 on a motorcycle may be wrong."""
    reference = reference_for(stan[0])
    for name, (audio, visual) in real_features.items():
        assert reference.assess(audio, visual).unfamiliar == ("audio", "visual"), name


def test_no_demo_class_draws_a_held_out_recording():
    drawn = {sound for demo_class in DEMO_CLASSES for sound in demo_class.sounds}
    assert not drawn & set(HELD_OUT_SOUNDS)
    for video in REAL_VIDEOS:
        assert video.sound.removeprefix("demo:") not in drawn


# Measured misses of the committed STAN (stop 26, trained beside 250 outlier clips), 3 of the 10 known-class
# videos: horses_neighing (Cow 0.73: ImageNet's concepts read the horses as dogs and cattle, the audio half hears
# the neigh as a dog), donna_barking (Dog 0.48) and cow_mooing (Cow 0.38), both the right top class under the app's
# bar. Right and sure on the other seven: chelsea_mewing Cat 1.00, astronaut_speaking Speech 0.99, shepherd_barking
# Dog 0.74, kitten_mewing Cat 0.63, sheep_bleating Sheep 0.84, duck_quacking Duck 1.00, chickens_clucking Chicken
# rooster 1.00. The STAN of stop 24 (no outliers) was right and sure on 8; stop 22's, on the stride-16 map alone,
# right on 4 (docs/DEMO.md says why the concepts carry).
KNOWN_WRONG = {"horses_neighing", "donna_barking", "cow_mooing"}
# The top class alone is right on 9 of the 10; the best constant answer (Dog or Cat, two videos each) gets 2 and a
# uniformly random class 10/15 on average. The floor keeps a margin of one video under the measurement.
TOP_CLASS_FLOOR = 8


def videos(known: bool, misses: set[str], reason: str) -> list:
    """The real videos of classes the model knows (``known``) or not, the recorded ``misses`` as strict xfails."""
    return [
        pytest.param(video, marks=pytest.mark.xfail(strict=True, reason=reason)) if video.name in misses else video
        for video in REAL_VIDEOS
        if bool(video.expected) == known
    ]


@pytest.mark.parametrize(
    "video", videos(True, KNOWN_WRONG, "known miss: see KNOWN_WRONG"), ids=lambda video: video.name
)
def test_stan_names_the_class_of_a_real_video(real_probabilities, video):
    """The right top class, confident enough that the app does not call it unsure."""
    probs = real_probabilities[video.name]
    assert CLASS_NAMES[int(probs.argmax())] == video.expected, dict(zip(CLASS_NAMES, probs.round(2)))
    assert probs.max() >= UNSURE_BELOW, dict(zip(CLASS_NAMES, probs.round(2)))


def test_stan_top_class_on_real_videos_beats_any_constant_answer(real_probabilities):
    known = [video for video in REAL_VIDEOS if video.expected]
    expected = [video.expected for video in known]
    best_constant = max(expected.count(name) for name in set(expected))
    right = [CLASS_NAMES[int(real_probabilities[video.name].argmax())] == video.expected for video in known]
    assert len(known) == 10 and best_constant == 2
    assert sum(right) >= TOP_CLASS_FLOOR > best_constant, dict(zip([video.name for video in known], right))


# Two of the three: the passing motorcycle reads as Car 0.81 (ImageNet's two-wheelers are no demo class; the nearest
# one that is both seen and heard there is the car) and the rabbit over footsteps as Dog 0.68 (ImageNet itself reads
# that photo as a Border collie). Typing over a coffee cup stays unsure (Toilet flush 0.03; stop 24's STAN: 0.39).
# The STAN of stop 22 kept all three under the bar (Car 0.19, Chicken rooster 0.40, Chicken rooster 0.09), but named
# only 4 of the 10 known ones. Every one of the 13 is flagged as unlike the training clips, so the app warns on each
# (test_every_real_video_is_flagged_unlike_the_training_clips).
KNOWN_OVERCONFIDENT = {"motorcycle_passing", "rabbit_footsteps"}


@pytest.mark.parametrize(
    "video", videos(False, KNOWN_OVERCONFIDENT, "known miss: confidently wrong"), ids=lambda video: video.name
)
def test_stan_is_unsure_on_a_class_it_does_not_know(real_probabilities, video):
    probs = real_probabilities[video.name]
    assert probs.max() < UNSURE_BELOW, dict(zip(CLASS_NAMES, probs.round(2)))


def test_shipped_videos_are_the_ones_the_code_makes():
    for video in REAL_VIDEOS:
        decoded, made = load_clip(VIDEOS_DIR / f"{video.name}.mp4"), real_clip(video)
        assert decoded.num_segments == made.num_segments
        assert decoded.frames[0].shape[1:] == made.frames[0].shape[1:]
