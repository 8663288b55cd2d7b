"""Declaration (whole or nothing, every bad row named, clamped, idempotent by file), set-based assessment
(idempotent, corrections as deltas from a new declaration), receipts reconciled, the surcharge to the day."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.errors import Forbidden, ValidationFailed
from renshe.insurance import contributions, enrolment
from renshe.insurance.models import Declaration, DeclaredBase, Due
from renshe.insurance.rules import contribution_amounts, late_surcharge
from tests import factories
from tests.insurance import kit


def xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _enrolled(session: Session) -> kit.Unit:
    kit.average_wage(session)
    staffed = kit.employer_with_staff(session, people=2)
    for number in staffed.id_numbers:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=number,
                                 start_date=date(2024, 1, 1))
    return staffed


def _declare(session: Session, staffed: kit.Unit, rows: list[list[object]] | bytes, year: int = 2024
             ) -> contributions.DeclarationResult:
    data = rows if isinstance(rows, bytes) else xlsx(["身份证号码", "姓名", "月缴费工资"], rows)
    return contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=year,
                                 rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data))


def test_a_bad_row_is_named_and_nothing_is_declared(session: Session) -> None:
    staffed = _enrolled(session)
    stranger = factories.resident_id("110105", date(1991, 2, 2))
    with pytest.raises(ValidationFailed) as refused:
        _declare(session, staffed, [[staffed.id_numbers[0], "职工甲", 8000],
                                    [stranger, "外人", 7000],
                                    [staffed.id_numbers[1], "职工乙", "八千"],
                                    ["110105198001011234", "号码错", 7000]])
    fields = [e.field for e in refused.value.errors]
    assert fields == ["row 3.id_number", "row 4.declared", "row 5.id_number"]
    assert refused.value.errors[0].code == "renshe:insurance/no-relation"
    assert "第4行" in refused.value.errors[1].message
    assert session.scalar(select(func.count()).select_from(Declaration)) == 0
    assert session.scalar(select(func.count()).select_from(DeclaredBase)) == 0


def test_bases_are_clamped_and_the_same_file_posts_once(session: Session) -> None:
    staffed = _enrolled(session)
    # One file, uploaded twice (a regenerated workbook carries a new timestamp and is another file).
    rows = xlsx(["身份证号码", "姓名", "月缴费工资"], [[staffed.id_numbers[0], "职工甲", 8000],
                                                   [staffed.id_numbers[1], "职工乙", 5000]])
    first = _declare(session, staffed, rows)
    assert first.created
    lines = contributions.declared_lines(session, declaration=first.declaration)
    assert [(x.declared_fen, x.base_fen, x.clamp) for x in lines] == [(800000, 800000, None), (500000, 600000, "floor")]
    assert lines[1].floor_fen == 600000
    assert lines[1].cap_fen == 3000000
    again = _declare(session, staffed, rows)
    assert not again.created
    assert again.declaration.id == first.declaration.id
    assert session.scalar(select(func.count()).select_from(DeclaredBase)) == 2
    with pytest.raises(Forbidden):
        contributions.declare(session, actor=kit.agent_of("someone-else"), unit=staffed.unit, year=2024,
                              rows=[], key="x")


def test_assessment_is_set_based_idempotent_and_corrected_by_a_new_declaration(session: Session) -> None:
    staffed = _enrolled(session)
    _declare(session, staffed, [[staffed.id_numbers[0], "职工甲", 8000], [staffed.id_numbers[1], "职工乙", 5000]])
    march = date(2024, 3, 1)
    result = contributions.assess(session, actor=kit.system(), unit=staffed.unit, month=march)
    assert result.created
    assert result.assessment.rows == 4
    dues = contributions.dues_of_month(session, unit=staffed.unit, month=march)
    expected = [contribution_amounts(base_fen=b) for b in (800000, 600000)]
    assert [(d.base_fen, d.employer_fen, d.individual_fen, d.account_fen) for d in dues] == [
        (e.base_fen, e.employer_fen, e.individual_fen, e.account_fen) for e in expected]
    assert dues[0].employer_fen == 128000
    again = contributions.assess(session, actor=kit.system(), unit=staffed.unit, month=march)
    assert not again.created
    assert session.scalar(select(func.count()).select_from(Due)) == 4
    # A supplementary declaration from March corrects the first person's base: only the difference is added.
    data = xlsx(["身份证号码", "月缴费工资", "起始月份"], [[staffed.id_numbers[0], 9000, 3]])
    contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=2024, kind="supplementary",
                          rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data))
    corrected = contributions.assess(session, actor=kit.system(), unit=staffed.unit, month=march)
    assert corrected.created
    assert corrected.assessment.rows == 2
    dues = contributions.dues_of_month(session, unit=staffed.unit, month=march)
    assert (dues[0].base_fen, dues[0].employer_fen, dues[0].individual_fen) == (900000, 144000, 72000)
    february = contributions.dues_of_month(session, unit=staffed.unit,
                                           month=contributions.assess(session, actor=kit.system(), unit=staffed.unit,
                                                                      month=date(2024, 2, 1)).assessment.month)
    assert february[0].base_fen == 800000


def test_receipts_reconcile_and_an_unpaid_month_carries_the_surcharge(session: Session) -> None:
    staffed = _enrolled(session)
    _declare(session, staffed, [[staffed.id_numbers[0], "职工甲", 8000], [staffed.id_numbers[1], "职工乙", 5000]])
    for month in (date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)):
        contributions.assess(session, actor=kit.system(), unit=staffed.unit, month=month)
    stranger = factories.credit_code("110105")
    header = ["票据号", "缴费人识别号", "险种", "费款所属期", "金额", "入库日期"]
    bad = xlsx(header, [["R1", staffed.credit_code, "110", "2024-03", "3360.00", "2024-04-10"],
                        ["R2", staffed.credit_code, "999", "2024-13", "-1", "someday"]])
    with pytest.raises(ValidationFailed) as refused:
        contributions.import_receipts(session, actor=kit.system(), rows=contributions.read_receipts_xlsx(bad),
                                      batch="b0")
    assert {e.field for e in refused.value.errors} == {"row 3.insurance_type", "row 3.month", "row 3.amount",
                                                      "row 3.paid_on"}
    good = xlsx(header, [["R1", staffed.credit_code, "110", "2024-03", "3360.00", "2024-04-10"],
                         ["R2", staffed.credit_code, "110", "2024-05", "1000.00", "2024-06-20"],
                         ["R3", stranger, "110", "2024-03", "99.00", "2024-04-10"]])
    imported = contributions.import_receipts(session, actor=kit.system(),
                                             rows=contributions.read_receipts_xlsx(good), batch="b1")
    assert imported.added == 3
    assert [r.receipt_no for r in imported.unmatched] == ["R3"]
    twice = contributions.import_receipts(session, actor=kit.system(), rows=contributions.read_receipts_xlsx(good),
                                          batch="b2")
    assert (twice.added, twice.skipped) == (0, 3)
    on = date(2024, 6, 14)
    march = contributions.position(session, unit=staffed.unit, month=date(2024, 3, 1), on=on)
    assert (march.due_fen, march.paid_fen, march.status, march.surcharge) == (336000, 336000, "paid", None)
    april = contributions.position(session, unit=staffed.unit, month=date(2024, 4, 1), on=on)
    assert april.status == "unpaid"
    assert april.due_date == date(2024, 5, 15)
    assert april.surcharge is not None
    assert april.surcharge.days == 30
    assert april.surcharge.surcharge_fen == late_surcharge(amount_fen=336000, days=30).surcharge_fen == 5040
    may = contributions.position(session, unit=staffed.unit, month=date(2024, 5, 1), on=date(2024, 6, 30))
    assert may.status == "partly"
    assert may.surcharge is not None
    # 1,000.00 paid 5 days late, 2,360.00 still unpaid 15 days after the deadline.
    assert may.surcharge.surcharge_fen == (late_surcharge(amount_fen=100000, days=5).surcharge_fen
                                           + late_surcharge(amount_fen=236000, days=15).surcharge_fen)


def test_work_injury_is_assessed_on_the_employer_side_at_the_provincial_rate(session: Session) -> None:
    staffed = _enrolled(session)
    employer = enrolment.employer_for(session, actor=staffed.agent)
    injury = enrolment.register_unit(session, actor=staffed.agent, employer=employer, insurance_type="410",
                                     registered_on=date(2023, 1, 1))
    from renshe.insurance import parameters

    parameters.set_value(session, actor=kit.system(), province=kit.BEIJING, key="rate.410.employer",
                         effective_from=date(2024, 1, 1), value="0.005", source="测试：行业类别")
    enrolment.enrol_employee(session, actor=staffed.agent, unit=injury, id_number=staffed.id_numbers[0],
                             start_date=date(2024, 1, 1))
    data = xlsx(["身份证号码", "月缴费工资"], [[staffed.id_numbers[0], 8000]])
    contributions.declare(session, actor=staffed.agent, unit=injury, year=2024,
                          rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data))
    result = contributions.assess(session, actor=kit.system(), unit=injury, month=date(2024, 3, 1))
    assert result.assessment.rows == 1
    assert result.assessment.parameters["rate.410.employer"]["value"] == "0.005"
    dues = contributions.dues_of_month(session, unit=injury, month=date(2024, 3, 1))
    assert [(d.employer_fen, d.individual_fen, d.account_fen) for d in dues] == [(4000, 0, 0)]
