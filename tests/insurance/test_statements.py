"""Statement certificates (权益记录单): a download while the ledger is unchanged hands out the same
certificate; after a change a new version is issued and the old one is superseded (revoked in the status
list, pointing to the new one), so an offline verifier holding the old QR sees it revoked."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.certs import verifier
from renshe.core.auth import SYSTEM
from renshe.insurance import accounts, contributions, enrolment
from renshe.insurance.models import Statement
from renshe.registry import service as registry
from tests import factories
from tests.certs.conftest import published
from tests.certs.test_acceptance import _qr_from_pdf
from tests.insurance import kit
from tests.insurance.test_accounts import HEADER, _paid_year
from tests.insurance.test_contributions import xlsx


def test_same_ledger_same_certificate_changed_ledger_supersedes(client: TestClient, session: Session) -> None:
    staffed = _paid_year(session, people=1, months=(1, 2))
    relation = enrolment.relations_of_unit(session, unit=staffed.unit)[0]
    person = registry.person_by_pk(session, relation.person_id)
    assert person is not None
    session.commit()
    citizen = factories.bearer(kit.citizen_of(person.public_id, person.name))

    first = client.get("/citizen/insurance/statement.pdf", headers=citizen)
    assert first.status_code == 200, first.text
    assert first.headers["x-certificate-reused"] == "0"
    again = client.get("/api/v1/insurance/me/statement.pdf", headers=citizen)
    assert again.status_code == 200
    assert again.headers["x-certificate"] == first.headers["x-certificate"]
    assert again.headers["x-certificate-reused"] == "1"
    assert session.scalar(select(func.count()).select_from(Statement)) == 1

    # March is paid and posted: the ledger changed, so the next download is a new version of the statement.
    contributions.assess(session, actor=SYSTEM, unit=staffed.unit, month=date(2023, 3, 1))
    contributions.import_receipts(session, actor=SYSTEM, rows=contributions.read_receipts_xlsx(xlsx(HEADER, [
        ["R-MARCH", staffed.credit_code, "110", "2023-03", "1920.00", "2023-04-10"]])), batch="march")
    accounts.post_month(session, actor=SYSTEM, unit=staffed.unit, month=date(2023, 3, 1), on=date(2023, 12, 31))
    session.commit()
    changed = client.get("/citizen/insurance/statement.pdf", headers=citizen)
    assert changed.status_code == 200
    assert changed.headers["x-certificate-reused"] == "0"
    assert changed.headers["x-certificate"] != first.headers["x-certificate"]
    session.expire_all()
    old = certs.get_certificate(session, actor=SYSTEM, identifier=first.headers["x-certificate"])
    new = certs.get_certificate(session, actor=SYSTEM, identifier=changed.headers["x-certificate"])
    assert (old.status, old.superseded_by) == ("revoked", new.identifier)
    assert (new.serial, new.cert_version, new.fields["months"]) == (old.serial, old.cert_version + 1, "3")

    keys, lists = published(client)
    assert verifier.verify_offline(_qr_from_pdf(first.content), jwks=keys, status_lists=lists).result == "revoked"
    assert verifier.verify_offline(_qr_from_pdf(changed.content), jwks=keys, status_lists=lists).result == "valid"
    # Unchanged again: the new certificate is reused.
    assert client.get("/citizen/insurance/statement.pdf",
                      headers=citizen).headers["x-certificate"] == changed.headers["x-certificate"]
