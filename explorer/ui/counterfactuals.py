"""Counterfactual inputs: the same clip with its audio muted, its frames blanked, or another clip's audio."""

from __future__ import annotations

import numpy as np

from explorer.media.clip import Clip

COUNTERFACTUALS = {"Mute the audio": "mute", "Blank the frames": "blank", "Swap in other audio": "swap"}


def counterfactual_clip(clip: Clip, kind: str, donor: Clip | None = None) -> Clip:
    """A copy of ``clip`` changed as ``kind`` says; ``swap`` takes ``donor``'s audio, looped or cut to fit."""
    if kind == "mute":
        return Clip.from_arrays(clip.frames, np.zeros_like(clip.audio), clip.sample_rate)
    if kind == "blank":
        return Clip.from_arrays([np.zeros_like(stack) for stack in clip.frames], clip.audio, clip.sample_rate)
    if kind == "swap":
        if donor is None:
            raise ValueError("swapping audio needs a donor clip")
        audio = np.resize(donor.audio, clip.audio.shape)  # np.resize repeats a shorter donor
        return Clip.from_arrays(clip.frames, audio, clip.sample_rate)
    raise ValueError(f"unknown counterfactual {kind!r}; expected one of {', '.join(COUNTERFACTUALS.values())}")
