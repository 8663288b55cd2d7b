"""Fund figures reported by two province nodes reach the ministry hub through NATS JetStream (127.0.0.1:4222,
streams of a prefix made for the run), and the hub's position shows them with indicators, warnings and the
central adjustment; a repeated relay stores each report once. Also the report's figures from the ledger."""

from __future__ import annotations

import io
from datetime import date

from nats.js.client import JetStreamContext
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from renshe.core.auth import SYSTEM
from renshe.core.models import OutboxEvent
from renshe.federation import service as federation
from renshe.federation.models import HubEvent
from renshe.insurance import parameters
from renshe.pooling import rules, service
from tests.federation.test_nats import nodes, run_in_own_loop

__all__ = ["nodes"]


def _report(factory: sessionmaker[Session], wage: str) -> rules.Figures:
    with factory() as session:
        parameters.load_defaults(session)
        parameters.set_value(session, actor=SYSTEM, province="000000", key="average_wage",
                             effective_from=date(2026, 1, 1), value=wage, source="演示数据")
        figures = service.report(session, actor=SYSTEM, period="2026-06")
        session.commit()
    return figures


def test_reports_reach_the_hub_once_and_the_hub_computes_the_position(
        nodes: dict[str, sessionmaker[Session]]) -> None:
    zj = _report(nodes["p330000"], "9000")
    bj = _report(nodes["p110000"], "12000")
    assert zj.average_wage_fen == 9000 * 100 * 12
    assert bj.average_wage_fen == 12000 * 100 * 12
    run_in_own_loop(lambda jetstream, prefix: _relay(nodes, jetstream, prefix))
    with nodes["ministry"]() as session:
        stored = session.scalar(select(func.count(HubEvent.id)).where(HubEvent.topic == service.TOPIC))
        assert stored == 2
        position = service.national(session, actor=SYSTEM, on=date(2026, 7, 1))
        shown = service.as_dict(position)
        workbook = load_workbook(io.BytesIO(service.xlsx(position)))
    assert [row["province"] for row in shown["provinces"]] == ["110000", "330000"]
    assert shown["adjustment"]["rate"] == "0.04"
    assert "国发〔2018〕18号" in shown["adjustment"]["source"]
    # An empty ledger pays nothing out: no capacity figure, no retirees: no dependency ratio, no warning.
    assert shown["provinces"][0]["capacity_months"] is None
    assert shown["provinces"][0]["warnings"] == []
    sheet = workbook.active
    assert sheet is not None
    assert sheet.max_row == 3
    assert sheet.cell(1, 2).value == "省份"
    assert sheet.cell(2, 2).value == "北京市"


async def _relay(nodes: dict[str, sessionmaker[Session]], jetstream: JetStreamContext, prefix: str) -> None:
    for province in ("110000", "330000"):
        await federation.ensure_stream(jetstream, prefix, province)
        factory = nodes[f"p{province}"]
        assert await federation.publish_pending(jetstream, factory, prefix=prefix, province=province) >= 1
        # The relay repeats itself (as after a crash before marking events published): stored once.
        with factory() as session:
            session.execute(OutboxEvent.__table__.update().values(published_at=None))
            session.commit()
        await federation.publish_pending(jetstream, factory, prefix=prefix, province=province)
        for _ in range(5):
            await federation.consume_once(jetstream, nodes["ministry"], prefix=prefix, province=province,
                                          timeout=0.3)
