"""Resident ID numbers (GB 11643) checked a whole column at a time, with numpy.

The rules and their stable codes are those of `ids.parse_resident_id`, in the same order (length,
characters, birth date, area code, check character), so a row gets the code the per-row check would
raise. Numbers of 18 ASCII characters from `0-9Xx` (nearly all of any real file) are checked as a
uint8 matrix; anything else (spaces, full-width digits, other lengths) goes through
`ids.parse_resident_id` itself, which compacts it the way stdnum does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from renshe.core import divisions, ids

OK = 0
RULES: tuple[str, ...] = (
    "",
    "renshe:id-number/length",
    "renshe:id-number/characters",
    "renshe:id-number/birth-date",
    "renshe:id-number/area-code",
    "renshe:id-number/check-character",
)
_LENGTH, _CHARACTERS, _BIRTH_DATE, _AREA_CODE, _CHECK = 1, 2, 3, 4, 5

_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)
_CHECK_CHARACTERS = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 0, 0, 0, 0, 0, 0, 0], dtype=np.int32)
_ZERO, _X, _LOWER_X = ord("0"), ord("X"), ord("x")
_ALLOWED = np.zeros(256, dtype=bool)
_ALLOWED[list(b"0123456789X")] = True


@dataclass(frozen=True)
class ColumnCheck:
    """`problems[i]` indexes `RULES` (0: the number is valid); `numbers[i]` is the canonical number of
    a valid row (a lowercase x upper-cased, stdnum's compaction applied); for an invalid row it is the
    input, possibly upper-cased, and means nothing."""

    numbers: list[str]
    problems: npt.NDArray[np.uint8]

    def code(self, row: int) -> str | None:
        return RULES[self.problems[row]] or None

    def bad_rows(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(self.problems)


@lru_cache
def _area_last_year() -> npt.NDArray[np.int16]:
    """For each 6-digit code, the last year it was in force (9999 while current), -1 if it is not a
    county-level code: a birth in year Y may carry the code if this is >= Y (`Division.existed_from`)."""
    table = np.full(1_000_000, -1, dtype=np.int16)
    for division in divisions.all_divisions():
        if division.level != "county" or divisions.is_placeholder(division):
            continue
        table[int(division.code)] = max(9999 if span.end_year is None else span.end_year for span in division.spans)
    return table


def _one(value: str, today: dt.date) -> tuple[int, str]:
    try:
        return OK, ids.parse_resident_id(value, today=today).number
    except ids.IdentifierError as exc:
        return RULES.index(exc.code), value


def check_matrix(chars: npt.NDArray[np.uint8], *, today: dt.date) -> npt.NDArray[np.uint8]:
    """The rule code of each row of an (n, 18) matrix of upper-case `0-9X` characters."""
    # one contiguous vector per character position: every step below is a flat vector operation
    digit = (chars.T.astype(np.int32) - _ZERO)  # X becomes 40; such rows fail `characters` first
    characters_bad = (digit[:17] == _X - _ZERO).any(axis=0)
    year = digit[6] * 1000 + digit[7] * 100 + digit[8] * 10 + digit[9]
    month = digit[10] * 10 + digit[11]
    day = digit[12] * 10 + digit[13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    days = _DAYS_IN_MONTH[np.clip(month, 0, 19)] + (leap & (month == 2))
    today_number = today.year * 10000 + today.month * 100 + today.day
    date_bad = ((month < 1) | (month > 12) | (day < 1) | (day > days) | (year < 1880)
                | (year * 10000 + month * 100 + day > today_number))
    area = digit[0] * 100000 + digit[1] * 10000 + digit[2] * 1000 + digit[3] * 100 + digit[4] * 10 + digit[5]
    area_bad = _area_last_year()[np.clip(area, 0, 999_999)] < year
    total = digit[0] * int(_WEIGHTS[0])
    for position in range(1, 17):
        total += digit[position] * int(_WEIGHTS[position])
    check_bad = _CHECK_CHARACTERS[total % 11] != chars[:, 17]
    problems = np.zeros(len(chars), dtype=np.uint8)
    # the last assignment wins, so assign in the reverse of the per-row check's order
    problems[check_bad] = _CHECK
    problems[area_bad] = _AREA_CODE
    problems[date_bad] = _BIRTH_DATE
    problems[characters_bad] = _CHARACTERS
    return problems


def check_column(values: Sequence[str], *, today: dt.date | None = None) -> ColumnCheck:
    """Check every resident ID number of a column; see `ColumnCheck`."""
    today = today or dt.date.today()
    count = len(values)
    numbers = list(values)
    problems = np.zeros(count, dtype=np.uint8)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=count)
    fast = np.flatnonzero(lengths == 18)
    subset = numbers if len(fast) == count else [numbers[i] for i in fast]
    joined = "".join(subset)
    if not joined.isascii():
        ascii_rows = np.fromiter(map(str.isascii, subset), dtype=bool, count=len(subset))
        fast = fast[ascii_rows]
        joined = "".join(numbers[i] for i in fast)
    chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, 18)
    lower = chars == _LOWER_X
    if lower.any():
        for i in fast[lower.any(axis=1)].tolist():
            numbers[i] = numbers[i].upper()
        chars = np.where(lower, np.uint8(_X), chars)
    plain = _ALLOWED[chars].all(axis=1)
    problems[fast[plain]] = check_matrix(chars[plain], today=today)
    slow = np.ones(count, dtype=bool)
    slow[fast[plain]] = False
    for i in np.flatnonzero(slow).tolist():
        problems[i], numbers[i] = _one(values[i], today)
    return ColumnCheck(numbers=numbers, problems=problems)
