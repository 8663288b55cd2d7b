"""Gateway tests share one connection with the app: the call log is written in each call's own short
transaction here (the root conftest's `call_log_inline`), not by the background writer thread, which
test_recorder.py drives by hand."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _call_log_written_inline(call_log_inline: None) -> None:
    return None
