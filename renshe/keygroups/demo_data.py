"""The demo province's key groups: young people as college graduates of this year, migrant workers (their
origin county from the person base), hard-to-employ people (大龄失业人员 by age and sex, 长期失业人员), the demo
citizen as a graduate, and services recorded by the county's clerk, so that every county's worklist shows
someone unserved and some people are served. Entered through the service, as a clerk would; called with one line from
`renshe/demo.py`."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from renshe.core import crypto, divisions, staff
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError
from renshe.keygroups import rules, schemas, service
from renshe.registry import service as registry

LIMIT = 40  # records in all
SCHOOLS = (("浙江大学", "计算机科学与技术", "bachelor"), ("浙江工业大学", "机械工程", "bachelor"),
           ("杭州职业技术学院", "电子商务", "college"), ("宁波大学", "会计学", "master"))
SERVICES = (("policy", "宣讲离校未就业高校毕业生就业见习和社保补贴政策"),
            ("job_referral", "推荐辖区企业岗位2个，已约面试"),
            ("guidance", "职业指导：梳理求职意向，修改简历"))


def _clerk(session: Session, county: str) -> Principal:
    return staff.active_principal(session, f"clerk-{county}") or SYSTEM


def _membership(person: registry.Person, *, today: date, counts: dict[str, int]) -> schemas.MembershipIn | None:
    """The group the person fits, the group with the fewest records first among those that fit."""
    age = rules.age_on(person.birth_date, today)
    fits: list[schemas.MembershipIn] = []
    if 21 <= age <= 25:
        school, major, education = SCHOOLS[counts["graduate"] % len(SCHOOLS)]
        fits.append(schemas.MembershipIn(group="graduate", attributes={
            "graduation_year": str(today.year if today.month >= 7 else today.year - 1), "school": school,
            "major": major, "education": education}))
    if (50 if person.sex == "1" else 40) <= age < 60:
        category = "older_unemployed" if counts["hard_to_employ"] % 2 == 0 else "long_term_unemployed"
        fits.append(schemas.MembershipIn(group="hard_to_employ", attributes={"category": category}))
    if 22 <= age < 55:
        origin = person.hukou_division or person.residence_division
        found = divisions.get(origin)
        if found is None or found.level != "county":
            origin = person.residence_division
        fits.append(schemas.MembershipIn(group="migrant", attributes={"origin_county": origin,
                                                                     "work_county": person.residence_division}))
    return min(fits, key=lambda m: counts[m.group]) if fits else None


def seed(session: Session, *, province: str, today: date, sample_id_number: str | None = None) -> int:
    """One record in each county first (left unserved, so every county's clerk has someone on the worklist),
    then more up to LIMIT, every other one served lately; the demo citizen as a graduate."""
    counts = {"graduate": 0, "migrant": 0, "hard_to_employ": 0}
    people = [registry.person_by_pk(session, pk) for pk, county in
              registry.active_person_divisions(session, limit=1000) if county.startswith(province[:2])]
    employed = registry.employed_among(session, person_ids=[p.id for p in people if p is not None])
    free = [p for p in people if p is not None and p.id not in employed
            and _membership(p, today=today, counts=counts) is not None]
    covered: set[str] = set()
    first_pass = []
    for each in free:
        if each.residence_division not in covered:
            covered.add(each.residence_division)
            first_pass.append(each)
    sample = registry.find_by_id_number(session, id_number=sample_id_number) if sample_id_number else None
    made = 0
    served_counties: set[str] = set()
    for person in [sample, *first_pass, *free]:
        if made >= LIMIT:
            break
        if person is None or registry.employed_among(session, person_ids=[person.id]):
            continue
        id_number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
        membership = _membership(person, today=today, counts=counts)
        if person is sample:
            membership = schemas.MembershipIn(group="graduate", attributes={
                "graduation_year": str(today.year - 1), "school": "浙江大学", "major": "软件工程",
                "education": "bachelor"})
        if membership is None:
            continue
        clerk = _clerk(session, person.residence_division)
        try:
            with session.begin_nested():  # a person the rules refuse (or already recorded) leaves nothing behind
                row = service.create_record(session, actor=clerk, data=schemas.RecordIn(
                    id_number=id_number, name=person.name, division_code=person.residence_division,
                    groups=[membership]))
                if person.residence_division in served_counties and made % 2 == 0:
                    kind, note = SERVICES[made % len(SERVICES)]
                    service.add_service(session, actor=clerk, public_id=row.public_id, data=schemas.ServiceIn(
                        served_on=today - timedelta(days=3 + made % 20), kind=kind, note=note))
        except DomainError:
            continue
        served_counties.add(person.residence_division)
        counts[membership.group] += 1
        made += 1
    return made
