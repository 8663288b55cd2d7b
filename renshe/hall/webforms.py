"""What every hall page shares: the signed-in entrances, the posted form, and errors shown beside fields."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import require_kind

Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]


async def form_body(request: Request) -> FormData:
    """The posted form (files included), with bounds on how many parts it may have."""
    return await request.form(max_files=40, max_fields=400)


Body = Annotated[FormData, Depends(form_body)]


def values_of(body: FormData) -> dict[str, str]:
    """The form's text fields."""
    return {key: value for key, value in body.items() if isinstance(value, str)}


def err_map(errors: list[FieldError]) -> dict[str, str]:
    """The first message for each field (an API field `data.x` is the page's `x`)."""
    found: dict[str, str] = {}
    for e in errors:
        found.setdefault(e.field.removeprefix("data."), e.message)
    return found


def errors_of(exc: DomainError, field: str) -> list[FieldError]:
    """A domain error's field errors, or its detail shown at FIELD."""
    return exc.errors or [FieldError(field, exc.code, exc.detail)]


def try_write(session: Session, action: Callable[[], object], *,
              raising: frozenset[int] = frozenset({401, 403})) -> DomainError | None:
    """Run a page's write in a savepoint and hand a broken rule back to the page (to show the form again
    with its status); statuses in RAISING go up to the error pages. The savepoint is rolled back unless
    the error keeps what was done (`persist`, e.g. a wrong one-time code), so the request's unit of work
    commits the rest and pages never roll back by hand."""
    savepoint = session.begin_nested()
    try:
        action()
    except DomainError as exc:
        if exc.persist:
            savepoint.commit()
        else:
            savepoint.rollback()
        if exc.status in raising:
            raise
        return exc
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return None
