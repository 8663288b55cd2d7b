"""The certificate library's authorisation rules, decided in one place (renshe.certs.policy)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from renshe.certs import policy
from renshe.certs.models import Certificate
from renshe.core.auth import Principal
from renshe.core.errors import DomainError
from renshe.registry.models import Person
from tests import factories
from tests.card import kit


def _refusal_code(actor: Principal, action: str, target: policy.Target = None) -> str | None:
    try:
        policy.require(actor, action, target)
    except DomainError as exc:
        return exc.code
    return None


def test_reading_a_certificate(session: Session, clerk: Principal, holder: Person, cert: Certificate) -> None:
    assert policy.can(clerk, "certs.read", cert)
    assert policy.can(kit.citizen(holder), "certs.read", cert)
    stranger = factories.person(session, county="110105", name="司马光")
    assert _refusal_code(kit.citizen(stranger), "certs.read", cert) == "renshe:certs/not-found"
    far = factories.staff_user(session, username="far-cert-clerk", division="110108")
    with pytest.raises(DomainError) as caught:
        policy.require(far, "certs.read", cert)
    assert caught.value.code == "renshe:auth/out-of-jurisdiction"
    assert caught.value.audit is not None
    assert caught.value.audit["entity_id"] == cert.public_id


def test_writing_linking_and_configuring(session: Session, clerk: Principal, holder: Person,
                                         cert: Certificate) -> None:
    assert policy.can(clerk, "certs.write", cert)
    assert policy.can(clerk, "certs.issue_to", holder)
    reviewer = factories.staff_user(session, username="cert-reviewer", roles=("reviewer",), division="110105")
    assert _refusal_code(reviewer, "certs.write", cert) == "renshe:auth/permission"
    assert _refusal_code(reviewer, "certs.issue") == "renshe:auth/permission"
    far = factories.staff_user(session, username="far-writer", division="110108")
    assert _refusal_code(far, "certs.issue_to", holder) == "renshe:auth/out-of-jurisdiction"
    assert _refusal_code(far, "certs.write", cert) == "renshe:auth/out-of-jurisdiction"
    assert policy.can(kit.citizen(holder), "certs.link", cert)
    assert _refusal_code(clerk, "certs.link", cert) == "renshe:certs/link-owner"
    assert _refusal_code(clerk, "certs.configure") == "renshe:auth/permission"
    assert policy.can(factories.staff_user(session, username="cert-admin", roles=("admin",), division="110000"),
                      "certs.configure")
