"""Electronic labour contracts: drafting checked field by field, only the employed worker signs, both
signatures make it effective with a PDF that `pdfsig` validates, a changed byte is caught by verification,
termination ends the employment relation, and the warnings find a relation without a contract."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from renshe.contracts import rules, schemas, service
from renshe.core import messages
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry
from tests import factories
from tests.factories import bearer


def _employer_agent(employer: registry.Employer) -> Principal:
    return Principal(kind="employer", subject=employer.public_id, display_name=employer.name,
                     division_code=employer.division_code)


def _citizen(person: registry.Person) -> Principal:
    return Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                     division_code=person.residence_division)


def _hire(session: Session, employer: registry.Employer, person: registry.Person, id_number: str,
          start: date) -> Any:
    return registry.report_employment(session, actor=SYSTEM, employer=employer, data=registry_schemas.EmploymentIn(
        id_number=id_number, start_date=start, job_title="软件工程师"))


def _fields(**changes: Any) -> dict[str, Any]:
    start = date.today() - timedelta(days=10)
    base: dict[str, Any] = {
        "term_kind": "fixed", "start_date": start.isoformat(),
        "end_date": rules.add_months(start, 36).isoformat(), "probation_months": 2,
        "employer_address": "北京市朝阳区建国路1号", "worker_address": "北京市朝阳区朝阳路2号",
        "job_content": "软件工程师", "work_place": "北京市朝阳区", "monthly_wage_fen": 1_200_000, "pay_day": 10}
    base.update(changes)
    return base


@pytest.fixture
def parties(session: Session) -> dict[str, Any]:
    number = factories.resident_id("110105", date(1990, 4, 8))
    person = factories.person(session, name="林劳动", birth=date(1990, 4, 8), id_number=number, phone="13900001111")
    employer = factories.employer(session, name="北京合同测试有限公司")
    relation = _hire(session, employer, person, number, date.today() - timedelta(days=10))
    return {"person": person, "number": number, "employer": employer, "relation": relation}



def _code(session: Session) -> str:
    for message in messages.recent(session, limit=5):
        found = re.search(r"验证码(\d{6})", message.body)
        if found:
            return found.group(1)
    raise AssertionError("no one-time code was sent")


def test_draft_checks_every_field_and_names_it(session: Session, parties: dict[str, Any]) -> None:
    agent = _employer_agent(parties["employer"])
    bad = _fields(job_content="", end_date=None, monthly_wage_fen="一万")
    with pytest.raises(DomainError) as refused:
        service.draft(session, actor=agent, data=schemas.DraftIn(id_number=parties["number"], fields=bad))
    fields = {e.field for e in refused.value.errors}
    assert {"fields.job_content", "fields.monthly_wage_fen"} <= fields
    with pytest.raises(DomainError) as no_end:
        service.draft(session, actor=agent, data=schemas.DraftIn(id_number=parties["number"],
                                                                 fields=_fields(end_date=None)))
    assert [e.field for e in no_end.value.errors] == ["fields.end_date"]
    # art. 19: a one-year term allows at most one month of probation
    short = _fields(end_date=rules.add_months(date.today(), 11).isoformat(), probation_months=2)
    with pytest.raises(DomainError) as probation:
        service.draft(session, actor=agent, data=schemas.DraftIn(id_number=parties["number"], fields=short))
    assert probation.value.errors[0].field == "fields.probation_months"
    assert probation.value.errors[0].code == "renshe:contracts/probation-cap"


def test_a_person_without_the_relation_is_refused(session: Session, client: Any, parties: dict[str, Any]) -> None:
    stranger_number = factories.resident_id("110105", date(1992, 1, 1))
    factories.person(session, name="路人甲", birth=date(1992, 1, 1), id_number=stranger_number)
    session.commit()
    refused = client.post("/api/v1/contracts", json={"id_number": stranger_number, "fields": _fields()},
                          headers=bearer(_employer_agent(parties["employer"])))
    assert refused.status_code == 422, refused.text
    assert refused.json()["type"].endswith("renshe:contracts/no-relation")
    assert refused.json()["errors"][0]["field"] == "id_number"


def _run(*args: str, cwd: Path) -> str:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120, check=False).stdout


def test_both_sign_then_effective_pdfsig_validates_and_a_changed_byte_is_detected(
        session: Session, client: Any, parties: dict[str, Any], tmp_path: Path) -> None:
    assert shutil.which("pdfsig"), "poppler-utils is needed: scripts/ensure-pdf-tools"
    agent, worker = _employer_agent(parties["employer"]), _citizen(parties["person"])
    other_number = factories.resident_id("110105", date(1991, 2, 2))
    other = _citizen(factories.person(session, name="王旁人", birth=date(1991, 2, 2), id_number=other_number))
    session.commit()
    made = client.post("/api/v1/contracts", json={"id_number": parties["number"], "fields": _fields()},
                       headers=bearer(agent))
    assert made.status_code == 201, made.text
    contract = made.json()
    public_id, digest = contract["public_id"], contract["document_sha256"]
    assert contract["state"] == "draft"
    # The worker sees the same document (the same hash) before signing.
    seen = client.get(f"/api/v1/contracts/{public_id}", headers=bearer(worker))
    assert seen.json()["document_sha256"] == digest
    draft_pdf = client.get(f"/api/v1/contracts/{public_id}/pdf", headers=bearer(worker)).content
    assert service.document.sha256_hex(draft_pdf) == digest
    # Someone else cannot see or sign it; the employer cannot sign first.
    assert client.get(f"/api/v1/contracts/{public_id}", headers=bearer(other)).status_code == 404
    early = client.post(f"/api/v1/contracts/{public_id}/sign", json={"document_sha256": digest, "confirm": True},
                        headers=bearer(agent))
    assert early.status_code == 409, early.text
    # No intent, no signature; a wrong code is refused; the right code signs.
    assert client.post(f"/api/v1/contracts/{public_id}/sign-code", headers=bearer(worker)).status_code == 204
    unticked = client.post(f"/api/v1/contracts/{public_id}/sign",
                           json={"document_sha256": digest, "confirm": False, "code": "000000"}, headers=bearer(worker))
    assert unticked.status_code == 422
    assert unticked.json()["errors"][0]["field"] == "confirm"
    code = _code(session)
    wrong = client.post(f"/api/v1/contracts/{public_id}/sign",
                        json={"document_sha256": digest, "confirm": True, "code": "999999" if code != "999999"
                              else "111111"}, headers=bearer(worker))
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "code"
    signed = client.post(f"/api/v1/contracts/{public_id}/sign",
                         json={"document_sha256": digest, "confirm": True, "code": code}, headers=bearer(worker))
    assert signed.status_code == 200, signed.text
    assert signed.json()["state"] == "worker_signed"
    done = client.post(f"/api/v1/contracts/{public_id}/sign", json={"document_sha256": digest, "confirm": True},
                       headers=bearer(agent))
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["state"] == "effective"
    assert [s["role"] for s in body["signatures"]] == ["worker", "employer"]
    assert all(s["timestamp"] for s in body["signatures"])

    final = client.get(f"/api/v1/contracts/{public_id}/pdf", headers=bearer(worker))
    assert final.status_code == 200
    assert final.headers["content-type"] == "application/pdf"
    data = final.content
    assert data.startswith(draft_pdf)  # the signed document is a byte-exact prefix of the final file
    (tmp_path / "contract.pdf").write_bytes(data)
    report = _run("pdfsig", "contract.pdf", cwd=tmp_path)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report
    assert "林劳动" in _run("pdftotext", "-enc", "UTF-8", "contract.pdf", "-", cwd=tmp_path)

    ok = client.post("/api/v1/contracts/verify", files={"file": ("contract.pdf", data, "application/pdf")})
    assert ok.status_code == 200, ok.text
    assert ok.json()["valid"] is True, ok.json()
    assert {c["check"] for c in ok.json()["checks"]} >= {"document", "signature:worker", "signature:employer", "file"}
    by_hash = client.get("/api/v1/contracts/verify", params={"number": body["number"], "sha256": body["final_sha256"]})
    assert by_hash.status_code == 200
    assert by_hash.json()["valid"] is True

    # One byte changed inside the document: verification names the document; pdfsig refuses it too.
    tampered = bytearray(data)
    at = tampered.index(b"/Title")
    tampered[at + 8] ^= 0x01
    bad = client.post("/api/v1/contracts/verify", files={"file": ("x.pdf", bytes(tampered), "application/pdf")}).json()
    assert bad["valid"] is False
    assert [c["check"] for c in bad["checks"] if not c["ok"]] == ["document", "file"]
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    assert "Signature is Valid." not in _run("pdfsig", "tampered.pdf", cwd=tmp_path)
    # One byte changed after the document (in the platform's signature area): the file check catches it.
    tail = bytearray(data)
    tail[-40] ^= 0x01
    after = client.post("/api/v1/contracts/verify", files={"file": ("y.pdf", bytes(tail), "application/pdf")}).json()
    assert after["valid"] is False
    assert not next(c for c in after["checks"] if c["check"] == "file")["ok"]
    assert client.get("/api/v1/contracts/verify", params={"number": body["number"], "sha256": "0" * 64}).json()[
        "valid"] is False


def _effective(session: Session, parties: dict[str, Any], **changes: Any) -> Any:
    agent = _employer_agent(parties["employer"])
    row = service.draft(session, actor=agent, data=schemas.DraftIn(id_number=parties["number"],
                                                                   fields=_fields(**changes)))
    return service.demo_sign_both(session, actor=SYSTEM, public_id=row.public_id)


def test_termination_ends_the_employment_relation(session: Session, parties: dict[str, Any]) -> None:
    row = _effective(session, parties)
    agent = _employer_agent(parties["employer"])
    with pytest.raises(DomainError) as bad_reason:
        service.terminate(session, actor=agent, public_id=row.public_id, data=schemas.TerminateIn(
            terminated_on=date.today(), reason="whim"))
    assert bad_reason.value.errors[0].field == "reason"
    ended = service.terminate(session, actor=agent, public_id=row.public_id, data=schemas.TerminateIn(
        terminated_on=date.today(), reason="mutual_agreement", note="双方协商一致"))
    assert ended.state == "terminated"
    relation = next(r for r in registry.person_employments(session, person=parties["person"])
                    if r.public_id == parties["relation"].public_id)
    assert relation.end_date == date.today()
    # Kept for storage and still readable by the worker.
    assert [c.state for c in service.mine(session, actor=_citizen(parties["person"]))] == ["terminated"]


def test_amendment_supersedes_and_renewal_links(session: Session, parties: dict[str, Any]) -> None:
    row = _effective(session, parties)
    agent = _employer_agent(parties["employer"])
    amended = service.amend(session, actor=agent, public_id=row.public_id, fields={"monthly_wage_fen": 1_500_000})
    assert (amended.number, amended.version, amended.previous_public_id) == (row.number, 2, row.public_id)
    service.demo_sign_both(session, actor=SYSTEM, public_id=amended.public_id)
    assert (row.state, amended.state) == ("superseded", "effective")
    renewal = service.renew(session, actor=agent, public_id=amended.public_id,
                            fields={"end_date": rules.add_months(date.today(), 72).isoformat()})
    assert renewal.kind == "renewal"
    assert renewal.previous_public_id == amended.public_id
    assert amended.end_date is not None
    assert renewal.start_date == amended.end_date + timedelta(days=1)


def test_warnings_find_a_relation_without_contract_and_a_term_ending(session: Session, client: Any,
                                                                     parties: dict[str, Any]) -> None:
    clerk = factories.staff_user(session, username="contract-clerk", roles=("clerk",), division="110105")
    late_number = factories.resident_id("110105", date(1988, 6, 6))
    late = factories.person(session, name="赵未签", birth=date(1988, 6, 6), id_number=late_number)
    relation = _hire(session, parties["employer"], late, late_number, date.today() - timedelta(days=70))
    # parties' relation started ten days ago: still within the month; ending soon once signed
    soon = date.today() + timedelta(days=20)
    _effective(session, parties, start_date=(date.today() - timedelta(days=10)).isoformat(),
               end_date=soon.isoformat(), probation_months=0)
    found = service.warnings(session, actor=clerk)
    kinds = {(w.kind, w.relation) for w in found.items}
    assert ("no_contract", relation.public_id) in kinds
    assert ("expiring", parties["relation"].public_id) in kinds
    assert ("no_contract", parties["relation"].public_id) not in kinds
    session.commit()
    page = client.get("/staff/contracts/warnings", headers=bearer(clerk))
    assert page.status_code == 200
    assert "赵未签" in page.text
    api = client.get("/api/v1/contracts/warnings", headers=bearer(clerk))
    assert api.status_code == 200
    assert any(w["relation"] == relation.public_id for w in api.json()["items"])


def test_pages_draft_show_the_hash_and_name_the_field(session: Session, client: Any, parties: dict[str, Any]) -> None:
    agent, worker = _employer_agent(parties["employer"]), _citizen(parties["person"])
    session.commit()
    empty = client.get("/employer/contracts", headers=bearer(agent))
    assert empty.status_code == 200
    assert "起草劳动合同" in empty.text
    form = {"id_number": parties["number"], **{k: str(v) for k, v in _fields().items() if k != "monthly_wage_fen"},
            "monthly_wage_yuan": "12000.50", "job_content": ""}
    refused = client.post("/employer/contracts", data=form, headers=bearer(agent))
    assert refused.status_code == 422
    assert "请填写“工作内容（岗位）”" in refused.text
    made = client.post("/employer/contracts", data={**form, "job_content": "软件工程师"}, headers=bearer(agent))
    assert made.status_code == 200, made.text
    assert "已起草劳动合同" in made.text
    row = service.mine(session, actor=worker)[0]
    assert row.monthly_wage_fen == 1_200_050
    mine = client.get("/citizen/contracts", headers=bearer(worker))
    assert mine.status_code == 200
    assert row.document_sha256 in mine.text
    assert "签署劳动合同" in mine.text
    unticked = client.post(f"/citizen/contracts/{row.public_id}/sign",
                           data={"document_sha256": row.document_sha256, "code": "123456"}, headers=bearer(worker))
    assert unticked.status_code == 422
    assert "同意签署" in unticked.text


def test_verify_answers_a_foreign_or_forged_file_without_error(session: Session, client: Any) -> None:
    plain = client.post("/api/v1/contracts/verify", files={"file": ("a.pdf", b"%PDF-1.4 nothing", "application/pdf")})
    assert plain.status_code == 200
    assert plain.json()["valid"] is False
    assert plain.json()["checks"][0]["check"] == "format"
    body = b'{"contract":"LDX","version":99999999999,"document_length":1,"document_sha256":"","signatures":"x"}'
    head = b"/Type /EmbeddedFile /Subtype /application#2Fjson /Length %d >>\nstream\n" % len(body)
    forged = b"%PDF-1.4\n" + head + body
    answer = client.post("/api/v1/contracts/verify", files={"file": ("b.pdf", forged, "application/pdf")})
    assert answer.status_code == 200
    assert answer.json()["valid"] is False
