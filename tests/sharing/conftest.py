"""Gateway tests share one connection with the app: the call log is written in each call's own short
transaction here (RENSHE_CALL_LOG_FLUSH_MS=0), not by the background writer thread, which
test_recorder.py drives by hand."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _call_log_written_inline(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from renshe.core import settings
    from renshe.sharing import fastpath, gateway

    monkeypatch.setenv("RENSHE_CALL_LOG_FLUSH_MS", "0")
    settings.get_settings.cache_clear()
    gateway.reset()
    fastpath.tokens.clear()
    yield
    monkeypatch.delenv("RENSHE_CALL_LOG_FLUSH_MS")
    settings.get_settings.cache_clear()
    gateway.reset()
