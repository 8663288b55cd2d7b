"""Fixtures of the certificate library tests: a person, a clerk of the person's county, an issued
certificate, and the published keys and status lists as a verifier would cache them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.certs import service
from renshe.certs.models import Certificate
from renshe.core.auth import Principal
from renshe.registry.models import Person
from tests import factories

SKILL_FIELDS = {"occupation": "电工", "level": "三级/高级工", "evaluator": "某职业技能等级认定中心"}


@pytest.fixture
def holder(session: Session) -> Person:
    return factories.person(session, county="110105", name="欧阳秋菊")


@pytest.fixture
def clerk(session: Session) -> Principal:
    return factories.staff_user(session, username="cert-clerk", division="110105")


@pytest.fixture
def cert(session: Session, clerk: Principal, holder: Person) -> Certificate:
    return service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="vocational-skill-level",
                         fields=SKILL_FIELDS)


def published(client: TestClient) -> tuple[dict[str, Any], list[str]]:
    """What an offline verifier caches: the JWKS and both status lists, fetched over HTTP."""
    keys = client.get("/.well-known/renshe/keys")
    assert keys.status_code == 200, keys.text
    lists = []
    for purpose in ("revocation", "suspension"):
        response = client.get(f"/certs/status/{purpose}/0")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/vc+jwt")
        lists.append(response.text)
    return keys.json(), lists


def citizen(person: Person) -> Principal:
    return Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                     division_code=person.residence_division)
