"""The month arithmetic of deemed periods, against a count month by month (hypothesis)."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from renshe.insurance.history import months_between

MONTHS = st.builds(lambda y, m: date(y, m, 1), st.integers(1950, 2030), st.integers(1, 12))


@given(MONTHS, MONTHS)
def test_months_between_counts_both_ends(start: date, end: date) -> None:
    if end < start:
        start, end = end, start
    counted, month = 0, start
    while month <= end:
        counted += 1
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    assert months_between(start, end) == counted
