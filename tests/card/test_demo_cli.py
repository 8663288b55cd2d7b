"""The demo gives people active cards in bulk; the CLI reports a person's card status."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.card import rules, service
from renshe.card.models import Card, ElectronicCard
from renshe.cli import app
from renshe.core import crypto
from tests import factories


def test_seed_demo_cards_are_valid_and_unique(session: Session) -> None:
    people = [factories.person(session, county="110105") for _ in range(5)]
    assert service.seed_demo(session, count=3) == 4
    cards = list(session.scalars(select(Card).order_by(Card.id)))
    assert [c.person_id for c in cards] == [p.id for p in people[:4]]
    cipher = crypto.cipher()
    for card in cards:
        assert card.status == "active"
        assert rules.is_valid_card_number(cipher.decrypt(card.card_number_encrypted or b"",
                                                         purpose=service.CARD_NUMBER_PURPOSE))
        assert rules.bank_account_problem(cipher.decrypt(card.bank_account_encrypted or b"",
                                                         purpose=service.BANK_PURPOSE)) is None
    assert session.scalar(select(func.count(ElectronicCard.id))) == 1
    result = CliRunner().invoke(app, ["card", "status", cipher.decrypt(people[0].id_number_encrypted,
                                                                       purpose="person.id_number")])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"card_status": "active", "card_status_label": "正常（已启用）",
                                         "essc_status": "active"}
    missing = CliRunner().invoke(app, ["card", "status", factories.resident_id("110105")])
    assert missing.exit_code == 1
