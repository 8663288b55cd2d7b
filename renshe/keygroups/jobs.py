"""`renshe keygroups refresh`: bring the stored employment state up to the registry in two set-based
statements (no row is loaded): a record of someone with an open employment relation becomes 已就业
(source: the registry); a record the registry made 已就业 whose relation has since ended falls back to
未就业. States a clerk recorded (灵活就业, 升学, 参军 ...) are left as they are unless a relation is open.
Pages and the API derive the state again at read, so the refresh keeps exports and reports in step."""

from __future__ import annotations

from sqlalchemy import and_, not_, update
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.errors import Forbidden
from renshe.keygroups import rules, schemas, service
from renshe.keygroups.models import KeyGroupRecord
from renshe.registry import service as registry


def refresh(session: Session, *, actor: Principal) -> schemas.RefreshOut:
    if actor.kind not in {"system", "staff"} or (actor.kind == "staff" and not actor.has("import.run")):
        raise Forbidden("无权更新重点群体就业状态", code="renshe:keygroups/permission")
    on = service.today()
    employed = KeyGroupRecord.person_id.in_(registry.open_employment_persons())
    by_registry = and_(KeyGroupRecord.state == rules.EMPLOYED, KeyGroupRecord.state_source == rules.REGISTRY)
    hired = session.execute(
        update(KeyGroupRecord).where(employed, not_(by_registry))
        .values(state=rules.EMPLOYED, state_source=rules.REGISTRY, state_on=on)
        .execution_options(synchronize_session=False))
    ended = session.execute(
        update(KeyGroupRecord).where(by_registry, not_(employed))
        .values(state=rules.NOT_EMPLOYED, state_source=rules.REGISTRY, state_on=on)
        .execution_options(synchronize_session=False))
    session.expire_all()
    answer = schemas.RefreshOut(employed=int(hired.rowcount or 0), not_employed=int(ended.rowcount or 0))  # type: ignore[attr-defined]
    audit.record(session, actor=actor, action="keygroups.refresh", entity_type="keygroup_record", entity_id="*",
                 after=answer.model_dump())
    return answer
