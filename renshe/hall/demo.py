"""The demo's service hall: the item catalog, then sample applications for the demo province: two
overdue, one near due, two decided and rated (one 非常满意, one 不满意 with its rectification case), one
waiting for acceptance. Filed for persons with a phone in the province's first county, through the
service itself (audited, with events). The demo's retirees apply for retirement and are approved
(`retirements`), so their pensions are in payment."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal
from renshe.core.settings import get_settings
from renshe.hall import clock
from renshe.hall.applications import service
from renshe.hall.applications.materials import Upload
from renshe.hall.catalog import service as catalog
from renshe.hall.reviews import service as reviews
from renshe.registry import service as registry

# 创业补贴申领: a workflow item without checks against the records (失业保险金申领 checks the applicant's
# employment and contributions, which these sample applicants do not have: the unemployment demo shows it).
FORM = {"business_name": "演示便民早餐店", "business_credit_code": "92110105MA01ABCD0W", "registered_on": "2026-06-01",
        "business_type": "individual", "applicant_category": "unemployed", "bank": "ICBC",
        "bank_account": "6222020200112233445", "pledge": True}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def demo_seed(session: Session, *, actor: Principal) -> int:
    """Load the item catalog into a fresh demo province (the demo's `seed` calls this), then a few sample
    applications: overdue, near due, decided and rated (one badly, so a rectification case is open)."""
    added = catalog.load_catalog(session, actor=actor)
    seed(session)
    return added


def seed(session: Session) -> int:
    """File the sample applications; returns how many (none when the province has too few persons)."""
    prefix = get_settings().province_code[:2]
    persons = registry.persons_with_phone(session, division_prefix=prefix, limit=6)
    if len(persons) < 6:
        return 0
    clerk = Principal(kind="system", subject="demo-clerk", display_name="演示受理员", roles=("system",))
    checker = Principal(kind="system", subject="demo-reviewer", display_name="演示审核员", roles=("system",))
    calendar = clock.calendar(session)
    today = clock.today()
    made = []
    for person in persons:
        citizen = Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                            division_code=person.residence_division)
        made.append((citizen, service.submit(session, actor=citizen, item_code="startup-subsidy",
                                             data=FORM, uploads=[Upload("business_licence", "营业执照.pdf",
                                                                                PDF)])))
    for _, application in made[:5]:
        service.act(session, actor=clerk, application=application, action="accept")
    # Two overdue, one near due: the promised dates of sample data moved back.
    made[0][1].due_date = calendar.add_workdays(today - timedelta(days=14), 0)
    made[1][1].due_date = today - timedelta(days=3)
    made[2][1].due_date = calendar.add_workdays(today, 1)
    for _, application in made[3:5]:
        service.act(session, actor=checker, application=application, action="review")
        service.act(session, actor=checker, application=application, action="approve", reason="符合申领条件")
    reviews.rate(session, actor=made[3][0], application=made[3][1], level=5, scores={"overall": 5}, comment="很快")
    reviews.rate(session, actor=made[4][0], application=made[4][1], level=2, scores={"efficiency": 2},
                 comment="等候时间较长，材料要求没有一次说清")
    session.flush()
    return len(made)


RETIREMENT_FORM = {"identity": "male", "retirement_mode": "statutory", "bank": "ICBC",
                   "bank_account": "6222020200112233445", "pledge": True}


def retirements(session: Session, *, person_public_ids: list[str]) -> int:
    """The demo's retirees apply for retirement (职工正常退休申请) online and are approved through the
    workflow: the checks run on their ledger and the approval grants the pension (first month paid)."""
    clerk = Principal(kind="system", subject="demo-clerk", display_name="演示受理员", roles=("system",))
    checker = Principal(kind="system", subject="demo-reviewer", display_name="演示审核员", roles=("system",))
    done = 0
    for public_id in person_public_ids:
        person = registry.get_person(session, actor=SYSTEM, public_id=public_id)
        citizen = Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                            division_code=person.residence_division)
        identity = "male" if person.sex == "1" else "female_worker"
        application = service.submit(session, actor=citizen, item_code="retirement", data={
            **RETIREMENT_FORM, "identity": identity, "retirement_date": _statutory_date(person)})
        service.act(session, actor=clerk, application=application, action="accept")
        service.act(session, actor=checker, application=application, action="review")
        service.act(session, actor=checker, application=application, action="approve", reason="符合退休条件，准予退休")
        done += 1
    session.flush()
    return done


def _statutory_date(person: registry.Person) -> str:
    from renshe.pension import rules as pension_rules

    birth = pension_rules.Month(person.birth_date.year, person.birth_date.month)
    sex = "male" if person.sex == "1" else "female"
    due = pension_rules.retirement_age(birth=birth, sex=sex).retirement_month
    return date(due.year, due.month, 1).isoformat()
