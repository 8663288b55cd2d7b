"""Staff pages of data sharing: the catalog, consumer applications, the call log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import Response

from renshe.core import db
from renshe.core.auth import Principal
from renshe.core.errors import FieldError
from renshe.core.http import DbSession, attempt, require_kind, templates
from renshe.registry import service as registry
from renshe.sharing import service

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]


@router.get("/staff/sharing")
def catalog_page(request: Request, session: DbSession, principal: Staff) -> Response:
    principal.require("audit.read")
    resources = [service.resource_out(r) for r in service.catalog(session)]
    db.commit(session)
    return templates.render(request, "sharing_catalog.html", page_title="数据共享目录", resources=resources,
                            consumers=service.consumers(session), errors=[], created=None,
                            can_manage=principal.has("user.manage"))


@router.post("/staff/sharing/consumers")
def create_consumer(request: Request, session: DbSession, principal: Staff,
                    name: Annotated[str, Form()] = "", purpose: Annotated[str, Form()] = "",
                    legal_basis: Annotated[str, Form()] = "",
                    grants: Annotated[list[str] | None, Form()] = None) -> Response:
    created = None
    errors: list[FieldError] = []
    if not grants:
        errors.append(FieldError("grants", "renshe:sharing/no-grants", "请至少勾选一个授权资源"))
    elif len(purpose.strip()) < 2 or len(legal_basis.strip()) < 2:
        errors.append(FieldError("purpose", "renshe:sharing/purpose", "请填写用途和法律依据"))
    else:
        added, errors = attempt(lambda: service.add_consumer(
            session, actor=principal, name=name, grants=grants, purpose=purpose.strip(),
            legal_basis=legal_basis.strip()), field="name")
        if added is not None:
            consumer, secret = added
            created = {"client_id": consumer.client_id, "client_secret": secret, "name": consumer.name}
            db.commit(session)
    resources = [service.resource_out(r) for r in service.catalog(session)]
    return templates.render(request, "sharing_catalog.html", status_code=422 if errors else 200,
                            page_title="数据共享目录", resources=resources, consumers=service.consumers(session),
                            errors=errors, created=created, can_manage=principal.has("user.manage"))


@router.get("/staff/sharing/calls")
def calls_page(request: Request, session: DbSession, principal: Staff,
               consumer: Annotated[str, Query(max_length=40)] = "") -> Response:
    principal.require("audit.read")
    calls = service.call_log(session, consumer=consumer or None, limit=200)
    return templates.render(request, "sharing_calls.html", page_title="共享调用日志", calls=calls, consumer=consumer)


@router.get("/citizen/lookups")
def my_lookups(request: Request, session: DbSession, principal: Citizen) -> Response:
    """A person sees which departments looked them up and why."""
    person = registry.get_person(session, actor=principal, public_id=principal.subject)
    return templates.render(request, "sharing_mine.html", page_title="谁查询了我的信息",
                            lookups=service.lookups_of(session, person=person))
