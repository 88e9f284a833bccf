"""Which audio encoder: compact (trained on the demo), aiSFX's trunk, SoundNet pool5/conv6, or log-mel statistics.

Every shipped real recording (assets/demo/sources and assets/real) is cut into 1 s segments and embedded. Each
recording is left out in turn; its segments are classified by the cosine nearest class centroid of the other
recordings' segments (and by 5-NN). Two sets:

* ``held-out``: only recordings no demo clip is made of (assets/real/sounds), the fair test for every encoder;
* ``all``: every recording, as in the first measurement (the compact encoder heard the demo's recordings in training,
  so its score there is optimistic).

Groups with one recording stay in the gallery as distractors but are never queried. Prints a Markdown table.
    python benchmarks/compare_audio_encoders.py [--compact checkpoints/demo/encoders/compact]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from explorer.encoders import create_encoder, load_encoder
from explorer.encoders.log_mel import segment_examples
from explorer.errors import ExplorerError
from explorer.media import SAMPLE_RATE, Clip, load_audio

ROOT = Path(__file__).resolve().parents[1]
DEMO, REAL = ROOT / "assets" / "demo" / "sources", ROOT / "assets" / "real" / "sounds"
# group → recordings; names are relative to assets/demo/sources (demo) or assets/real/sounds (held out)
GROUPS = {
    "dog": ["stamps/dog.ogg", "sounds/scratch_Dog1.wav", "sounds/scratch_Dog2.wav"],
    "cat": ["sounds/scratch_Meow.wav", "sounds/scratch_Cat.mp3", "sounds/scratch_Kitten.wav"],
    "horse": ["stamps/horse.ogg", "sounds/scratch_Horse.wav", "sounds/scratch_HorseGallop.wav"],
    "chicken": ["stamps/rooster.ogg", "sounds/scratch_Rooster.wav", "stamps/hen.ogg"],
    "duck": ["stamps/duck.ogg", "sounds/scratch_Duck.wav"],
    "guitar": ["sounds/scratch_GuitarStrum.wav", "sounds/scratch_GuitarChords1.mp3"],
    "speech": ["sounds/pyo_speech_male.aif", "real:speech_librivox_female.wav"],
    "laughter": ["real:scratch_Laugh-female.wav", "real:scratch_Laugh-male1.wav"],
    "ringing": ["real:scratch_BellToll.wav", "real:alarm-clock-elapsed.oga", "real:phone-incoming-call.oga"],
    "human vocal": ["real:scratch_BabyCry.mp3", "real:scratch_Cough-male.wav"],
    "knocks and steps": ["real:scratch_DoorClose.mp3", "real:scratch_Footsteps-1.wav", "real:scratch_Typing.mp3"],
    "bird": ["real:scratch_Bird.wav"],
    "flute": ["real:pyo_flute.aif"],
    "bee": ["real:tuxpaint_bee.ogg"],
    "engine": ["real:scratch_MotorcyclePassing.wav", "sounds/scratch_CarPassing.wav"],
    "crowd": ["real:scratch_PartyNoise.wav"],
    "water": ["sounds/scratch_WaterRunning.mp3"],
    "crickets": ["sounds/scratch_Crickets.wav"],
    "cow": ["stamps/cow.ogg"],
    "sheep": ["stamps/sheep.ogg"],
    "goat": ["stamps/goat.ogg"],
    "mouse": ["stamps/mouse.ogg"],
    "violin": ["stamps/violin.ogg"],
    "cello": ["stamps/cello.ogg"],
    "toilet": ["stamps/toilet.ogg"],
}


def path_of(name: str) -> Path:
    return REAL / name[5:] if name.startswith("real:") else DEMO / name


def recording_clip(path: Path, max_seconds: int = 10) -> Clip:
    audio = load_audio(path, sample_rate=SAMPLE_RATE)
    seconds = int(np.clip(audio.size // SAMPLE_RATE, 1, max_seconds))
    audio = np.pad(audio, (0, max(0, seconds * SAMPLE_RATE - audio.size)))[: seconds * SAMPLE_RATE]
    return Clip.from_arrays([np.zeros((1, 8, 8, 3), np.uint8)] * seconds, audio.astype(np.float32), SAMPLE_RATE)


class LogMelStatistics:
    """The baseline: mean and std over time of each segment's VGGish log-mel bands (128-d)."""

    name = "log-mel mean+std"

    def encode(self, clip: Clip):
        examples = segment_examples(clip.audio, clip.sample_rate, clip.num_segments, 100)
        return torch.from_numpy(np.concatenate([examples.mean(1), examples.std(1)], axis=1)), None


def embed_all(encoder) -> dict[str, np.ndarray]:
    embedded = {}
    for names in GROUPS.values():
        for name in names:
            features = encoder.encode(recording_clip(path_of(name)))[0].numpy().astype(np.float64)
            embedded[name] = features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)
    return embedded


def leave_one_out(embedded: dict[str, np.ndarray], held_out_only: bool) -> tuple[float, float, int, int]:
    """(centroid accuracy, 5-NN accuracy, segments queried, recordings queried)."""
    members = {
        group: [name for name in names if not held_out_only or name.startswith("real:")]
        for group, names in GROUPS.items()
    }
    members = {group: names for group, names in members.items() if names}
    centroid_hits = knn_hits = segments = queries = 0
    for group, names in members.items():
        if len(names) < 2:
            continue
        for query in names:
            centroids, gallery, gallery_groups = [], [], []
            for other, other_names in members.items():
                rest = [name for name in other_names if name != query]
                if not rest:
                    continue
                stacked = np.concatenate([embedded[name] for name in rest])
                centroids.append((other, stacked.mean(axis=0)))
                gallery.append(stacked)
                gallery_groups += [other] * len(stacked)
            labels = [label for label, _ in centroids]
            matrix = np.stack([vector / max(np.linalg.norm(vector), 1e-12) for _, vector in centroids])
            gallery, gallery_groups = np.concatenate(gallery), np.array(gallery_groups)
            for segment in embedded[query]:
                centroid_hits += labels[int(np.argmax(matrix @ segment))] == group
                nearest = gallery_groups[np.argsort(-(gallery @ segment))[:5]]
                values, counts = np.unique(nearest, return_counts=True)
                knn_hits += values[np.argmax(counts)] == group
                segments += 1
            queries += 1
    return centroid_hits / segments, knn_hits / segments, segments, queries


def chance(held_out_only: bool) -> float:
    groups = [
        group for group, names in GROUPS.items() if any(not held_out_only or name.startswith("real:") for name in names)
    ]
    return 1 / len(groups)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--compact", default=str(ROOT / "checkpoints" / "demo" / "encoders" / "compact"))
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    torch.manual_seed(0)  # the random-init rows
    encoders = [("log-mel mean+std (no network)", LogMelStatistics())]
    try:
        encoders.append(("compact (trained on the demo)", load_encoder(args.compact, "compact")))
    except ExplorerError as error:
        print(f"compact skipped: {error}")
    encoders += [
        ("aiSFX trunk (512-d)", create_encoder("aisfx")),
        ("aiSFX, random init", create_encoder("aisfx", weights="random")),
        ("SoundNet pool5 (256-d)", create_encoder("soundnet")),
        ("SoundNet conv6 (512-d)", create_encoder("soundnet", layer="conv6")),
        ("SoundNet pool5, random init", create_encoder("soundnet", weights="random")),
    ]
    print("| features | held-out: centroid | held-out: 5-NN | all: centroid | all: 5-NN |")
    print("|---|---|---|---|---|")
    summary = None
    for label, encoder in encoders:
        embedded = embed_all(encoder)
        held = leave_one_out(embedded, held_out_only=True)
        full = leave_one_out(embedded, held_out_only=False)
        summary = (held, full)
        print(f"| {label} | {held[0]:.2f} | {held[1]:.2f} | {full[0]:.2f} | {full[1]:.2f} |", flush=True)
    held, full = summary
    print(
        f"\nheld-out: {held[3]} recordings queried, {held[2]} segments, chance {chance(True):.2f}; "
        f"all: {full[3]} recordings, {full[2]} segments, chance {chance(False):.2f}"
    )


if __name__ == "__main__":
    main()
