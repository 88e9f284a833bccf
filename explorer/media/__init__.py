"""Media decoding and writing with PyAV (which ships its own FFmpeg).

``load_clip`` turns a video file into a :class:`Clip` of aligned 1-second segments (its
module docstring lists the policies for missing streams, short, long and broken files);
``load_audio`` reads any audio; ``probe`` describes a file; ``write_clip`` saves an mp4.
"""

from explorer.media.audio import load_audio
from explorer.media.clip import NO_AUDIO_WARNING, SAMPLE_RATE, Clip
from explorer.media.errors import MediaError
from explorer.media.loading import load_clip
from explorer.media.probing import probe
from explorer.media.writing import write_clip

__all__ = ["Clip", "MediaError", "NO_AUDIO_WARNING", "SAMPLE_RATE", "load_audio", "load_clip", "probe", "write_clip"]
