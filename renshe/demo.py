"""A deterministic synthetic province: staff for every county and city, persons, employers, employment.

Everything is generated from a seeded PRNG, so the same arguments give the same people. Resident IDs
are valid GB 11643 numbers with the province's real county codes; credit codes are valid GB 32100
codes. Passwords are "demo" and the accounts only work while RENSHE_DEMO_MODE is on.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, ids
from renshe.core.auth import SYSTEM, hash_password
from renshe.core.models import StaffUser
from renshe.registry import service as registry

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林阳建国志文博亮成东海峰"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英华慧巧美娅雪琳晶欣婷颖倩玉兰萍红梅莉燕云霞凤洁琴瑶佳怡璐"
TRADES = ("科技", "建设", "商贸", "物流", "食品", "机械", "电子", "医药", "餐饮", "纺织", "印刷", "建材", "环保",
          "文化")
FORMS = ("有限公司", "有限责任公司", "股份有限公司")
JOBS = ("操作工", "技术员", "会计", "销售代表", "司机", "厨师", "保洁员", "工程师", "行政专员", "仓管员")
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
DEMO_PASSWORD = "demo"  # noqa: S105 - demo accounts only, refused outside demo mode


@dataclass
class SeedReport:
    province: str
    persons: int = 0
    employers: int = 0
    relations: int = 0
    staff: list[tuple[str, str, str]] = field(default_factory=list)  # username, role, division
    sample_person: tuple[str, str, str] | None = None  # name, id number, division
    sample_employer: tuple[str, str] | None = None  # name, credit code
    ledger_citizens: list[tuple[str, str, str]] = field(default_factory=list)  # what, name, id number
    retirees: int = 0  # pensions in payment
    sample_retiree: tuple[str, str] | None = None  # name, id number


def org_code(rng: random.Random) -> str:
    """A GB 11714 organisation code: 8 characters and their check character."""
    body = "".join(rng.choice(ORG_ALPHABET[:10] if i < 2 else ORG_ALPHABET) for i in range(8))
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def credit_code(rng: random.Random, county: str) -> str:
    first17 = "91" + county + org_code(rng)
    return first17 + ids.credit_code_check_character(first17)


def resident_id(county: str, birth: date, sequence: int) -> str:
    first17 = f"{county}{birth:%Y%m%d}{sequence:03d}"
    return first17 + ids.resident_id_check_character(first17)


def person_name(rng: random.Random, male: bool) -> str:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    given = rng.choice(pool) + (rng.choice(pool) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def demo_counties(province: str) -> list[divisions.Division]:
    counties = divisions.counties_of(province)
    if not counties:
        raise ValueError(f"{province} has no current county-level divisions")
    return counties


def is_seeded(session: Session) -> bool:
    return session.scalar(select(StaffUser.id).where(StaffUser.username == "admin")) is not None


def seed_staff(session: Session, province: str, report: SeedReport) -> None:
    password_hash = hash_password(DEMO_PASSWORD)  # one hash for all demo accounts: argon2 is slow on purpose
    rows: list[dict[str, object]] = [{"username": "admin", "display_name": "演示管理员", "roles": "admin",
                                      "division_code": province}]
    counties = demo_counties(province)
    cities = sorted({divisions.parent_of(c.code) or province for c in counties} - {province})
    for city in cities:
        rows.append({"username": f"supervisor-{city}", "display_name": f"{divisions.full_name(city)}监管员",
                     "roles": "supervisor", "division_code": city})
    for county in counties:
        name = divisions.full_name(county.code)
        rows.append({"username": f"clerk-{county.code}", "display_name": f"{name}受理员", "roles": "clerk",
                     "division_code": county.code})
        rows.append({"username": f"reviewer-{county.code}", "display_name": f"{name}审核员", "roles": "reviewer",
                     "division_code": county.code})
    for row in rows:
        row.update(password_hash=password_hash, is_demo=True, active=True)
    session.execute(insert(StaffUser), rows)
    report.staff = [(str(r["username"]), str(r["roles"]), str(r["division_code"])) for r in rows]


def _births(rng: random.Random, today: date) -> date:
    # working-age heavy, with pensioners: ages 16-90
    age_days = int(rng.triangular(16 * 365, 90 * 365, 38 * 365))
    return today - timedelta(days=age_days)


def generate_persons(
    rng: random.Random, counties: list[str], count: int, today: date,
) -> Iterator[tuple[str, str, str]]:
    """Yield (id number, name, residence county) for `count` distinct synthetic persons."""
    used: set[str] = set()
    while len(used) < count:
        county = rng.choice(counties)
        birth = _births(rng, today)
        male = rng.random() < 0.51
        sequence = rng.randrange(0, 999) // 2 * 2 + (1 if male else 0)  # odd = male (GB 11643)
        number = resident_id(county, birth, sequence)
        if number in used:
            continue
        used.add(number)
        residence = county if rng.random() < 0.85 else rng.choice(counties)
        yield number, person_name(rng, male), residence


def seed(
    session: Session, *, persons: int, province: str, seed_value: int = 2026,
    progress: Callable[[int], None] | None = None, chunk: int = 5000,
) -> SeedReport:
    """Fill an empty database with a demo province. The caller commits."""
    if is_seeded(session):
        raise ValueError("the database already holds demo data")
    rng = random.Random(seed_value)
    report = SeedReport(province=province)
    counties = [c.code for c in demo_counties(province)]
    today = date.today()
    seed_staff(session, province, report)

    employers_per_county: dict[str, list[int]] = {}
    n_employers = max(len(counties), persons // 40)
    agent_hash = hash_password(DEMO_PASSWORD)
    employer_rows = []
    codes: set[str] = set()
    for i in range(n_employers):
        county = counties[i % len(counties)]
        code = credit_code(rng, county)
        if code in codes:
            continue
        codes.add(code)
        city_name = divisions.full_name(county)
        name = f"{city_name}{rng.choice(SURNAMES)}{rng.choice(SURNAMES)}{rng.choice(TRADES)}{rng.choice(FORMS)}"
        employer_rows.append({
            "public_id": f"{rng.getrandbits(128):032x}", "credit_code": code, "name": name, "entity_type": "91",
            "division_code": county, "legal_representative": person_name(rng, rng.random() < 0.6),
            "status": "active", "source": "demo", "agent_password_hash": agent_hash,
        })
    for employer_id, county in registry.insert_employers(session, employer_rows):
        employers_per_county.setdefault(county[:4], []).append(employer_id)
    report.employers = len(employer_rows)
    report.sample_employer = (employer_rows[0]["name"], employer_rows[0]["credit_code"])

    cipher = crypto.cipher()
    batch: list[dict[str, object]] = []
    pending_jobs: list[tuple[str, str]] = []  # public id, county
    done = 0
    for number, name, residence in generate_persons(rng, counties, persons, today):
        public_id = f"{rng.getrandbits(128):032x}"
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        batch.append({
            "public_id": public_id,
            "id_number_index": cipher.blind_index(number, purpose=registry.ID_PURPOSE),
            "id_number_encrypted": cipher.encrypt(number, purpose=registry.ID_PURPOSE),
            "id_number_masked": crypto.mask_id_number(number),
            "name": name, "sex": "1" if int(number[16]) % 2 else "2",
            "birth_date": date(int(number[6:10]), int(number[10:12]), int(number[12:14])),
            "phone_encrypted": cipher.encrypt(phone, purpose=registry.PHONE_PURPOSE),
            "phone_index": cipher.blind_index(phone, purpose=registry.PHONE_PURPOSE),
            "residence_division": residence, "hukou_division": number[:6], "status": "normal",
            "real_name_state": "verified" if rng.random() < 0.9 else "unverified",
            "real_name_source": "public_security", "source": "demo", "version": 1,
        })
        age = today.year - int(number[6:10])
        if 18 <= age < 60 and rng.random() < 0.6:
            pending_jobs.append((public_id, residence))
        if report.sample_person is None:
            report.sample_person = (name, number, residence)
        if len(batch) >= chunk:
            done += _flush_persons(session, batch, pending_jobs, employers_per_county, rng, today, report)
            if progress:
                progress(done)
    done += _flush_persons(session, batch, pending_jobs, employers_per_county, rng, today, report)
    if progress:
        progress(done)
    report.persons = done
    audit.record(session, actor=SYSTEM, action="demo.seed", entity_type="province", entity_id=province,
                 after={"persons": report.persons, "employers": report.employers, "relations": report.relations,
                        "staff": len(report.staff), "seed": seed_value})
    from renshe.certs.service import issue_demo  # the demo citizen holds one certificate
    issue_demo(session, id_number=report.sample_person[1] if report.sample_person else None)
    from renshe.hall.demo import demo_seed as seed_hall  # the 一网通办 item catalog
    seed_hall(session, actor=SYSTEM)
    from renshe.card.service import seed_demo as seed_cards  # sample person + 3,000 others hold an active card
    seed_cards(session, seed_value=seed_value)
    from renshe.pension import demo_data as pension_demo  # retirees: the wages and rules of earlier years first
    pension_demo.prepare(session, province=province, today=today)
    from renshe.insurance.demo_data import seed as seed_insurance  # units, contributions, accounts with interest
    ledger = seed_insurance(session, province=province,
                   sample_id_number=report.sample_person[1] if report.sample_person else None,
                   employer_codes=[str(row["credit_code"]) for row in employer_rows[:3]], today=today,
                   seed_value=seed_value)
    report.ledger_citizens = [(what, *who) for what, who in (("灵活就业人员", ledger.flexible_worker),
                                                             ("有视同缴费年限和历史数据的参保人", ledger.deemed_person))
                              if who is not None]
    retirees = pension_demo.careers(session, province=province, today=today, seed_value=seed_value,
                                    employer_codes=[str(row["credit_code"]) for row in employer_rows[-1:]])
    from renshe.hall.demo import retirements  # they apply through the hall and are approved
    report.retirees = retirements(session, person_public_ids=[r.person_public_id for r in retirees])
    report.sample_retiree = (retirees[0].name, retirees[0].id_number) if retirees else None
    pension_demo.payments(session, province=province, today=today)  # the months since, paid into the cards
    from renshe.unemployment.demo_data import seed as seed_unemployment  # registered unemployed, benefits paid
    seed_unemployment(session, province=province, today=today,
                      sample_id_number=report.sample_person[1] if report.sample_person else None)
    from renshe.recruitment.demo_data import seed as seed_recruitment  # postings, profiles, an application
    seed_recruitment(session, province=province, today=today,
                     employer_codes=[str(row["credit_code"]) for row in employer_rows[:4]],
                     sample_id_number=report.sample_person[1] if report.sample_person else None)
    from renshe.agencies.demo_data import seed as seed_agencies  # Employment Online: institutions and agencies
    seed_agencies(session, counties=sorted({str(row["division_code"]) for row in employer_rows}),
                  credit_code=credit_code)
    from renshe.archives.demo_data import seed as seed_archives  # the demo citizen's personnel file
    seed_archives(session, id_number=report.sample_person[1] if report.sample_person else None, today=today)
    from renshe.wages.demo_data import seed as seed_wages  # a project with a pay sheet below the minimum wage
    seed_wages(session, province=province, today=today)
    from renshe.contracts.demo_data import seed as seed_contracts  # a signed labour contract at the sample employer
    seed_contracts(session, today=today,
                   employer_credit_code=report.sample_employer[1] if report.sample_employer else None)
    from renshe.keygroups.demo_data import seed as seed_keygroups  # graduates, migrant workers, hard to employ
    seed_keygroups(session, province=province, today=today,
                   sample_id_number=report.sample_person[1] if report.sample_person else None)
    return report


def _flush_persons(
    session: Session, batch: list[dict[str, object]], jobs: list[tuple[str, str]],
    employers: dict[str, list[int]], rng: random.Random, today: date, report: SeedReport,
) -> int:
    if not batch:
        return 0
    ids_by_public = registry.insert_persons(session, batch, keys_for=[j[0] for j in jobs])
    if jobs:
        relations = []
        for public_id, county in jobs:
            pool = employers.get(county[:4]) or employers[next(iter(employers))]
            start = today - timedelta(days=rng.randrange(30, 15 * 365))
            relations.append({
                "public_id": f"{rng.getrandbits(128):032x}", "person_id": ids_by_public[public_id],
                "employer_id": rng.choice(pool), "start_date": start, "job_title": rng.choice(JOBS),
                "reported_by": "demo",
            })
        registry.insert_employment_relations(session, relations)
        report.relations += len(relations)
    count = len(batch)
    batch.clear()
    jobs.clear()
    return count


def count_persons(session: Session) -> int:
    return registry.count_persons(session)
