"""A province's monthly run (月度核定与记账): every insured unit assessed for the month, then every pension
unit whose month is paid in full posted to the individual accounts, each step one set of INSERT … SELECT
statements over the whole province instead of a loop over units.

The results are the same as `contributions.assess` and `accounts.post_month` unit by unit (the statements
are theirs, scoped to the province): one assessment per unit and month at its latest declaration, dues
append-only, each due posted once. The run is idempotent: run again, it finds every unit assessed at its
current declaration and every paid due posted, and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import JSON, bindparam, func, select, text
from sqlalchemy.orm import Session

from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Forbidden
from renshe.core.events import record_event
from renshe.insurance import accounts, contributions, parameters, policy
from renshe.insurance.models import Assessment, InsuredUnit


@dataclass(frozen=True)
class MonthRun:
    province: str
    month: date
    units_assessed: int
    dues_written: int
    units_posted: int
    entries_posted: int


_NEW_ASSESSMENTS = """
INSERT INTO ins_assessments (public_id, owner, unit_id, month, basis, rows, parameters, assessed_by, assessed_at)
SELECT {public_id}, 'unit:' || CAST(x.unit_id AS VARCHAR(20)), x.unit_id, :month, x.basis, 0, :parameters, :actor,
       :now
FROM (
  SELECT u.id AS unit_id, COALESCE((SELECT MAX(d.id) FROM ins_declarations d
                                    WHERE d.unit_id = u.id AND d.year = :year), 0) AS basis
  FROM ins_units u WHERE u.province = :province AND u.insurance_type = :insurance_type
) x
WHERE NOT EXISTS (SELECT 1 FROM ins_assessments a WHERE a.owner = 'unit:' || CAST(x.unit_id AS VARCHAR(20))
                  AND a.month = :month AND a.basis = x.basis)
"""

# An assessment of the month made before this run for a unit of the province and type (dues exist only under
# assessments, and a unit relation's dues only under its unit's).
_EARLIER = """
SELECT 1 FROM ins_assessments a JOIN ins_units u ON u.id = a.unit_id
WHERE a.month = :month AND a.id <= :before AND u.province = :province AND u.insurance_type = :insurance_type
LIMIT 1
"""

_COUNT_ROWS = text("""
UPDATE ins_assessments SET rows = (SELECT COUNT(*) FROM ins_dues d WHERE d.assessment_id = ins_assessments.id)
WHERE id > :before AND month = :month
""")

# Pension units of the province whose month is paid in full as of :on (what `contributions.position` calls paid).
_PAID_UNITS = """
SELECT d.unit_id FROM ins_dues d JOIN ins_units u ON u.id = d.unit_id
WHERE u.province = :province AND u.insurance_type = '110' AND d.month = :month
GROUP BY d.unit_id
HAVING SUM(d.amount_fen) > 0 AND SUM(d.amount_fen) <= COALESCE(
  (SELECT SUM(c.amount_fen) FROM ins_receipts c WHERE c.unit_id = d.unit_id AND c.month = :month
   AND c.matched = :yes AND c.paid_on <= :on), 0)
"""


def _public_id_sql(session: Session) -> str:
    if session.get_bind().dialect.name == "postgresql":
        return "replace(CAST(gen_random_uuid() AS VARCHAR(36)), '-', '')"
    return "lower(hex(randomblob(16)))"


def assess_province(session: Session, *, actor: Principal, province: str, month: date) -> tuple[int, int]:
    """核定 the month for every insured unit of the province; returns (units assessed, due rows written)."""
    if not policy.can(actor, "assessment.run", division_code=province):
        raise Forbidden("无权核定本省的缴费", code="renshe:insurance/assessment-permission")
    month = contributions.month_start(month)
    parameters.load_defaults(session)
    before = int(session.scalar(select(func.coalesce(func.max(Assessment.id), 0))) or 0)
    now = utcnow()
    units = rows = 0
    types = session.scalars(select(InsuredUnit.insurance_type).where(InsuredUnit.province == province).distinct())
    for insurance_type in sorted(types):
        sides, used = contributions.rates_for(session, province=province, insurance_type=insurance_type, on=month,
                                          flexible=False)
        made = session.execute(
            text(_NEW_ASSESSMENTS.replace("{public_id}", _public_id_sql(session)))
            .bindparams(bindparam("parameters", type_=JSON)),
            {"month": month, "year": month.year, "province": province, "insurance_type": insurance_type,
             "parameters": used, "actor": actor.subject, "now": now})
        created = made.rowcount or 0  # type: ignore[attr-defined]
        units += created
        if not created:
            # Dues are written only under assessments made by this run (`a.id > :before`): with none made for
            # this type, every unit is assessed at its current declaration and there is nothing to write.
            continue
        values = {"province": province, "insurance_type": insurance_type, "before": before, "month": month}
        # The province's first assessment of the month for this type (the usual monthly run): no unit has dues
        # for it yet, so no earlier amounts to subtract and nothing to reverse.
        first = session.execute(text(_EARLIER), values).first() is None
        rows += contributions.assess_dues(
            session, sides=sides, month=month, first=first,
            scope="r.province = :province AND r.insurance_type = :insurance_type AND r.unit_id IS NOT NULL",
            assessment="a.unit_id = r.unit_id AND a.month = :month AND a.id > :before", values=values)
    session.execute(_COUNT_ROWS, {"before": before, "month": month})
    return units, rows


def post_province(session: Session, *, actor: Principal, province: str, month: date, on: date) -> tuple[int, int]:
    """Post the month to the accounts for every pension unit of the province paid in full as of `on`;
    returns (units paid, entries written). Units not paid in full wait, as with `accounts.post_month`."""
    if not policy.can(actor, "assessment.run", division_code=province):
        raise Forbidden("无权办理个人账户记账", code="renshe:insurance/posting-permission")
    month = contributions.month_start(month)
    values = {"province": province, "on": on, "yes": True}
    paid = len(session.execute(text(_PAID_UNITS), {**values, "month": month}).all())
    entries = accounts.post_dues(session, scope=f"d.unit_id IN ({_PAID_UNITS})", month=month, values=values)
    return paid, entries


def run_month(session: Session, *, actor: Principal, province: str, month: date, on: date) -> MonthRun:
    """Assess the month for the whole province and post what is paid, in the caller's transaction."""
    month = contributions.month_start(month)
    units, dues = assess_province(session, actor=actor, province=province, month=month)
    paid, entries = post_province(session, actor=actor, province=province, month=month, on=on)
    result = MonthRun(province, month, units, dues, paid, entries)
    after = {"month": month.strftime("%Y-%m"), "units_assessed": units, "dues": dues, "units_posted": paid,
             "entries": entries}
    audit.record(session, actor=actor, action="insurance.month.run", entity_type="province", entity_id=province,
                 after=after)
    record_event(session, "insurance.month_run", {"province": province, **after})
    return result
