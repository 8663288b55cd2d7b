"""Whatever a person or program types into a calculator, the answer is a result or a refusal with a stable
code naming a field: never another exception (which the API would turn into a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.core.errors import DomainError
from renshe.pension import rules, schemas

TEXT = st.one_of(st.none(), st.text(max_size=12),
                 st.from_regex(r"\A-?[0-9]{1,9}(\.[0-9]{0,6})?([eE][-+]?[0-9]{1,6})?\Z"),
                 st.sampled_from(["NaN", "Infinity", "-0", "1e999999", "60y13m", "70y1m", "１２", "1965-00"]))


def _answer_or_refusal(compute: Any, prefix: str = "renshe:pension/") -> None:
    refusal = None
    try:
        compute()
    except DomainError as exc:
        refusal = exc
    if refusal is not None:
        assert refusal.status == 422
        assert refusal.code.startswith(prefix)
        assert refusal.errors
        assert all(e.code.startswith(prefix) and e.field and e.message for e in refusal.errors)


@settings(max_examples=150, deadline=None)
@given(TEXT, TEXT, TEXT, TEXT, TEXT, TEXT, TEXT)
def test_calculate_never_fails_otherwise(wage: str | None, index: str | None, months: str | None,
                                         balance: str | None, age: str | None, deemed: str | None,
                                         coefficient: str | None) -> None:
    data = schemas.CalculateIn(average_wage=wage, index=index, months=months, account_balance=balance, age=age,
                               deemed_months=deemed, transitional_coefficient=coefficient)
    _answer_or_refusal(lambda: schemas.calculate_answer(data))


@settings(max_examples=150, deadline=None)
@given(TEXT, st.one_of(TEXT, st.sampled_from(["male", "female", "男", "女"])), TEXT, TEXT, TEXT)
def test_retirement_age_never_fails_otherwise(birth: str | None, sex: str | None, original: str | None,
                                              requested: str | None, months: str | None) -> None:
    data = schemas.RetirementAgeIn(birth=birth, sex=sex, original_age=original, requested_month=requested,
                                   contribution_months=months)
    _answer_or_refusal(lambda: schemas.retirement_answer(schemas.read_retirement(data)))


@settings(max_examples=150, deadline=None)
@given(TEXT, TEXT, TEXT)
def test_divisor_transfer_and_surcharge_never_fail_otherwise(first: str | None, second: str | None,
                                                            third: str | None) -> None:
    _answer_or_refusal(lambda: schemas.divisor_answer(schemas.DivisorIn(age=first)))
    _answer_or_refusal(lambda: schemas.transfer_answer(schemas.TransferIn(monthly_base=first, months=second,
                                                                          year=third)))
    _answer_or_refusal(lambda: schemas.surcharge_answer(schemas.SurchargeIn(amount=first, days=second)),
                       prefix="renshe:insurance/")


def test_full_width_digits_are_refused_not_misread() -> None:
    with pytest.raises(rules.PensionRuleError):
        rules.parse_month("１９６５-01")
    with pytest.raises(rules.PensionRuleError):
        rules.parse_age("６０y")
