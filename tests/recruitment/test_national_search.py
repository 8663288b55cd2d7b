"""A posting published in a province is found in the national search at the ministry hub, through the real
federation: the province's outbox → NATS JetStream → the hub's national store → the hub's job index."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from renshe.core.auth import SYSTEM
from renshe.core.settings import get_settings
from renshe.federation import service as federation
from renshe.recruitment import jobs, schemas, service
from tests import factories
from tests.federation.test_nats import nodes, run_in_own_loop  # noqa: F401 (nodes is a fixture)
from tests.recruitment.test_recruitment import agent_of, posting_in

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database


def test_a_posting_made_in_a_province_is_found_in_the_national_search(
        nodes: dict[str, sessionmaker[Session]]) -> None:  # noqa: F811
    province = get_settings().province_code
    with nodes["p110000"]() as session:
        employer = factories.employer(session, name="北京某软件公司")
        row = service.post(session, actor=agent_of(employer), data=posting_in(title="嵌入式软件开发工程师"))
        service.moderate(session, actor=SYSTEM, public_id=row.public_id, approve=True)
        public_id = row.public_id
        session.commit()

    async def scenario(jetstream, prefix):  # type: ignore[no-untyped-def]
        await federation.ensure_stream(jetstream, prefix, province)
        assert await federation.publish_pending(jetstream, nodes["p110000"], prefix=prefix, province=province) >= 1
        for _ in range(20):
            if await federation.consume_once(jetstream, nodes["ministry"], prefix=prefix, province=province,
                                             timeout=0.2):
                break

    run_in_own_loop(scenario)
    with nodes["ministry"]() as hub:
        assert service.search(hub, criteria=schemas.SearchIn(q="软件工程师")).total == 0  # not yet indexed
        assert jobs.sync_national(hub)["stored"] == 1
        hub.commit()
        found = service.search(hub, criteria=schemas.SearchIn(q="软件工程师", division="11"))
        assert [(r.public_id, r.title, r.origin_province) for r in found.rows] == [
            (public_id, "嵌入式软件开发工程师", province)]
        assert service.out(hub, found.rows[0]).contact_phone == "139****1111"  # the phone never left the province
