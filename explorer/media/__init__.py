"""Media decoding with PyAV: audio for the demo corpus, whole clips for the encoders."""
from explorer.media.audio import SAMPLE_RATE, load_audio
from explorer.media.errors import MediaError

__all__ = ["MediaError", "SAMPLE_RATE", "load_audio"]
