"""Property tests of the pure card rules: card numbers, bank accounts, the code format, the state machine."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from renshe.card import rules

SERIALS = st.integers(min_value=1, max_value=len(rules.SERIES) * rules.SERIAL_SPACE - 1)


@given(SERIALS)
def test_card_numbers_round_trip_and_validate(serial: int) -> None:
    number = rules.card_number(serial)
    assert len(number) == 9
    assert rules.CARD_NUMBER.fullmatch(number)
    assert rules.is_valid_card_number(number)
    assert rules.serial_of(number) == serial


@given(SERIALS, st.integers(min_value=1, max_value=8), st.integers(min_value=1, max_value=9))
def test_one_changed_digit_breaks_the_card_number(serial: int, position: int, delta: int) -> None:
    number = rules.card_number(serial)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    assert not rules.is_valid_card_number(changed)


def test_card_number_format_examples() -> None:
    assert rules.card_number(1) == "A0000001" + rules.card_number(1)[-1]
    assert not rules.is_valid_card_number("I00000011")  # I and O are never series letters
    assert not rules.is_valid_card_number("A1234567")
    assert not rules.is_valid_card_number("a12345678x")


@given(st.from_regex(r"\A[0-9]{15,18}\Z"))
def test_bank_accounts_pass_with_their_luhn_digit_only(body: str) -> None:
    good = body + luhn.calc_check_digit(body)
    assert rules.bank_account_problem(good) is None
    bad = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
    assert rules.bank_account_problem(bad) == "银行卡号校验位不正确，请核对"


def test_bank_account_format() -> None:
    assert rules.bank_account_problem("1234") == "银行卡号应为16至19位数字"
    assert rules.bank_account_problem("6222abcd12345678") == "银行卡号应为16至19位数字"


@given(st.integers(min_value=0, max_value=65535), st.binary(min_size=16, max_size=16),
       st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=2**32 - 1),
       st.binary(min_size=8, max_size=8), st.binary(min_size=64, max_size=64))
def test_codes_round_trip(kid: int, reference: bytes, seconds: int, expires: int, nonce: bytes,
                          signature: bytes) -> None:
    body = rules.CodeBody(kid, reference, datetime.fromtimestamp(seconds, UTC), datetime.fromtimestamp(expires, UTC),
                          nonce)
    text = rules.encode_code(body, signature)
    decoded, signed, sig = rules.decode_code(text)
    assert decoded == body
    assert signed == body.pack()
    assert sig == signature
    assert len(text) == 136


@given(st.text(max_size=200))
def test_decoding_garbage_never_crashes(text: str) -> None:
    with contextlib.suppress(rules.MalformedCode):
        rules.decode_code(text)


@given(st.sampled_from(sorted(rules.STATUS_LABELS)), st.sampled_from(sorted(rules.TRANSITIONS)))
def test_state_machine_is_closed(status: str, name: str) -> None:
    transition = rules.transition_for(name, status)
    if status in rules.TERMINAL_STATES:
        assert transition is None  # nothing leaves a terminal state
    if transition is not None:
        assert transition.target in rules.STATUS_LABELS
        assert status in transition.sources


def test_money_formats_fen_as_yuan() -> None:
    assert rules.money(385000) == "3850.00"
    assert rules.money(5) == "0.05"
    assert rules.money(-101) == "-1.01"


def test_only_ascii_digits_count() -> None:
    assert rules.bank_account_problem("٠" * 16) == "银行卡号应为16至19位数字"
    assert not rules.is_valid_card_number("A" + "٠" * 8)
    assert rules.bank_account_problem(("6" * 15 + luhn.calc_check_digit("6" * 15)) + "\n") is not None
