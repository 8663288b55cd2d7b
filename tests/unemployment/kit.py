"""Unemployed people for the unemployment tests: a person with unemployment insurance (210) contributions in the
ledger through the ledger's own declaration, assessment and receipts (the demo's `insured_career`), an
employment relation the employer reports ended or not, an active social security card, the hall's catalog,
and the staff who decide."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import crypto, events
from renshe.core.auth import SYSTEM, Principal
from renshe.core.models import OutboxEvent
from renshe.hall.applications import materials
from renshe.hall.applications import service as hall
from renshe.hall.catalog import service as catalog
from renshe.hall.models import Application
from renshe.pension import demo_data as pension_demo
from renshe.registry import service as registry
from renshe.registry.models import Person
from renshe.unemployment import demo_data
from tests import factories
from tests.card import kit as card_kit
from tests.insurance import kit

TODAY = date(2026, 12, 2)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM = {"former_employer": "失业甲原单位有限公司", "separation_date": "2025-05-31",
        "separation_reason": "contract_expired", "bank": "ICBC", "bank_account": "6222020200112233445", "pledge": True}


@dataclass
class Unemployed:
    person: Person
    citizen: Principal
    employer: Any
    relation: Any
    id_number: str


def unemployed(session: Session, *, first: date = date(2019, 6, 1), last: date = date(2025, 5, 1),
               card: bool = True, name: str = "失业甲", ended: bool = False, birth: date = date(1985, 3, 9)
               ) -> Unemployed:
    """A person of 110105 with 210 contributions every month from FIRST to LAST at 6,000 yuan a month (average
    wage 10,000), an active card, and the employment relation open unless ENDED (then it ends 2025-05-31)."""
    person = factories.person(session, birth=birth, name=name, phone="13912345678")
    employer, relation, number = insure(session, person, first=first, last=last, ended=ended)
    if card:
        admin = session.info.get("card_admin") or card_kit.admin(session)
        session.info["card_admin"] = admin
        card_kit.active_card(session, admin, person)
    return Unemployed(person, kit.citizen_of(person.public_id, person.name), employer, relation, number)


def insure(session: Session, person: Person, *, first: date, last: date, ended: bool,
           separated: date = date(2025, 5, 31)) -> tuple[Any, Any, str]:
    """Give PERSON 210 contributions every month from FIRST to LAST with an employer of their own (the hall
    tests' applicants too, so that their 失业保险金申领 can be approved); the employer reports the separation
    on SEPARATED when ENDED. Returns (employer, relation, the ID number)."""
    if not session.info.get("unemployment_wages"):
        kit.average_wage(session, since=date(2015, 1, 1))
        pension_demo.earlier_rules(session, province=kit.BEIJING, since=date(2015, 1, 1))
        session.info["unemployment_wages"] = True
    employer = factories.employer(session, name=f"{person.name}原单位有限公司")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    relation = demo_data.insured_career(session, employer=employer, id_number=number, first=first, last=last,
                                        wage_fen=600000, today=TODAY, key=f"t-{person.public_id[:10]}")
    if ended:
        end_job(session, employer, relation, on=separated)
    return employer, relation, number


def end_job(session: Session, employer: Any, relation: Any, on: date = date(2025, 5, 31)) -> None:
    registry.end_employment(session, actor=SYSTEM, employer=employer, relation_id=relation.public_id, end_date=on)


def staff(session: Session) -> tuple[Principal, Principal]:
    clerk = factories.staff_user(session, username="unemp-clerk", roles=("clerk",), division="110105")
    reviewer = factories.staff_user(session, username="unemp-reviewer", roles=("reviewer",), division="110105")
    return clerk, reviewer


def load_catalog(session: Session) -> None:
    catalog.load_catalog(session, actor=SYSTEM)


def apply(session: Session, who: Unemployed, **changes: object) -> Application:
    return hall.submit(session, actor=who.citizen, item_code="unemployment-benefit", data={**FORM, **changes},
                       uploads=[materials.Upload("separation_proof", "解除劳动合同证明.pdf", PDF)])


def decide(session: Session, application: Application, clerk: Principal, reviewer: Principal) -> Application:
    hall.act(session, actor=clerk, application=application, action="accept")
    hall.act(session, actor=reviewer, application=application, action="review")
    return hall.act(session, actor=reviewer, application=application, action="approve", reason="符合领取条件")


def deliver(session: Session) -> int:
    """Deliver the outbox events recorded in this (uncommitted) test transaction to the in-process subscribers,
    as the dispatcher does after a commit; returns how many were delivered."""
    pending = list(session.scalars(select(OutboxEvent).where(OutboxEvent.dispatched_at.is_(None))
                                   .order_by(OutboxEvent.id)))
    for event in pending:
        for handler in events.subscribers_of(event.topic):
            handler(session, event)
        event.dispatched_at = event.created_at
    session.flush()
    return len(pending)


INSURE_ON_SERVER = """
import sys
from datetime import date
from renshe.core import db, ids
from renshe.core.auth import SYSTEM
from renshe.registry import schemas, service as registry
from renshe.unemployment import demo_data

number = sys.argv[1]
with db.unit_of_work() as session:
    person = registry.find_by_id_number(session, id_number=number)
    first17 = "91" + person.residence_division + "MAUT00010"
    employer = registry.register_employer(session, actor=SYSTEM, data=schemas.EmployerIn(
        credit_code=first17 + ids.credit_code_check_character(first17), name="浏览器测试原单位有限公司",
        division_code=person.residence_division, legal_representative="测试法人"))
    relation = demo_data.insured_career(session, employer=employer, id_number=number, first=date(2024, 1, 1),
                                        last=date(2024, 12, 1), wage_fen=600000, today=date.today(),
                                        key="browser-" + person.public_id[:12])
    registry.end_employment(session, actor=SYSTEM, employer=employer, relation_id=relation.public_id,
                            end_date=date(2024, 12, 31))
    if len(sys.argv) > 2 and sys.argv[2] == "grant":
        from renshe.unemployment import service
        decision = service.check_claim(session, person=person, separation_date=date(2024, 12, 31),
                                       separation_reason="contract_expired", today=date.today())
        service.grant(session, actor=SYSTEM, person=person, decision=decision, separation_date=date(2024, 12, 31),
                      separation_reason="contract_expired", former_employer=employer.name,
                      application_number=None, today=date.today())
print("insured")
"""


def insure_on_server(*, log_file: Path, database_url: str, id_number: str, grant: bool = False) -> None:
    """Give a person of a live test server (tests/browser/conftest.py `serve_demo`) 12 months of 210 contributions
    and a separation reported by the employer, in the server's own database (a child process with its settings);
    with GRANT, also the benefit (its first month paid)."""
    from tests.browser.conftest import _server_environment

    env = _server_environment(log_file.parent, database_url)
    done = subprocess.run([sys.executable, "-c", INSURE_ON_SERVER, id_number, "grant" if grant else "-"],
                          env={**env, "PYTHONPATH": os.getcwd()}, cwd=log_file.parent, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode != 0 or "insured" not in done.stdout:
        raise AssertionError(f"could not insure {id_number} on the server: {done.stdout}\n{done.stderr}")
