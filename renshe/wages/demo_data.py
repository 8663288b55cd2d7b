"""The demo province's construction project under wage monitoring: a project in a county of the province with a
general contractor and a subcontractor, workers registered by real name from the person base, a special account
and a deposit, a month's attendance imported from a CSV file through the same import as a clerk's, and that
month's pay sheet paid through the special account on time but below the minimum wage, so the scan raises one
red warning on the county supervisor's worklist. Called with one line from `renshe/demo.py`."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from renshe.core import crypto, divisions, ids
from renshe.core.auth import SYSTEM
from renshe.registry import service as registry
from renshe.wages import jobs, rules, schemas, service

WORKERS = 4
PAY_DAY = 10
DEMO_PAY_FEN = 120000  # 1200 yuan a month: below any province's minimum wage


@dataclass
class Seeded:
    project_public_id: str | None
    workers: int
    warnings: int


def _credit_code(county: str, serial: str) -> str:
    first17 = f"91{county}{serial}"[:17]
    return first17 + ids.credit_code_check_character(first17)


def seed(session: Session, *, province: str, today: date) -> Seeded:
    prefix = divisions.scope_prefix(province)
    people: list[tuple[registry.Person, str]] = []
    for person_id, division in registry.active_person_divisions(session, limit=400):
        if len(people) >= WORKERS:
            break
        person = registry.person_by_pk(session, person_id)
        if person is None or not division.startswith(prefix) or not 20 <= today.year - person.birth_date.year <= 58:
            continue
        people.append((person, crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)))
    counties = [p.residence_division for p, _ in people if _is_county(p.residence_division)]
    if len(people) < WORKERS or not counties:
        return Seeded(None, 0, 0)
    county = counties[0]
    month = rules.add_months(rules.month_start(today), -2)
    started = rules.add_months(month, -3)
    general = _credit_code(county, "MAWG00010")
    project = service.create_project(session, actor=SYSTEM, data=schemas.ProjectIn(
        name="演示县城区安置房建设工程（一期）", division_code=county, contractor_credit_code=general,
        contractor_name="演示建工集团有限公司", start_date=started, pay_day=PAY_DAY, state="active"))
    sub = _credit_code(county, "MAWG00020")
    service.add_firm(session, actor=SYSTEM, project_id=project.public_id,
                     data=schemas.FirmIn(credit_code=sub, name="演示劳务分包有限公司"))
    service.open_account(session, actor=SYSTEM, project_id=project.public_id,
                         data=schemas.AccountIn(bank="演示农村商业银行城区支行", opened_on=started))
    service.add_deposit(session, actor=SYSTEM, project_id=project.public_id,
                        data=schemas.DepositIn(amount_fen=30000000, paid_on=started))
    trades = ("钢筋工", "木工", "混凝土工", "架子工")
    for index, (_, id_number) in enumerate(people):
        service.register_worker(session, actor=SYSTEM, project_id=project.public_id, data=schemas.WorkerIn(
            id_number=id_number, firm_credit_code=sub, trade=trades[index % len(trades)], entered_on=started))
    with tempfile.TemporaryDirectory(prefix="renshe-wages-demo-") as folder:
        path = Path(folder) / "attendance.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["公民身份号码", "月份", "出勤天数"])
            writer.writerows([id_number, f"{month:%Y-%m}", 22] for _, id_number in people)
        service.import_attendance(session, actor=SYSTEM, project_id=project.public_id, path=path)
    service.record_pay_sheet(session, actor=SYSTEM, project_id=project.public_id, data=schemas.PaySheetIn(
        month=f"{month:%Y-%m}", paid_on=rules.due_date(month, PAY_DAY), via_special_account=True,
        lines=[schemas.PayLineIn(id_number=id_number, amount_fen=DEMO_PAY_FEN) for _, id_number in people]))
    result = jobs.scan_in(session, actor=SYSTEM, on=today)
    return Seeded(project.public_id, len(people), result.raised)


def _is_county(code: str) -> bool:
    found = divisions.get(code)
    return found is not None and found.current and divisions.level_of(code) == "county" \
        and not divisions.is_placeholder(found)
