"""Real test videos: a real photo held still while a real recording plays, from media no demo training clip uses.

They check what the synthetic test seeds cannot: that the demo models name the class of real footage. Ten show a
class the demo knows (two dogs barking, two cats mewing, a person speaking, a cow, horses, sheep, a duck, chickens);
three show classes it does not know, where the model should look unsure (no class above :data:`UNSURE_BELOW`) rather
than confidently wrong.
Sources and licences: assets/real/ATTRIBUTION.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from explorer.demo.sources import SOURCES_DIR
from explorer.errors import DataError
from explorer.media import SAMPLE_RATE, Clip, load_audio, write_clip
from explorer.paths import REAL_MEDIA

REAL_DIR = REAL_MEDIA
VIDEOS_DIR = REAL_DIR / "videos"
LONGER_SIDE = 320  # pixels: a small landscape or portrait video, as a phone would send
MIN_SECONDS, MAX_SECONDS = 4, 10
REPEAT_GAP_SECONDS = 0.6  # a recording shorter than the clip repeats after this pause (a dog barks again)
UNSURE_BELOW = 0.5  # the app calls a prediction unsure when no class reaches this probability


@dataclass(frozen=True)
class RealVideo:
    name: str
    photo: str  # relative to assets/real
    sound: str  # relative to assets/real, or "demo:" + a path in assets/demo/sources (held-out recordings)
    expected: str | None  # the demo class it shows, None for a class the demo does not know
    what: str

    def sound_path(self) -> Path:
        if self.sound.startswith("demo:"):
            return SOURCES_DIR / self.sound[5:]
        return REAL_DIR / self.sound


REAL_VIDEOS: tuple[RealVideo, ...] = (
    RealVideo(
        "donna_barking",
        "photos/donna.jpg",
        "demo:sounds/scratch_Dog2.wav",
        "Dog",
        "a black dog (kphotoalbum's donna.jpg) with Scratch's Dog2 bark",
    ),
    RealVideo(
        "chelsea_mewing",
        "photos/chelsea.png",
        "demo:sounds/scratch_Kitten.wav",
        "Cat",
        "scikit-image's cat photo, uncut, with Scratch's Kitten",
    ),
    RealVideo(
        "astronaut_speaking",
        "photos/astronaut.png",
        "sounds/speech_librivox_female.wav",
        "Speech",
        "an astronaut's portrait with a LibriVox reader",
    ),
    RealVideo(
        "shepherd_barking",
        "photos/gcompris_dog.webp",
        "sounds/gcompris_dog.ogg",
        "Dog",
        "a German shepherd (Wikimedia, via GCompris) with GCompris's dog recording",
    ),
    RealVideo(
        "kitten_mewing",
        "photos/gcompris_cat.webp",
        "sounds/gcompris_cat.ogg",
        "Cat",
        "a playing kitten (Wikimedia, via GCompris) with GCompris's cat recording",
    ),
    RealVideo(
        "cow_mooing",
        "photos/gcompris_cow.webp",
        "sounds/gcompris_cow.ogg",
        "Cow",
        "a cow in a field (Wikimedia, via GCompris) with GCompris's cow recording",
    ),
    RealVideo(
        "horses_neighing",
        "photos/gcompris_horse.webp",
        "sounds/gcompris_horse.ogg",
        "Horse",
        "a band of horses (Wikimedia, via GCompris) with GCompris's horse recording",
    ),
    RealVideo(
        "sheep_bleating",
        "photos/gcompris_sheep.webp",
        "sounds/gcompris_sheep.ogg",
        "Sheep",
        "sheep (Wikimedia, via GCompris) with GCompris's sheep recording",
    ),
    RealVideo(
        "duck_quacking",
        "photos/gcompris_duck.webp",
        "sounds/gcompris_duck.ogg",
        "Duck",
        "an Aylesbury duck (Wikimedia, via GCompris) with GCompris's duck recording",
    ),
    RealVideo(
        "chickens_clucking",
        "photos/gcompris_chicken.webp",
        "sounds/gcompris_chickens.ogg",
        "Chicken rooster",
        "chickens in a yard (Wikimedia, via GCompris) with GCompris's chickens recording",
    ),
    RealVideo(
        "motorcycle_passing",
        "photos/motorcycle_left.png",
        "sounds/scratch_MotorcyclePassing.wav",
        None,
        "a motorcycle with a passing motorcycle (no Motorcycle class in the demo)",
    ),
    RealVideo(
        "coffee_typing",
        "photos/coffee.png",
        "sounds/scratch_Typing.mp3",
        None,
        "a cup of coffee with typing (neither is a demo class)",
    ),
    RealVideo(
        "rabbit_footsteps",
        "photos/spiff.jpg",
        "sounds/scratch_Footsteps-1.wav",
        None,
        "a rabbit with footsteps (neither is a demo class)",
    ),
)


def _photo(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise DataError(f"The real test photo {path} is missing or unreadable; restore assets/real from git.")
    scale = LONGER_SIDE / max(image.shape[:2])
    height, width = (int(round(side * scale / 2)) * 2 for side in image.shape[:2])  # even sides for H.264
    return cv2.cvtColor(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)


def _soundtrack(path: Path) -> np.ndarray:
    """The recording, repeated after a short pause until the clip lasts MIN_SECONDS, cut at MAX_SECONDS."""
    sound = load_audio(path, sample_rate=SAMPLE_RATE)
    if sound.size == 0:
        raise DataError(f"The real test recording {path} is empty; restore it from git.")
    seconds = int(np.clip(np.ceil(sound.size / SAMPLE_RATE), MIN_SECONDS, MAX_SECONDS))
    period = (
        np.concatenate([sound, np.zeros(int(REPEAT_GAP_SECONDS * SAMPLE_RATE), np.float32)])
        if sound.size < MIN_SECONDS * SAMPLE_RATE
        else sound
    )
    repeats = int(np.ceil(seconds * SAMPLE_RATE / period.size))
    return np.tile(period, repeats)[: seconds * SAMPLE_RATE].astype(np.float32)


def real_clip(video: RealVideo, fps: int = 8) -> Clip:
    """The video in memory: the photo on every frame, the recording as its audio."""
    audio = _soundtrack(video.sound_path())
    frame = _photo(REAL_DIR / video.photo)
    segments = audio.size // SAMPLE_RATE
    return Clip.from_arrays([np.repeat(frame[None], fps, axis=0)] * segments, audio, SAMPLE_RATE)


def write_real_videos(out: str | Path = VIDEOS_DIR, fps: int = 8) -> list[Path]:
    """Write every real test video as ``NAME.mp4`` (H.264 + AAC) in ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for video in REAL_VIDEOS:
        path = out / f"{video.name}.mp4"
        write_clip(path, real_clip(video, fps), fps=fps)
        paths.append(path)
    return paths
