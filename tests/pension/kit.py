"""Retirees for the pension tests: a person with a working life of contributions in the ledger (through
the ledger's own declaration, assessment, receipts and posting), an active social security card, the
hall's catalog, and the staff who decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal
from renshe.hall.applications import service as hall
from renshe.hall.catalog import service as catalog
from renshe.hall.models import Application
from renshe.pension import demo_data
from renshe.registry.models import Person
from tests import factories
from tests.card import kit as card_kit
from tests.insurance import kit

TODAY = date(2026, 12, 2)
FORM = {"identity": "male", "retirement_mode": "statutory", "retirement_date": "2025-02-01", "bank": "ICBC",
        "bank_account": "6222020200112233445", "pledge": True}


@dataclass
class Retiree:
    person: Person
    citizen: Principal


def retiree(session: Session, *, birth: date = date(1965, 1, 10), male: bool = True, first: date = date(2009, 1, 1),
            last: date = date(2024, 12, 1), wage_fen: int = 800000, card: bool = True, name: str = "退休甲",
            wages_since: date = date(2005, 1, 1)) -> Retiree:
    """A person of 110105 with contributions every month from FIRST to LAST at WAGE_FEN (average wage
    10,000 since WAGES_SINCE), and an active card."""
    if not session.info.get("wages"):
        kit.average_wage(session, since=wages_since)
        demo_data.earlier_rules(session, province=kit.BEIJING, since=wages_since)
        session.info["wages"] = True
    person = factories.person(session, birth=birth, male=male, name=name, phone="13912345678")
    employer = factories.employer(session, name=f"{name}原单位有限公司")
    number = demo_data_id(session, person)
    demo_data.career(session, employer=employer, id_number=number, first=first, last=last,
                     wages_fen=dict.fromkeys(range(first.year, last.year + 1), wage_fen), today=TODAY,
                     key=f"t-{person.public_id[:10]}")
    if card:
        admin = session.info.get("card_admin") or card_kit.admin(session)
        session.info["card_admin"] = admin
        card_kit.active_card(session, admin, person)
    return Retiree(person, kit.citizen_of(person.public_id, person.name))


def demo_data_id(session: Session, person: Person) -> str:
    from renshe.core import crypto
    from renshe.registry import service as registry
    return crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)


def staff(session: Session) -> tuple[Principal, Principal]:
    clerk = factories.staff_user(session, username="pension-clerk", roles=("clerk",), division="110105")
    reviewer = factories.staff_user(session, username="pension-reviewer", roles=("reviewer",), division="110105")
    return clerk, reviewer


def load_catalog(session: Session) -> None:
    catalog.load_catalog(session, actor=SYSTEM)


def apply(session: Session, who: Retiree, **changes: object) -> Application:
    return hall.submit(session, actor=who.citizen, item_code="retirement", data={**FORM, **changes})


def decide(session: Session, application: Application, clerk: Principal, reviewer: Principal) -> Application:
    hall.act(session, actor=clerk, application=application, action="accept")
    hall.act(session, actor=reviewer, application=application, action="review")
    return hall.act(session, actor=reviewer, application=application, action="approve", reason="符合退休条件")
