"""The e-SSC code: scanned once, then replayed; expired after the validity window (injected clock);
refused after a loss report; refused when forged (a changed byte, or another key's signature)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.card import rules, service
from renshe.card.models import ScanRecord, UsedCodeNonce
from renshe.core import crypto
from renshe.core.errors import DomainError
from renshe.core.settings import get_settings
from tests import factories
from tests.card import kit

T0 = datetime(2026, 11, 28, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def setup(session: Session):  # type: ignore[no-untyped-def]
    admin = kit.admin(session)
    person = factories.person(session, county="110105", name="王秀英")
    card = kit.active_card(session, admin, person)
    me = kit.citizen(person)
    service.issue_essc(session, actor=me)
    terminal, _secret = kit.terminal(session, admin)
    return admin, person, card, me, terminal


def _scan(session: Session, terminal, code: str, at: datetime) -> service.ScanOutcome:  # type: ignore[no-untyped-def]
    return service.scan(session, terminal=terminal, code=code, now=at)


def test_code_scans_once_then_replayed_and_both_are_logged(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    _admin, person, _card, me, terminal = setup
    code = service.issue_code(session, actor=me, now=T0).code
    first = _scan(session, terminal, code, T0 + timedelta(seconds=3))
    assert first.error is None
    assert first.answer is not None
    assert first.answer.holder.name == "王*英"
    assert first.answer.holder.id_number.count("*") == 8
    assert first.answer.allowed is True
    assert first.answer.scenario_label == "就医结算"
    again = _scan(session, terminal, code, T0 + timedelta(seconds=4))
    assert again.error is not None
    assert again.error.code == "renshe:card/code-replayed"
    rows = list(session.scalars(select(ScanRecord).where(ScanRecord.person_id == person.id).order_by(ScanRecord.id)))
    assert [(r.result, r.reason) for r in rows] == [("accepted", None), ("refused", "renshe:card/code-replayed")]
    history = service.scan_history(session, actor=me)
    assert [h.result for h in history] == ["refused", "accepted"]
    assert history[0].terminal == "测试医院挂号窗口"


def test_code_expires_after_the_window(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    *_rest, me, terminal = setup
    seconds = get_settings().essc_code_seconds
    assert seconds == 60
    code = service.issue_code(session, actor=me, now=T0).code
    late = _scan(session, terminal, code, T0 + timedelta(seconds=seconds))
    assert late.error is not None
    assert late.error.code == "renshe:card/code-expired"
    assert late.record.person_id is not None  # the holder sees the refused attempt too
    fresh = service.issue_code(session, actor=me, now=T0).code
    assert _scan(session, terminal, fresh, T0 + timedelta(seconds=seconds - 1)).error is None
    # a code dated in the future (beyond clock skew) is not accepted either
    future = service.issue_code(session, actor=me, now=T0 + timedelta(minutes=5)).code
    assert _scan(session, terminal, future, T0).error.code == "renshe:card/code-expired"  # type: ignore[union-attr]


def test_validity_is_configurable(session: Session, setup, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    *_rest, me, terminal = setup
    monkeypatch.setenv("RENSHE_ESSC_CODE_SECONDS", "30")
    get_settings.cache_clear()
    try:
        code = service.issue_code(session, actor=me, now=T0)
        assert code.expires_at - code.issued_at == timedelta(seconds=30)
        assert _scan(session, terminal, code.code, T0 + timedelta(seconds=31)).error.code == (  # type: ignore[union-attr]
            "renshe:card/code-expired")
    finally:
        monkeypatch.delenv("RENSHE_ESSC_CODE_SECONDS")
        get_settings.cache_clear()


def test_the_expiry_travels_signed_in_the_code(session: Session, setup,  # type: ignore[no-untyped-def]
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The scanner applies the expiry written in the code, not its own setting (docs/formats.md)."""
    *_rest, me, terminal = setup
    code = service.issue_code(session, actor=me, now=T0)  # 60 s
    assert rules.decode_code(code.code)[0].expires_at == code.expires_at == T0 + timedelta(seconds=60)
    monkeypatch.setenv("RENSHE_ESSC_CODE_SECONDS", "600")  # a scanner configured differently
    get_settings.cache_clear()
    try:
        assert _scan(session, terminal, code.code, T0 + timedelta(seconds=61)).error.code == (  # type: ignore[union-attr]
            "renshe:card/code-expired")
        longer = service.issue_code(session, actor=me, now=T0)
        assert _scan(session, terminal, longer.code, T0 + timedelta(seconds=300)).error is None
    finally:
        monkeypatch.delenv("RENSHE_ESSC_CODE_SECONDS")
        get_settings.cache_clear()


def test_loss_report_refuses_every_code_of_the_card(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    admin, _person, card, me, terminal = setup
    codes = [service.issue_code(session, actor=me, now=T0 + timedelta(seconds=i)).code for i in range(3)]
    service.move(session, actor=me, card=card, action="report_loss")
    for code in codes:
        outcome = _scan(session, terminal, code, T0 + timedelta(seconds=10))
        assert outcome.error is not None
        assert outcome.error.code == "renshe:card/card-lost"
    # a lost card shows no new code either
    with pytest.raises(DomainError) as caught:
        service.issue_code(session, actor=me, now=T0)
    assert caught.value.code == "renshe:card/card-lost"
    # the refused codes did not use up their nonces: after release a not-yet-expired one works
    assert session.scalar(select(func.count(UsedCodeNonce.id))) == 0
    service.move(session, actor=admin, card=card, action="release")
    assert _scan(session, terminal, codes[2], T0 + timedelta(seconds=20)).error is None


def test_replaced_card_refuses_old_codes(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    admin, _person, card, me, terminal = setup
    code = service.issue_code(session, actor=me, now=T0).code
    service.replace_card(session, actor=admin, card=card, reason="卡片损坏")
    outcome = _scan(session, terminal, code, T0 + timedelta(seconds=1))
    assert outcome.error is not None
    assert outcome.error.code == "renshe:card/card-cancelled"


def _flip(code: str, index: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(code[4:] + "=" * (-len(code[4:]) % 4)))
    raw[index] ^= 0x01
    return code[:4] + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("index", [0, 2, 5, 20, 23, 30, 31, 60, 94])
def test_a_changed_byte_is_forged(session: Session, setup, index: int) -> None:  # type: ignore[no-untyped-def]
    *_rest, me, terminal = setup
    code = service.issue_code(session, actor=me, now=T0).code
    outcome = _scan(session, terminal, _flip(code, index), T0 + timedelta(seconds=1))
    assert outcome.error is not None
    assert outcome.error.code == "renshe:card/code-forged"
    assert outcome.record.result == "refused"
    # and the genuine code is still good: the forgery consumed nothing
    assert _scan(session, terminal, code, T0 + timedelta(seconds=2)).error is None


def test_a_code_signed_with_another_key_is_forged(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    *_rest, me, terminal = setup
    genuine = service.issue_code(session, actor=me, now=T0).code
    body, _signed, _signature = rules.decode_code(genuine)
    other = Ed25519PrivateKey.generate()
    forged_body = rules.CodeBody(body.key_id, body.reference, body.issued_at, body.expires_at, b"\x07" * 8)
    forged = rules.encode_code(forged_body, other.sign(forged_body.pack()))
    assert _scan(session, terminal, forged, T0 + timedelta(seconds=1)).error.code == (  # type: ignore[union-attr]
        "renshe:card/code-forged")
    unknown_kid = rules.CodeBody(999, body.reference, body.issued_at, body.expires_at, b"\x08" * 8)
    assert _scan(session, terminal, rules.encode_code(unknown_kid, other.sign(unknown_kid.pack())),
                 T0 + timedelta(seconds=1)).error.code == "renshe:card/code-forged"  # type: ignore[union-attr]
    for garbage in ("", "hello", "SSC1", "SSC1!!!!", "SSC1" + "A" * 127):
        assert _scan(session, terminal, garbage, T0).error.code == "renshe:card/code-forged"  # type: ignore[union-attr]


def test_code_carries_no_id_number_and_fits_a_small_qr(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    import segno

    _admin, person, _card, me, _terminal = setup
    issued = service.issue_code(session, actor=me, now=T0)
    number = crypto.cipher().decrypt(person.id_number_encrypted, purpose="person.id_number")
    body, _signed, _sig = rules.decode_code(issued.code)
    assert number not in issued.code
    assert number.encode() not in body.pack()
    assert len(issued.code) == 136  # 99 bytes: the 35-byte body (with its expiry) and the signature
    assert segno.make(issued.code, error="m").version <= 8  # 49 x 49 modules


def test_rotated_key_still_verifies_old_codes(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    admin, *_rest, me, terminal = setup
    old = service.issue_code(session, actor=me, now=T0).code
    new_kid = service.rotate_key(session, actor=admin)
    new = service.issue_code(session, actor=me, now=T0).code
    assert rules.decode_code(new)[0].key_id == new_kid != rules.decode_code(old)[0].key_id
    assert _scan(session, terminal, old, T0 + timedelta(seconds=1)).error is None
    assert _scan(session, terminal, new, T0 + timedelta(seconds=1)).error is None


def test_purge_forgets_only_expired_nonces(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    *_rest, me, terminal = setup
    early = service.issue_code(session, actor=me, now=T0).code
    late = service.issue_code(session, actor=me, now=T0 + timedelta(seconds=50)).code
    assert _scan(session, terminal, early, T0 + timedelta(seconds=1)).error is None
    assert _scan(session, terminal, late, T0 + timedelta(seconds=51)).error is None
    assert service.purge_used_nonces(session, now=T0 + timedelta(seconds=70)) == 1
    # the purged code is refused anyway, as expired; the kept one as replayed
    assert _scan(session, terminal, early, T0 + timedelta(seconds=70)).error.code == "renshe:card/code-expired"  # type: ignore[union-attr]
    assert _scan(session, terminal, late, T0 + timedelta(seconds=70)).error.code == "renshe:card/code-replayed"  # type: ignore[union-attr]


def test_scenario_rules(session: Session, setup) -> None:  # type: ignore[no-untyped-def]
    admin, _person, _card, me, _terminal = setup
    elsewhere, _ = kit.terminal(session, admin, scenario="hrss-payment", division="110108", name="海淀缴费窗口")
    code = service.issue_code(session, actor=me, now=T0).code
    ok = _scan(session, elsewhere, code, T0 + timedelta(seconds=1))
    assert ok.answer is not None
    assert ok.answer.allowed is True  # same province
    service.set_scenario(session, actor=admin, code="hrss-payment", enabled=False)
    refused = _scan(session, elsewhere, service.issue_code(session, actor=me, now=T0).code, T0)
    assert refused.answer is not None
    assert refused.answer.allowed is False
    assert "未开通" in (refused.answer.reason or "")
    assert service.scenario_allowed(session, scenario="transport", card_division="110105",
                                    terminal_division="310101") == (True, "同城待遇")
    assert service.scenario_allowed(session, scenario="benefit-payment", card_division="110105",
                                    terminal_division="310101")[0] is False
