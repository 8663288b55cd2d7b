"""Helpers of the card tests: a card taken through its lifecycle by the real service functions."""

from __future__ import annotations

from sqlalchemy.orm import Session
from stdnum import luhn

from renshe.card import service
from renshe.card.models import Card, Terminal
from renshe.card.schemas import TerminalIn
from renshe.core.auth import Principal
from renshe.registry.models import Person
from tests import factories

_accounts = iter(range(10**9, 10**10))


def bank_account(bin_prefix: str = "621226") -> str:
    body = f"{bin_prefix}{next(_accounts):012d}"
    return body + luhn.calc_check_digit(body)


def citizen(person: Person) -> Principal:
    return Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                     division_code=person.residence_division)


def clerk(session: Session, username: str = "card-clerk", division: str = "110105") -> Principal:
    return factories.staff_user(session, username=username, roles=("clerk",), division=division)


def admin(session: Session, username: str = "card-admin", division: str = "110000") -> Principal:
    return factories.staff_user(session, username=username, roles=("admin",), division=division)


def produced_card(session: Session, actor: Principal, person: Person, bank: str = "ICBC") -> Card:
    card = service.apply_for_card(session, actor=actor, person=person, bank_code=bank)
    batch = service.create_batch(session, actor=actor, maker="测试制卡厂")
    service.mark_batch_produced(session, actor=actor, batch=batch, accounts=[
        (c.public_id, bank_account()) for c in service.batch_cards(session, batch) if c.status == "in_production"])
    session.refresh(card)
    return card


def active_card(session: Session, actor: Principal, person: Person) -> Card:
    card = produced_card(session, actor, person)
    service.move(session, actor=actor, card=card, action="issue")
    service.move(session, actor=actor, card=card, action="activate")
    return card


def terminal(session: Session, actor: Principal, *, scenario: str = "medical-settlement",
             division: str = "110105", name: str = "测试医院挂号窗口") -> tuple[Terminal, str]:
    return service.register_terminal(session, actor=actor, data=TerminalIn(name=name, scenario=scenario,
                                                                           division_code=division))
