"""The page guard: an unexpected error is one st.error sentence with a reference, its traceback only in the log."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def failing_page():
    import streamlit as st

    from explorer.ui.guard import page_guard

    with page_guard("the test page"):
        st.write("before")
        raise RuntimeError("secret internal detail")


def known_error_page():
    from explorer.errors import DataError
    from explorer.ui.guard import page_guard

    with page_guard():
        raise DataError("The dataset root /nowhere does not exist.")


def stopping_page():
    import streamlit as st

    from explorer.ui.guard import page_guard

    with page_guard():
        st.write("stopped here")
        st.stop()
    st.write("never drawn")


def test_unexpected_error_is_one_sentence_with_a_reference(caplog):
    app = AppTest.from_function(failing_page).run()
    assert not app.exception
    assert len(app.error) == 1
    message = app.error[0].value
    assert "Something went wrong while drawing the test page (reference " in message
    assert "secret internal detail" not in message and "Traceback" not in message
    reference = message.split("reference ")[1][:8]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)


def test_known_errors_keep_their_sentence():
    app = AppTest.from_function(known_error_page).run()
    assert not app.exception and [error.value for error in app.error] == ["The dataset root /nowhere does not exist."]


def test_stop_passes_through():
    app = AppTest.from_function(stopping_page).run()
    assert not app.exception and not app.error
    assert [text.value for text in app.markdown] == ["stopped here"]
