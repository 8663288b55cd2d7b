"""The demo province's Employment Online: its public employment and talent service institutions listed (the
coverage measure's denominator), two of them onboard with services, a licensed agency with labour dispatch,
and a few ratings. Called with one line from `renshe/demo.py`."""

from __future__ import annotations

import random
from collections.abc import Callable

from sqlalchemy.orm import Session

from renshe.agencies import schemas, service
from renshe.core import divisions
from renshe.core.auth import SYSTEM, Principal
from renshe.registry import schemas as registry_schemas
from renshe.registry import service as registry

INSTITUTIONS = (("公共就业服务中心", "public_employment"), ("人才服务中心", "public_talent"),
                ("就业创业指导中心", "public_employment"), ("人力资源市场", "public_employment"))


def _unit(session: Session, rng: random.Random, make_code: Callable[[random.Random, str], str], *, name: str,
          county: str) -> Principal:
    employer = registry.register_employer(session, actor=SYSTEM, data=registry_schemas.EmployerIn(
        credit_code=make_code(rng, county), name=name, division_code=county, legal_representative="张"))
    return Principal(kind="employer", subject=employer.public_id, display_name=employer.name,
                     division_code=county)


def seed(session: Session, *, counties: list[str], credit_code: Callable[[random.Random, str], str],
         seed_value: int = 3) -> int:
    """List the institutions of the first counties, onboard some, and rate them; CREDIT_CODE makes a valid
    credit code for a county (the demo's generator)."""
    rng = random.Random(seed_value)
    onboard = 0
    for n, county in enumerate(counties[:3]):
        for m, (suffix, kind) in enumerate(INSTITUTIONS[:3]):
            unit = _unit(session, rng, credit_code, name=f"{divisions.full_name(county)}{suffix}", county=county)
            if (n + m) % 2:  # listed, not yet onboard: counts in the coverage
                employer = registry.get_employer_of(session, principal=unit)
                service.list_institution(session, actor=SYSTEM, data=schemas.InstitutionIn(
                    credit_code=employer.credit_code, name=employer.name, kind=kind, division_code=county))
                continue
            scope = ["job_introduction", "career_guidance", "recruitment"] + (
                ["personnel_files"] if kind == "public_talent" else [])
            row = service.apply(session, actor=unit, data=schemas.OnboardIn(kind=kind, licence_scope=scope))
            service.decide(session, actor=SYSTEM, public_id=row.public_id, approve=True)
            service.publish(session, actor=unit, data=schemas.ServiceIn(
                kind="job_introduction", title="免费职业介绍",
                description="登记求职意向，推荐辖区企业岗位，免费服务。"))
            onboard += 1
    agency = _unit(session, rng, credit_code, name="示范人力资源服务有限公司", county=counties[0])
    row = service.apply(session, actor=agency, data=schemas.OnboardIn(
        kind="licensed", licence_number="（示范）人服证字〔2024〕第0001号",
        dispatch_licence="（示范）劳派许字〔2024〕第0001号",
        licence_scope=["recruitment", "labour_dispatch", "hr_outsourcing"]))
    service.decide(session, actor=SYSTEM, public_id=row.public_id, approve=True)
    service.publish(session, actor=agency, data=schemas.ServiceIn(
        kind="labour_dispatch", title="劳务派遣",
        description="为制造业企业派遣生产岗位人员，依法签订劳动合同、缴纳社会保险。",
        fee="按服务协议"))
    for n, person in enumerate(registry.persons_with_phone(session, division_prefix=counties[0][:2], limit=4)):
        citizen = Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                            division_code=person.residence_division)
        service.rate(session, actor=citizen, public_id=row.public_id, stars=5 - n % 2,
                     comment="办事效率高" if n == 0 else "")
    return onboard + 1
