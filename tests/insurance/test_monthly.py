"""A province's monthly run assesses every unit and posts every paid unit, with the same results as the
unit-by-unit assessment and posting, and writes nothing when run again."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.insurance import contributions, enrolment, monthly
from renshe.insurance.models import AccountEntry, Assessment, Due
from tests.insurance import kit
from tests.insurance.test_accounts import HEADER
from tests.insurance.test_contributions import xlsx

MARCH = date(2023, 3, 1)


def _declared(session: Session, name: str, people: int, wage: int) -> kit.Unit:
    staffed = kit.employer_with_staff(session, people=people, name=name)
    for number in staffed.id_numbers:
        enrolment.enrol_employee(session, actor=staffed.agent, unit=staffed.unit, id_number=number,
                                 start_date=date(2023, 1, 1))
    data = xlsx(["身份证号码", "月缴费工资"], [[n, wage] for n in staffed.id_numbers])
    contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=2023,
                          rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data))
    return staffed


def _dues(session: Session, unit_id: int) -> list[tuple[int, str, int, int]]:
    return sorted(session.execute(select(Due.relation_id, Due.side, Due.amount_fen, Due.account_fen)
                                  .where(Due.unit_id == unit_id, Due.month == MARCH)).all())


def test_the_province_run_matches_the_unit_run_and_is_idempotent(session: Session) -> None:
    kit.average_wage(session)
    paid = _declared(session, "甲科技有限公司", 3, 8000)
    unpaid = _declared(session, "乙商贸有限公司", 2, 6000)
    twin = _declared(session, "丙对照有限公司", 3, 8000)  # assessed unit by unit, for comparison
    contributions.assess(session, actor=kit.system(), unit=twin.unit, month=MARCH)

    run = monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    assert run.units_assessed == 2  # the twin was assessed already at its declaration
    assert run.dues_written == 3 * 2 + 2 * 2
    assert run.units_posted == 0  # nothing is paid yet
    assert [(side, amount, account) for _r, side, amount, account in _dues(session, paid.unit.id)] == \
        [(side, amount, account) for _r, side, amount, account in _dues(session, twin.unit.id)]
    made = session.scalar(select(Assessment).where(Assessment.unit_id == paid.unit.id))
    assert made is not None
    assert made.rows == 6
    assert made.owner == f"unit:{paid.unit.id}"
    assert len(made.public_id) == 32
    # the unit's own assessment now finds the province's and adds nothing
    assert contributions.assess(session, actor=kit.system(), unit=paid.unit, month=MARCH).created is False

    receipts = [[f"R-{paid.unit.id}", paid.credit_code, "110", "2023-03", f"{3 * 1920}.00", "2023-04-10"],
                [f"R-{unpaid.unit.id}", unpaid.credit_code, "110", "2023-03", "100.00", "2023-04-10"]]
    contributions.import_receipts(session, actor=kit.system(), rows=contributions.read_receipts_xlsx(
        xlsx(HEADER, receipts)), batch="b1")
    again = monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    assert (again.units_assessed, again.dues_written) == (0, 0)
    assert (again.units_posted, again.entries_posted) == (1, 3)  # the partly paid unit waits
    entries = session.scalars(select(AccountEntry).where(AccountEntry.kind == "contribution")).all()
    assert sorted(e.amount_fen for e in entries) == [64000] * 3
    third = monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    assert (third.units_assessed, third.dues_written, third.entries_posted) == (0, 0, 0)


def test_a_supplementary_declaration_adds_only_the_difference(session: Session) -> None:
    kit.average_wage(session)
    staffed = _declared(session, "甲科技有限公司", 2, 8000)
    monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    data = xlsx(["身份证号码", "月缴费工资", "起始月份"], [[staffed.id_numbers[0], 9000, 3]])
    contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=2023,
                          rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data),
                          kind="supplementary")
    run = monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    assert run.units_assessed == 1
    assert run.dues_written == 2  # the one person's two sides, by the difference
    totals = dict(session.execute(select(Due.side, func.sum(Due.amount_fen)).where(
        Due.unit_id == staffed.unit.id).group_by(Due.side)).all())
    assert totals == {"employer": 144000 + 128000, "individual": 72000 + 64000}


def test_a_relation_ended_before_the_month_is_reversed_at_the_next_declaration(session: Session) -> None:
    kit.average_wage(session)
    staffed = _declared(session, "甲科技有限公司", 2, 8000)
    monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    leaver, stayer = sorted(enrolment.relations_of_unit(session, unit=staffed.unit), key=lambda r: r.id)
    enrolment.end_relation(session, actor=staffed.agent, relation=leaver, end_date=date(2023, 2, 28), reason="21")
    data = xlsx(["身份证号码", "月缴费工资", "起始月份"], [[staffed.id_numbers[1], 9000, 3]])
    contributions.declare(session, actor=staffed.agent, unit=staffed.unit, year=2023,
                          rows=contributions.read_declaration_xlsx(data), key=contributions.file_key(data),
                          kind="supplementary")
    run = monthly.run_month(session, actor=kit.system(), province=kit.BEIJING, month=MARCH, on=date(2023, 4, 30))
    assert run.dues_written == 4  # the leaver's two sides reversed, the stayer's two sides by the difference
    owed = dict(session.execute(select(Due.relation_id, func.sum(Due.amount_fen)).where(
        Due.unit_id == staffed.unit.id).group_by(Due.relation_id)).all())
    assert owed == {leaver.id: 0, stayer.id: 144000 + 72000}
