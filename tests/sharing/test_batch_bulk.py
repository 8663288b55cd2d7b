"""Batch verification's bulk parts: blind indexes in bulk, the set-based person lookup, the column checks
of an upload (refused whole, rows named) and result lines for names the csv module quotes."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy.orm import Session

from renshe import demo
from renshe.core import crypto, db
from renshe.core.auth import SYSTEM
from renshe.core.errors import ValidationFailed
from renshe.registry import bulk
from renshe.registry import service as registry
from renshe.sharing import jobs
from tests import factories


def _number(person_id_encrypted: bytes) -> str:
    return crypto.cipher().decrypt(person_id_encrypted, purpose=registry.ID_PURPOSE)


def test_bulk_blind_indexes_are_the_registry_index() -> None:
    numbers = [demo.resident_id("110105", date(1960 + i % 50, 1, 1), i % 1000) for i in range(9000)]  # > a batch
    numbers.append("11010519491231002X")
    assert bulk.id_indexes([n.encode() for n in numbers]) == [registry.id_index(n) for n in numbers]


def test_names_by_index_finds_persons_in_sets_and_leaves_merged_records_out(session: Session,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    people = [factories.person(session, name=f"批量{c}", birth=date(1971, 1, 1 + i))
              for i, c in enumerate("甲乙丙丁戊己庚")]
    registry.merge_persons(session, actor=SYSTEM, keep=people[0], duplicate=people[1], reason="重复登记")
    session.flush()
    unknown = registry.id_index(demo.resident_id("110108", date(1990, 2, 2), 11))
    keys = [p.id_number_index for p in people] + [unknown]
    monkeypatch.setattr(bulk, "IN_LIST", 3)  # several statements on SQLite
    found = bulk.names_by_index(session, indexes=keys)
    assert found == {p.id_number_index: p.name for p in people if p is not people[1]}
    assert bulk.names_by_index(session, indexes=[]) == {}


def _csv(rows: list[tuple[str, ...]]) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("id_number", "name", "note"))
    writer.writerows(rows)
    return io.BytesIO(out.getvalue().encode())


def test_upload_checks_rows_by_column_and_names_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "BLOCK", 4)  # rows and their numbers cross blocks
    good = demo.resident_id("110105", date(1975, 3, 3), 1)
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    rows = [(good, "甲", "")] * 5 + [("", "", ""), (" " + good + " ", " 乙 ", "x"), (bad_check, "丙", ""),
                                     (good, "", "y"), ("1101051975030", "丁", ""), ("x" * 18, "a" * 65, "")]
    with pytest.raises(ValidationFailed) as refused:
        jobs.stage_upload(upload=_csv(rows), filename="rows.csv")
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("row 9", "renshe:id-number/check-character"), ("row 10", "renshe:batch/name"),
        ("row 11", "renshe:id-number/length"), ("row 12", "renshe:batch/name")]
    assert refused.value.errors[0].message.startswith("第9行：校验码应为")
    assert not any(jobs.get_settings().batch_dir.glob("*/input.csv"))  # nothing staged


def test_many_bad_rows_are_reported_up_to_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "BLOCK", 64)
    rows = [("110105197503030011", "甲", "")] * 300
    with pytest.raises(ValidationFailed) as refused:
        jobs.stage_upload(upload=_csv(rows), filename="rows.csv")
    errors = refused.value.errors
    assert len(errors) == jobs.MAX_REPORTED
    assert errors[0].field == "row 2"
    assert errors[-2].field == f"row {jobs.MAX_REPORTED}"
    assert errors[-1].code == "renshe:batch/more"


def test_quoted_names_lowercase_x_and_chunks(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    odd = factories.person(session, name="王小二", birth=date(1980, 1, 1))
    plain = factories.person(session, name="李四", birth=date(1980, 1, 2))
    session.commit()
    x_number = next(demo.resident_id("110105", date(1966, 6, 6), s) for s in range(1, 999)
                    if demo.resident_id("110105", date(1966, 6, 6), s).endswith("X"))
    # the first name is quoted when staged (and is not the registered name)
    rows = [(_number(odd.id_number_encrypted), '王"小,二', ""), (_number(plain.id_number_encrypted), "李四", ""),
            (_number(plain.id_number_encrypted), '李"四', ""), (x_number.lower(), "某", "")]
    staged = jobs.stage_upload(upload=_csv(rows), filename="rows.csv")
    assert staged.total_rows == 4
    with db.unit_of_work() as write:
        jobs.register_job(write, consumer="test", staged=staged)
    monkeypatch.setattr(jobs, "CHUNK", 3)
    while jobs.work_once(db.sessions.factory):
        pass
    text = (jobs.batch_dir(staged.job_id) / "result.csv").read_bytes().decode("utf-8-sig")
    result = list(csv.reader(io.StringIO(text)))
    assert result == [["name", "id_number", "result"],
                      ['王"小,二', rows[0][0], "mismatch"], ["李四", rows[1][0], "match"],
                      ['李"四', rows[1][0], "mismatch"], ["某", x_number, "not_found"]]


@pytest.mark.parametrize("ending", ["\r\n", "\n"])
def test_plain_blocks_then_the_csv_module_keep_row_numbers(monkeypatch: pytest.MonkeyPatch, ending: str) -> None:
    monkeypatch.setattr(jobs, "READ_BYTES", 64)  # a few lines per block, cut anywhere
    split = jobs._split
    splits: list[object] = []
    monkeypatch.setattr(jobs, "_split", lambda *args: splits.append(split(*args)) or splits[-1])
    good = [demo.resident_id("110105", date(1975, 3, 3), i) for i in range(1, 40)]
    lines = ["姓名,公民身份号码"] + [f"某{i},{n}" for i, n in enumerate(good[:20])]
    lines += ['"引号,姓名",' + good[20], "", f"某,{good[21][:17]}"]  # a quoted name, a blank record, a bad row
    lines += [f"某{i},{n}" for i, n in enumerate(good[22:])]
    upload = io.BytesIO(("\ufeff" + ending.join(lines) + ending).encode())
    with pytest.raises(ValidationFailed) as refused:
        jobs.stage_upload(upload=upload, filename="rows.csv")
    assert [(e.field, e.code) for e in refused.value.errors] == [("row 24", "renshe:id-number/length")]
    assert len(splits) > 2
    assert all(splits[:-1])
    assert splits[-1] is None
    del lines[23]
    staged = jobs.stage_upload(upload=io.BytesIO(ending.join(lines).encode()), filename="rows.csv")
    assert staged.total_rows == len(good) - 1
    text = (jobs.batch_dir(staged.job_id) / "input.csv").read_bytes().decode()
    assert list(csv.reader(io.StringIO(text))) == [next(csv.reader([line])) for line in lines[1:] if line]
    assert text.endswith("\r\n")
    assert text.count("\r\n") == len(good) - 1


def test_a_name_the_csv_module_quoted_is_compared_unquoted(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    number = demo.resident_id("110105", date(1982, 8, 8), 5)
    index = registry.id_index(number)

    def registered(_session: Session, *, indexes: set[bytes]) -> dict[bytes, str]:  # a name with a comma
        assert indexes == {index}
        return {index: '王,"二"'}

    monkeypatch.setattr(bulk, "names_by_index", registered)
    out = io.StringIO()
    csv.writer(out).writerows([('王,"二"', number), ("王二", number), ('王,"二"', number)])
    lines = out.getvalue().encode().splitlines(keepends=True)
    block, counts = jobs._answer(session, lines)
    assert counts == [2, 1, 0]
    assert [row[2] for row in csv.reader(io.StringIO(block.decode()))] == ["match", "mismatch", "match"]
