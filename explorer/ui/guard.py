"""One guard around every page: known errors keep their sentence; anything else is one st.error and a log entry."""

from __future__ import annotations

import logging
import uuid
from contextlib import contextmanager
from typing import Iterator

import streamlit as st

from explorer.errors import ExplorerError

LOG = logging.getLogger("explorer.app")


@contextmanager
def page_guard(what: str = "this page") -> Iterator[None]:
    """Streamlit's own stop and rerun signals are BaseExceptions and pass through untouched."""
    try:
        yield
    except ExplorerError as error:
        st.error(str(error))
    except Exception:  # the last line of defence: the traceback goes to the server log, never to the page
        reference = uuid.uuid4().hex[:8]
        LOG.exception("unexpected error while drawing %s [ref %s]", what, reference)
        st.error(
            f"Something went wrong while drawing {what} (reference {reference}); the details are in the server log."
        )
