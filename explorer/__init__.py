"""STAN Explorer: space-time attention explanations for audio-visual event recognition."""

__version__ = "0.1.0"
