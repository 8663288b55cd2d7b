"""The card lifecycle: allowed moves only, one live card per person (service and database), audit and
events for every move, batches that assign valid card numbers, bank accounts checked with Luhn."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.card import rules, service
from renshe.card.models import Card
from renshe.core import audit, crypto
from renshe.core.errors import DomainError, Forbidden, ValidationFailed
from renshe.core.models import OutboxEvent
from tests import factories
from tests.card import kit


def test_full_lifecycle_is_audited_and_evented(session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    card = kit.active_card(session, clerk, person)
    assert card.status == "active"
    number = crypto.cipher().decrypt(card.card_number_encrypted or b"", purpose=service.CARD_NUMBER_PURPOSE)
    assert rules.is_valid_card_number(number)
    assert card.card_number_masked == service.mask_card_number(number)
    account = crypto.cipher().decrypt(card.bank_account_encrypted or b"", purpose=service.BANK_PURPOSE)
    assert rules.bank_account_problem(account) is None
    assert card.bank_account_masked == crypto.mask_bank_account(account)
    history = [h.action for h in reversed(audit.history(session, entity_type="card", entity_id=card.public_id))]
    assert history == ["card.apply", "card.batch", "card.produce", "card.issue", "card.activate"]
    topics = list(session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic.startswith("card."))))
    for topic in ("card.applied", "card.batch", "card.produce", "card.issue", "card.activate", "card.batch_produced"):
        assert topic in topics
    assert audit.verify(session).ok
    out = service.card_out(session, card, actor=clerk)
    assert out.card_number == card.card_number_masked
    assert out.bank_account == card.bank_account_masked
    assert out.card_number_masked is out.bank_account_masked is True
    assert set(out.allowed_actions) == {"report_loss", "replace", "cancel"}


def test_disallowed_transitions_are_refused_with_a_clear_code(session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    card = service.apply_for_card(session, actor=clerk, person=person, bank_code="CCB")
    for action in ("issue", "activate", "report_loss", "release", "replace", "produce"):
        with pytest.raises(DomainError) as caught:
            service.move(session, actor=clerk, card=card, action=action, reason="测试原因")
        assert caught.value.code == "renshe:card/transition-not-allowed"
        assert caught.value.status == 409
        assert "已申请" in caught.value.detail
    service.move(session, actor=clerk, card=card, action="cancel", reason="本人撤回申请")
    assert card.status == "cancelled"
    assert card.live_person_id is None
    with pytest.raises(DomainError) as caught:
        service.move(session, actor=clerk, card=card, action="cancel", reason="再次注销")
    assert caught.value.code == "renshe:card/transition-not-allowed"
    with pytest.raises(DomainError) as unknown:
        service.move(session, actor=clerk, card=card, action="explode")
    assert unknown.value.code == "renshe:card/unknown-action"


def test_one_live_card_per_person_in_the_service(session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    card = kit.active_card(session, clerk, person)
    with pytest.raises(DomainError) as caught:
        service.apply_for_card(session, actor=kit.citizen(person), person=person, bank_code="ICBC")
    assert caught.value.code == "renshe:card/already-has-card"
    service.move(session, actor=kit.citizen(person), card=card, action="report_loss")
    with pytest.raises(DomainError):
        service.apply_for_card(session, actor=clerk, person=person, bank_code="ICBC")
    new = service.replace_card(session, actor=clerk, card=card, reason="遗失补卡")
    assert card.status == "replaced"
    assert new.status == "applied"
    assert new.replaces_id == card.id
    assert service.live_card(session, person) is new


def test_one_live_card_per_person_in_the_database(session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    service.apply_for_card(session, actor=clerk, person=person, bank_code="ICBC")
    duplicate = Card(person_id=person.id, live_person_id=person.id, status="applied", channel="window",
                     issuing_division="110105", bank_code="ICBC", applied_by="x")
    savepoint = session.begin_nested()
    session.add(duplicate)
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
    # terminal cards do not count: any number of them may exist
    for _ in range(2):
        session.add(Card(person_id=person.id, live_person_id=None, status="cancelled", channel="window",
                         issuing_division="110105", bank_code="ICBC", applied_by="x"))
    session.flush()


def test_jurisdiction_and_channels(session: Session) -> None:
    clerk = kit.clerk(session)
    elsewhere = factories.person(session, county="110108")
    with pytest.raises(Forbidden):
        service.apply_for_card(session, actor=clerk, person=elsewhere, bank_code="ICBC")
    reviewer = factories.staff_user(session, username="rv", roles=("reviewer",), division="110105")
    mine = factories.person(session, county="110105")
    with pytest.raises(Forbidden):
        service.apply_for_card(session, actor=reviewer, person=mine, bank_code="ICBC")
    online = service.apply_for_card(session, actor=kit.citizen(mine), person=mine, bank_code="BOC")
    assert online.channel == "online"
    with pytest.raises(Forbidden):
        service.apply_for_card(session, actor=kit.citizen(mine), person=elsewhere, bank_code="BOC")
    with pytest.raises(Forbidden) as window_only:
        service.move(session, actor=kit.citizen(mine), card=online, action="cancel")
    assert window_only.value.code == "renshe:card/window-only"
    with pytest.raises(ValidationFailed):
        service.apply_for_card(session, actor=clerk, person=factories.person(session), bank_code="NOPE")


def test_batch_is_whole_or_nothing(session: Session) -> None:
    clerk = kit.clerk(session)
    people = [factories.person(session, county="110105") for _ in range(3)]
    cards = [service.apply_for_card(session, actor=clerk, person=p, bank_code="ICBC") for p in people]
    batch = service.create_batch(session, actor=clerk, maker="某制卡厂")
    assert batch.card_count == 3
    assert {c.status for c in cards} == {"in_production"}
    serials = sorted(c.serial or 0 for c in cards)
    assert serials == list(range(serials[0], serials[0] + 3))
    with pytest.raises(DomainError) as empty:
        service.create_batch(session, actor=clerk, maker="某制卡厂")
    assert empty.value.code == "renshe:card/nothing-to-batch"
    good = kit.bank_account()
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    with pytest.raises(ValidationFailed) as caught:
        service.mark_batch_produced(session, actor=clerk, batch=batch, accounts=[
            (cards[0].public_id, good), (cards[1].public_id, bad)])
    fields = {e.field: e.code for e in caught.value.errors}
    assert fields == {"cards[1].bank_account": "renshe:card/bank-account", "cards": "renshe:card/missing-rows"}
    assert {c.status for c in cards} == {"in_production"}  # nothing applied
    service.mark_batch_produced(session, actor=clerk, batch=batch,
                                accounts=[(c.public_id, kit.bank_account()) for c in cards])
    assert {c.status for c in cards} == {"produced"}
    assert batch.status == "produced"
    with pytest.raises(DomainError):
        service.mark_batch_produced(session, actor=clerk, batch=batch, accounts=[])


def test_unmask_needs_the_grant_and_is_audited(session: Session) -> None:
    from renshe.core import staff
    from renshe.core.auth import SYSTEM

    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    card = kit.active_card(session, clerk, person)
    with pytest.raises(Forbidden):
        service.card_out(session, card, actor=clerk, unmask=True)
    staff.grant(session, actor=SYSTEM, username=clerk.subject, permission="pii.unmask", reason="核对卡号")
    out = service.card_out(session, card, actor=clerk, unmask=True)
    assert out.card_number is not None
    assert rules.is_valid_card_number(out.card_number)
    assert out.bank_account is not None
    assert rules.bank_account_problem(out.bank_account) is None
    assert audit.history(session, entity_type="card", entity_id=card.public_id)[0].action == "card.unmask"


def test_card_status_answers_the_sharing_resource(session: Session) -> None:
    from renshe.sharing import service as sharing

    assert "ssc-status" in sharing.answerable()
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose="person.id_number")
    assert sharing.query_person(session, short_name="ssc-status", id_number=number) == {
        "found": True, "card_status": "none", "card_status_label": "未申领", "essc_status": "none"}
    kit.active_card(session, clerk, person)
    service.issue_essc(session, actor=kit.citizen(person))
    answer = sharing.query_person(session, short_name="ssc-status", id_number=number)
    assert answer["card_status"] == "active"
    assert answer["essc_status"] == "active"
    assert set(answer) == {"found", "card_status", "card_status_label", "essc_status"}


def test_essc_needs_an_active_card_and_is_one_per_card(session: Session) -> None:
    clerk = kit.clerk(session)
    person = factories.person(session, county="110105")
    me = kit.citizen(person)
    card = kit.produced_card(session, clerk, person)
    with pytest.raises(DomainError) as caught:
        service.issue_essc(session, actor=me)
    assert caught.value.code == "renshe:card/no-active-card"
    service.move(session, actor=clerk, card=card, action="issue")
    service.move(session, actor=clerk, card=card, action="activate")
    essc = service.issue_essc(session, actor=me)
    with pytest.raises(DomainError) as twice:
        service.issue_essc(session, actor=me)
    assert twice.value.code == "renshe:card/essc-exists"
    service.move(session, actor=clerk, card=card, action="cancel", reason="本人申请注销")
    session.refresh(essc)
    assert essc.status == "revoked"
