"""The warning scan (工资支付预警扫描): each rule of `data/rules.json` is one INSERT … SELECT over the projects,
attendance and pay sheets, set-based, with no loop over rows in Python.

Idempotent: a warning's key is (rule, project, month, worker_key), unique in the table, and each statement
inserts only keys not there yet, so a second scan on the same data writes nothing new. The minimum wage is
the insurance parameter `minimum_wage` in force for the project's province in the pay sheet's month (the
national default where a province has none): looked up once per (province, month) present, joined as a small
table of literals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from renshe.core import audit, db, divisions
from renshe.core.auth import Principal
from renshe.core.errors import Forbidden
from renshe.core.events import record_event
from renshe.insurance import parameters
from renshe.wages import policy, rules
from renshe.wages.models import (
    WageAccount,
    WageAttendance,
    WageDeposit,
    WagePayLine,
    WagePaySheet,
    WageProject,
    WageWarning,
)

COLUMNS = ["public_id", "rule", "level", "project_id", "division_code", "month", "worker_key", "observed",
           "expected", "state", "raised_on"]


@dataclass(frozen=True)
class ScanResult:
    on: date
    by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def raised(self) -> int:
        return sum(self.by_rule.values())


def _new_public_id(session: Session) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.md5(cast(func.random(), String) + cast(func.clock_timestamp(), String))
    return func.lower(func.hex(func.randomblob(16)))


def _absent(rule: str, project_id: Any, month: Any) -> ColumnElement[bool]:
    w = WageWarning.__table__.alias("w_seen")
    return not_(exists().where(w.c.rule == rule, w.c.project_id == project_id, w.c.month == month,
                               w.c.worker_key == 0))


def _columns(session: Session, rule: rules.Rule) -> list[Any]:
    return [_new_public_id(session), literal(rule.code, String), literal(rule.level, String)]


def _tail(on: date) -> list[Any]:
    return [literal("open", String), literal(on, Date)]


def _late_pay(session: Session, rule: rules.Rule, on: date, prefix: str) -> Any:
    """A month with attendance whose agreed pay day has passed, without a pay sheet paid through the special
    account by that day."""
    attended = (select(WageAttendance.project_id, WageAttendance.month).where(WageAttendance.days > 0)
                .distinct().subquery("attended"))
    cutoff = case((WageProject.pay_day < on.day, literal(rules.add_months(rules.month_start(on), -1), Date)),
                  else_=literal(rules.add_months(rules.month_start(on), -2), Date))
    paid = exists().where(WagePaySheet.project_id == attended.c.project_id, WagePaySheet.month == attended.c.month,
                          WagePaySheet.via_special_account.is_(True), WagePaySheet.paid_on <= WagePaySheet.due_on)
    return select(*_columns(session, rule), WageProject.id, WageProject.division_code, attended.c.month,
                  literal(0, Integer), literal(None, BigInteger), literal(None, BigInteger), *_tail(on)).select_from(
        attended).join(WageProject, WageProject.id == attended.c.project_id).where(
        WageProject.state != "planned", WageProject.division_code.startswith(prefix), attended.c.month <= cutoff, ~paid,
        _absent(rule.code, WageProject.id, attended.c.month))


def _minimum_wages(session: Session, on: date) -> Any:
    """(province prefix, month, minimum wage in fen) for every province and month with a pay sheet."""
    pairs = session.execute(select(func.substr(WageProject.division_code, 1, 2), WagePaySheet.month)
                            .join(WageProject, WageProject.id == WagePaySheet.project_id)
                            .where(WagePaySheet.paid_on <= on).distinct()).all()
    found: list[Any] = []
    for prefix, month in pairs:  # one lookup per province and month, not per row
        value = parameters.find(session, province=f"{prefix}0000", key="minimum_wage", on=month)
        if value is not None:
            found.append(select(literal(prefix, String).label("prefix"), literal(month, Date).label("month"),
                                literal(int(value.decimal * 100), BigInteger).label("fen")))
    if not found:
        return None
    table: Any = union_all(*found) if len(found) > 1 else found[0]
    return table.subquery("minimum_wage")


def _below_minimum(session: Session, rule: rules.Rule, on: date, prefix: str) -> Any:
    """A pay sheet whose average line is below the minimum wage of the project's province for that month."""
    minimum = _minimum_wages(session, on)
    if minimum is None:
        return None
    per_sheet = (select(WagePayLine.sheet_id, func.sum(WagePayLine.amount_fen).label("total"),
                        func.count(WagePayLine.id).label("n")).group_by(WagePayLine.sheet_id).subquery("per_sheet"))
    return select(*_columns(session, rule), WageProject.id, WageProject.division_code, WagePaySheet.month,
                  literal(0, Integer), cast(per_sheet.c.total / per_sheet.c.n, BigInteger), minimum.c.fen,
                  *_tail(on)).select_from(WagePaySheet).join(
        per_sheet, per_sheet.c.sheet_id == WagePaySheet.id).join(
        WageProject, WageProject.id == WagePaySheet.project_id).join(
        minimum, and_(minimum.c.prefix == func.substr(WageProject.division_code, 1, 2),
                      minimum.c.month == WagePaySheet.month)).where(
        WagePaySheet.paid_on <= on, WageProject.division_code.startswith(prefix),
        per_sheet.c.total < minimum.c.fen * per_sheet.c.n,
        _absent(rule.code, WageProject.id, WagePaySheet.month))


def _headcount_gap(session: Session, rule: rules.Rule, on: date, prefix: str) -> Any:
    """A month with a pay sheet that pays (amount above 0) fewer workers than attended that month. Each sheet's
    paid lines are counted on the (sheet, amount) index, its month's attendance on the (project, month, days)
    index: no sort of the whole attendance table."""
    paid = (select(WagePayLine.sheet_id, func.sum(case((WagePayLine.amount_fen > 0, 1), else_=0)).label("n"))
            .group_by(WagePayLine.sheet_id).subquery("paid"))
    a = WageAttendance.__table__.alias("a")
    attending = (select(func.count()).where(a.c.project_id == WagePaySheet.project_id,
                                            a.c.month == WagePaySheet.month, a.c.days > 0)
                 .correlate(WagePaySheet).scalar_subquery())
    sheets = (select(WagePaySheet.project_id, WagePaySheet.month, paid.c.n.label("paid"),
                     attending.label("attending")).join(paid, paid.c.sheet_id == WagePaySheet.id)
              .where(WagePaySheet.paid_on <= on).subquery("sheets"))
    return select(*_columns(session, rule), WageProject.id, WageProject.division_code, sheets.c.month,
                  literal(0, Integer), cast(sheets.c.paid, BigInteger), cast(sheets.c.attending, BigInteger),
                  *_tail(on)).select_from(sheets).join(WageProject, WageProject.id == sheets.c.project_id).where(
        sheets.c.paid < sheets.c.attending, WageProject.division_code.startswith(prefix),
        _absent(rule.code, WageProject.id, sheets.c.month))


def _no_account_or_deposit(session: Session, rule: rules.Rule, on: date, prefix: str) -> Any:
    """A project under way with no special account opened or no deposit paid by the scan's day; one warning per
    project and month of the scan (a monthly reminder while it lasts). `observed`: 1 no account, 2 no deposit."""
    account = exists().where(WageAccount.project_id == WageProject.id, WageAccount.opened_on <= on)
    deposit = exists().where(WageDeposit.project_id == WageProject.id, WageDeposit.paid_on <= on)
    month = rules.month_start(on)
    flags = case((account, 0), else_=1) + case((deposit, 0), else_=2)
    return select(*_columns(session, rule), WageProject.id, WageProject.division_code, literal(month, Date),
                  literal(0, Integer), cast(flags, BigInteger), literal(None, BigInteger), *_tail(on)).where(
        WageProject.state == "active", WageProject.start_date <= on, or_(~account, ~deposit),
        WageProject.division_code.startswith(prefix),
        _absent(rule.code, WageProject.id, literal(month, Date)))


SCANS = {"late_pay": _late_pay, "below_minimum": _below_minimum, "headcount_gap": _headcount_gap,
         "no_account_or_deposit": _no_account_or_deposit}


def _counts(session: Session) -> dict[str, int]:
    return {r: int(n) for r, n in session.execute(select(WageWarning.rule, func.count()).group_by(WageWarning.rule))}


def scan_in(session: Session, *, actor: Principal, on: date) -> ScanResult:
    """Run every rule once over the projects of the actor's jurisdiction (all of them for the system), inside
    the caller's transaction; returns how many warnings each rule raised."""
    if not policy.can(actor, "supervise", division_code=actor.division_code):
        raise Forbidden("无权执行工资支付预警扫描", code="renshe:wages/scan-permission")
    parameters.load_defaults(session)  # the national minimum wage where a province has none
    before = _counts(session)
    for rule in rules.catalog().rules.values():
        statement = SCANS[rule.code](session, rule, on, divisions.scope_prefix(actor.division_code))
        if statement is not None:
            session.execute(insert(WageWarning).from_select(COLUMNS, statement))
    after = _counts(session)
    result = ScanResult(on, {code: after.get(code, 0) - before.get(code, 0) for code in rules.catalog().rules})
    audit.record(session, actor=actor, action="wages.scan", entity_type="wage_scan", entity_id=on.isoformat(),
                 after={"raised": result.raised, **result.by_rule})
    if result.raised:
        record_event(session, "wages.warnings_raised", {"on": on.isoformat(), "raised": result.raised})
    session.flush()
    return result


def scan(*, actor: Principal, on: date) -> ScanResult:
    """The scan in a unit of work of its own (the CLI and a scheduler)."""
    with db.unit_of_work() as session:
        return scan_in(session, actor=actor, on=on)
