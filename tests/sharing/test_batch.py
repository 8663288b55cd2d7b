from __future__ import annotations

import csv
import io
from datetime import date

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe import demo
from renshe.core import crypto, db
from renshe.core.auth import SYSTEM
from renshe.registry import service as registry
from renshe.sharing import jobs, service
from renshe.sharing.models import BatchJob
from tests import factories


def _headers(client: TestClient, session: Session) -> dict[str, str]:
    consumer, secret = service.add_consumer(session, actor=SYSTEM, name="批量核验局", grants=["identity-verification"],
                                            purpose="批量核验", legal_basis="依法履职")
    session.commit()
    token = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": consumer.client_id,
                                                 "client_secret": secret}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def _file(rows: list[tuple[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("name", "id_number"))
    writer.writerows(rows)
    return out.getvalue().encode()


def _people(session: Session, n: int) -> list[tuple[str, str]]:
    known = []
    for i in range(n):
        name = f"批{'甲乙丙丁戊己庚辛壬癸'[i % 10]}{'子丑寅卯'[i // 10]}"
        person = factories.person(session, county="110105", name=name, birth=date(1970, 1, 1 + i % 28))
        known.append((person.name, crypto.cipher().decrypt(person.id_number_encrypted,
                                                                    purpose=registry.ID_PURPOSE)))
    session.commit()
    return known


def test_batch_answers_every_row_once_and_resumes(client: TestClient, session: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    known = _people(session, 30)
    rows = [(name, number) for name, number in known[:20]]  # match
    rows += [("别人", number) for _name, number in known[20:]]  # mismatch
    rows += [("无此人", demo.resident_id("110108", date(1990, 2, 2), 2 * i + 1)) for i in range(25)]  # not found
    headers = _headers(client, session)
    monkeypatch.setattr(jobs, "CHUNK", 16)
    created = client.post("/share/v1/batch/identity", headers=headers,
                          files={"file": ("rows.csv", _file(rows), "text/csv")})
    assert created.status_code == 202, created.text
    job_id = created.json()["job_id"]
    assert created.json()["total_rows"] == 55
    factory = db.sessions.factory
    jobs.work_once(factory)  # one chunk, checkpointed
    with factory() as s:
        job = s.scalars(select(BatchJob).where(BatchJob.public_id == job_id)).one()
        assert job.processed_rows == 16
        # a crash after writing more results but before the checkpoint committed
        with open(jobs.result_path(job), "ab") as result:
            result.write(b"half-written,row\n")
    progress = client.get(f"/share/v1/batch/{job_id}", headers=headers).json()
    assert (progress["status"], progress["processed_rows"]) == ("running", 16)
    assert client.get(f"/share/v1/batch/{job_id}/result", headers=headers).status_code == 409
    while jobs.work_once(factory):
        pass
    done = client.get(f"/share/v1/batch/{job_id}", headers=headers).json()
    assert (done["status"], done["matched"], done["mismatched"], done["not_found"]) == ("done", 20, 10, 25)
    result = client.get(done["result_url"], headers=headers)
    lines = list(csv.reader(io.StringIO(result.content.decode("utf-8-sig"))))
    assert lines[0] == ["name", "id_number", "result"]
    assert len(lines) == 56  # every row once, the half-written one gone
    assert [line[:2] for line in lines[1:]] == [list(r) for r in rows]
    assert {line[2] for line in lines[1:21]} == {"match"}


def test_malformed_file_is_refused_whole(client: TestClient, session: Session) -> None:
    headers = _headers(client, session)
    rows = [("甲", "11010519491231002X"), ("乙", "110105194912310021"), ("", "11010519491231002X")]
    refused = client.post("/share/v1/batch/identity", headers=headers,
                          files={"file": ("rows.csv", _file(rows), "text/csv")})
    assert refused.status_code == 422
    fields = {e["field"]: e["code"] for e in refused.json()["errors"]}
    assert fields == {"row 3": "renshe:id-number/check-character", "row 4": "renshe:batch/name"}
    assert session.scalar(select(BatchJob.id)) is None
    wrong = client.post("/share/v1/batch/identity", headers=headers,
                        files={"file": ("rows.txt", b"x", "text/plain")})
    assert wrong.status_code == 422


def test_xlsx_upload(client: TestClient, session: Session) -> None:
    known = _people(session, 2)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "公民身份号码"])
    for name, number in known:
        sheet.append([name, number])
    data = io.BytesIO()
    book.save(data)
    headers = _headers(client, session)
    created = client.post("/share/v1/batch/identity", headers=headers,
                          files={"file": ("rows.xlsx", data.getvalue(), "application/octet-stream")})
    assert created.status_code == 202, created.text
    while jobs.work_once(db.sessions.factory):
        pass
    assert client.get(f"/share/v1/batch/{created.json()['job_id']}", headers=headers).json()["matched"] == 2


def test_progress_page_staff_list_and_result_expiry(client: TestClient, session: Session) -> None:
    from datetime import UTC, datetime, timedelta

    known = _people(session, 3)
    headers = _headers(client, session)
    created = client.post("/share/v1/batch/identity", headers=headers,
                          files={"file": ("名单.csv", _file(known), "text/csv")}).json()
    job_id = created["job_id"]
    page = client.get(created["progress_page"])
    assert page.status_code == 200
    assert "排队中" in page.text
    assert 'http-equiv="refresh"' in page.text
    assert known[0][1] not in page.text
    assert known[0][0] not in page.text
    assert client.get("/sharing/batches/" + "0" * 32).status_code == 404
    factory = db.sessions.factory
    while jobs.work_once(factory):
        pass
    done = client.get(f"/share/v1/batch/{job_id}", headers=headers).json()
    assert done["status"] == "done"
    assert done["expires_at"]
    finished = client.get(created["progress_page"]).text
    assert "已完成" in finished
    assert 'http-equiv="refresh"' not in finished
    factories.staff_user(session, username="batch-sup", roles=("supervisor",), division="110000", password="pw-pw-pw")
    session.commit()
    client.post("/staff/login", data={"username": "batch-sup", "password": "pw-pw-pw"})
    listing = client.get("/staff/sharing/batches")
    assert listing.status_code == 200
    assert "名单.csv" in listing.text
    assert "3/3" in listing.text

    with factory() as s:
        assert jobs.expire_results(s) == 0  # not yet due
        later = datetime.now(UTC) + timedelta(days=8)
        assert jobs.expire_results(s, now=later) == 1
        s.commit()
        job = s.scalars(select(BatchJob).where(BatchJob.public_id == job_id)).one()
        assert not jobs.result_path(job).exists()
    gone = client.get(f"/share/v1/batch/{job_id}/result", headers=headers)
    assert gone.status_code == 410
    assert gone.json()["type"] == "renshe:batch/expired"
    assert client.get(f"/share/v1/batch/{job_id}", headers=headers).json()["matched"] == 3  # the counts stay


def test_a_name_with_a_control_character_is_refused(client: TestClient, session: Session) -> None:
    headers = _headers(client, session)
    refused = client.post("/share/v1/batch/identity", headers=headers,
                          files={"file": ("rows.csv", _file([("甲\n乙", "11010519491231002X")]), "text/csv")})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "renshe:batch/name"
