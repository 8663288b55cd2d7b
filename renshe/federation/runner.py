"""Background loops run by the web process: the relay in a province, the consumer at the ministry."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import nats
import structlog
from nats.aio.client import Client
from nats.js.client import JetStreamContext
from prometheus_client import Gauge

from renshe.core import db
from renshe.core.settings import get_settings
from renshe.federation import service
from renshe.federation.service import SessionFactory

log = structlog.get_logger("renshe.federation")
PENDING = Gauge("renshe_hub_pending_events", "Events in a province's stream not yet applied", ["province"])
DELAY = Gauge("renshe_hub_last_delay_seconds", "Delay of the newest applied event", ["province"])
APPLIED = Gauge("renshe_hub_events_total", "Events applied per province", ["province"])


class Federation:
    """Connects to NATS and runs the loop for this node's role until stopped."""

    def __init__(self, *, url: str, role: str, province: str, prefix: str,
                 factory: SessionFactory | None = None, interval: float = 0.2,
                 on_applied: Callable[[], object] | None = None) -> None:
        self.url, self.role, self.province, self.prefix = url, role, province, prefix
        self.on_applied = on_applied  # at the hub, after events were stored: the domains' national views catch up
        self.factory = factory or (lambda: db.sessions.factory())
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._nc: Client | None = None

    async def start(self) -> None:
        self._nc = await nats.connect(self.url, max_reconnect_attempts=-1)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._nc:
            await self._nc.drain()

    async def _run(self) -> None:
        if self._nc is None:
            return
        js = self._nc.jetstream()
        if self.role == "ministry":
            try:
                await self._hub(js)
            finally:
                service.forget_subscriptions(js)
        else:
            await service.ensure_stream(js, self.prefix, self.province)
            while not self._stop.is_set():
                try:
                    sent = await service.publish_pending(js, self.factory, prefix=self.prefix, province=self.province)
                except Exception:  # keep relaying after a broker or database hiccup; nothing is lost
                    log.exception("relay round failed")
                    sent = 0
                if not sent:
                    await asyncio.sleep(self.interval)

    async def _hub(self, js: JetStreamContext) -> None:
        provinces: list[str] = []
        discovered = exported = 0.0
        while not self._stop.is_set():
            if time.monotonic() - discovered > 5:
                provinces = await service.provinces_on_server(js, self.prefix)
                discovered = time.monotonic()
            applied = 0
            for province in provinces:
                try:
                    applied += await service.consume_once(js, self.factory, prefix=self.prefix, province=province,
                                                          timeout=0.2)
                except Exception:
                    log.exception("hub round failed", province=province)
            if applied and self.on_applied is not None:
                try:
                    await asyncio.to_thread(self.on_applied)
                except Exception:  # the store has the events; the view catches up on the next round
                    log.exception("national views failed to catch up")
            if applied or time.monotonic() - exported >= 1.0:  # the gauges move only when events arrive
                self._export_metrics()
                exported = time.monotonic()
            if not applied:
                await asyncio.sleep(self.interval)

    def _export_metrics(self) -> None:
        with self.factory() as session:
            for row in service.province_status(session):
                PENDING.labels(row.province).set(row.pending)
                DELAY.labels(row.province).set(row.last_delay_ms / 1000)
                APPLIED.labels(row.province).set(row.events)


def from_settings(*, on_applied: Callable[[], object] | None = None) -> Federation | None:
    settings = get_settings()
    if not settings.nats_url:
        return None
    return Federation(url=settings.nats_url, role=settings.role, province=settings.province_code,
                      prefix=settings.nats_subject_prefix, on_applied=on_applied)
