"""The media error type."""

from explorer.errors import ExplorerError


class MediaError(ExplorerError):
    """A media file is missing, unreadable, too short or lacks a stream STAN needs."""
