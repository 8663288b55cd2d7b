"""The column check of resident ID numbers gives, row for row, what the per-row check gives."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.core import divisions, idcolumns, ids

TODAY = dt.date(2026, 6, 15)
COUNTIES = [d.code for d in divisions.all_divisions() if d.level == "county" and not divisions.is_placeholder(d)]
ABOLISHED = [d.code for d in divisions.all_divisions()
             if d.level == "county" and not divisions.is_placeholder(d) and not d.current]
OTHER_CODES = [d.code for d in divisions.all_divisions() if d.level != "county" or divisions.is_placeholder(d)]


def per_row(value: str) -> tuple[str | None, str | None]:
    try:
        return None, ids.parse_resident_id(value, today=TODAY).number
    except ids.IdentifierError as exc:
        return exc.code, None


def with_check(first17: str) -> str:
    return first17 + ids.resident_id_check_character(first17)


areas = st.one_of(st.sampled_from(COUNTIES), st.sampled_from(ABOLISHED), st.sampled_from(OTHER_CODES),
                  st.from_regex(r"[0-9]{6}", fullmatch=True))
dates = st.one_of(
    st.dates(dt.date(1870, 1, 1), dt.date(2030, 12, 31)).map(lambda d: f"{d:%Y%m%d}"),
    st.from_regex(r"[0-9]{8}", fullmatch=True),  # month 13, 30 February, 0000 ...
    st.sampled_from(["20000229", "19000229", "20260615", "20260616", "18791231", "18800101"]))
valid_shaped = st.builds(lambda a, d, s: with_check(f"{a}{d}{s:03d}"), areas, dates, st.integers(0, 999))


@st.composite
def corrupted(draw: st.DrawFn) -> str:
    number = draw(valid_shaped)
    how = draw(st.sampled_from(["none", "check", "lower", "drop", "add", "space", "letter", "x-inside",
                                "full-width", "empty"]))
    at = draw(st.integers(0, 17))
    if how == "check":
        return number[:17] + draw(st.sampled_from("0123456789X"))
    if how == "lower":
        return number.lower() if number.endswith("X") else number[:17] + "x"
    if how == "drop":
        return number[:at] + number[at + 1:]
    if how == "add":
        return number[:at] + draw(st.sampled_from("0123456789X")) + number[at:]
    if how == "space":
        return number[:at] + " " + number[at:]
    if how == "letter":
        return number[:at] + draw(st.sampled_from("AaBzx-")) + number[at + 1:]
    if how == "x-inside":
        return number[:at] + "X" + number[at + 1:]
    if how == "full-width":
        return number[:at] + chr(0xFF10 + int(number[at]) if number[at].isdigit() else 0xFF38) + number[at + 1:]
    if how == "empty":
        return ""
    return number


@settings(max_examples=300, deadline=None)
@given(st.lists(corrupted(), min_size=1, max_size=40))
def test_column_agrees_with_the_per_row_check(values: list[str]) -> None:
    checked = idcolumns.check_column(values, today=TODAY)
    for row, value in enumerate(values):
        code, number = per_row(value)
        assert checked.code(row) == code, value
        if code is None:
            assert checked.numbers[row] == number


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(ABOLISHED), st.integers(1880, 2026), st.integers(0, 999))
def test_historical_area_codes_follow_the_birth_year(area: str, year: int, sequence: int) -> None:
    number = with_check(f"{area}{year}0101{sequence:03d}")
    assert idcolumns.check_column([number], today=TODAY).code(0) == per_row(number)[0]


def test_examples() -> None:
    values = ["11010519491231002X", "11010519491231002x", "110105194912310021", "11010519491231002",
              "1101051949123100XX", "110105194913310021", "999999194912310021", "110100194912310021",
              "11010520991231002X", ""]
    checked = idcolumns.check_column(values, today=TODAY)
    assert [checked.code(i) for i in range(len(values))] == [
        None, None, "renshe:id-number/check-character", "renshe:id-number/length",
        "renshe:id-number/characters", "renshe:id-number/birth-date", "renshe:id-number/area-code",
        "renshe:id-number/area-code", "renshe:id-number/birth-date", "renshe:id-number/length"]
    assert checked.numbers[1] == "11010519491231002X"
    assert list(checked.bad_rows()) == [2, 3, 4, 5, 6, 7, 8, 9]


def test_a_large_column_is_checked_without_the_per_row_path(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def per_row_path(value: str, today: dt.date) -> tuple[int, str]:
        raise AssertionError(f"{value} went through the per-row check")

    monkeypatch.setattr(idcolumns, "_one", per_row_path)
    good = [with_check(f"110105{1950 + i % 50}0101{i % 1000:03d}") for i in range(20_000)]
    good[7] = good[7].lower()
    bad = [*good[:9], good[9][:17] + ("0" if good[9][17] != "0" else "1")]
    assert not idcolumns.check_column(good, today=TODAY).bad_rows().size
    assert idcolumns.check_column(bad, today=TODAY).code(9) == "renshe:id-number/check-character"
