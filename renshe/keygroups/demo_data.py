"""The demo province's key groups: a few young people as college graduates of this year, migrant workers
(their origin county from the person base), hard-to-employ people (大龄失业人员 by age and sex, 长期失业人员),
the demo citizen as a graduate, and a few services recorded by the county's clerk, so that the worklist shows
both served and unserved people. Entered through the service, as a clerk would; called with one line from
`renshe/demo.py`."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from renshe.core import crypto, divisions, staff
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import DomainError
from renshe.keygroups import rules, schemas, service
from renshe.registry import service as registry

PER_GROUP = 4
SCHOOLS = (("浙江大学", "计算机科学与技术", "bachelor"), ("浙江工业大学", "机械工程", "bachelor"),
           ("杭州职业技术学院", "电子商务", "college"), ("宁波大学", "会计学", "master"))
SERVICES = (("policy", "宣讲离校未就业高校毕业生就业见习和社保补贴政策"),
            ("job_referral", "推荐辖区企业岗位2个，已约面试"),
            ("guidance", "职业指导：梳理求职意向，修改简历"))


def _clerk(session: Session, county: str) -> Principal:
    return staff.active_principal(session, f"clerk-{county}") or SYSTEM


def _groups_for(person: registry.Person, *, today: date, counts: dict[str, int]) -> schemas.MembershipIn | None:
    age = rules.age_on(person.birth_date, today)
    male = person.sex == "1"
    n = sum(counts.values())
    if 21 <= age <= 25 and counts["graduate"] < PER_GROUP:
        school, major, education = SCHOOLS[counts["graduate"] % len(SCHOOLS)]
        return schemas.MembershipIn(group="graduate", attributes={
            "graduation_year": str(today.year if today.month >= 7 else today.year - 1), "school": school,
            "major": major, "education": education})
    if (50 if male else 40) <= age < 60 and counts["hard_to_employ"] < PER_GROUP:
        category = "older_unemployed" if n % 2 == 0 else "long_term_unemployed"
        return schemas.MembershipIn(group="hard_to_employ", attributes={"category": category})
    if 26 <= age < 50 and counts["migrant"] < PER_GROUP:
        origin = person.hukou_division or person.residence_division
        found = divisions.get(origin)
        if found is None or found.level != "county":
            origin = person.residence_division
        return schemas.MembershipIn(group="migrant", attributes={"origin_county": origin,
                                                                 "work_county": person.residence_division})
    return None


def seed(session: Session, *, province: str, today: date, sample_id_number: str | None = None) -> int:
    """Records for up to PER_GROUP people of each group and the demo citizen; a service for every other one."""
    counts = {"graduate": 0, "migrant": 0, "hard_to_employ": 0}
    made = 0
    candidates = [registry.person_by_pk(session, pk) for pk, county in
                  registry.active_person_divisions(session, limit=600) if county.startswith(province[:2])]
    if sample_id_number is not None:
        sample = registry.find_by_id_number(session, id_number=sample_id_number)
        candidates.insert(0, sample)
    for person in candidates:
        if all(n >= PER_GROUP for n in counts.values()):
            break
        if person is None or registry.employed_among(session, person_ids=[person.id]):
            continue
        id_number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
        membership = _groups_for(person, today=today, counts=counts)
        if id_number == sample_id_number:
            membership = schemas.MembershipIn(group="graduate", attributes={
                "graduation_year": str(today.year - 1), "school": "浙江大学", "major": "软件工程",
                "education": "bachelor"})
        if membership is None:
            continue
        clerk = _clerk(session, person.residence_division)
        try:
            with session.begin_nested():  # a person the rules refuse leaves nothing behind
                row = service.create_record(session, actor=clerk, data=schemas.RecordIn(
                    id_number=id_number, name=person.name, division_code=person.residence_division,
                    groups=[membership]))
                if made % 2 == 0:
                    kind, note = SERVICES[made % len(SERVICES)]
                    service.add_service(session, actor=clerk, public_id=row.public_id, data=schemas.ServiceIn(
                        served_on=today - timedelta(days=3 + made), kind=kind, note=note))
        except DomainError:
            continue
        if id_number != sample_id_number:
            counts[membership.group] += 1
        made += 1
    return made
