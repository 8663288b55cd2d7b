from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from renshe import demo
from renshe.core import divisions, ids


def test_example_from_the_issue() -> None:
    person = ids.parse_resident_id("11010519491231002X")
    assert person.birth_date == dt.date(1949, 12, 31)
    assert person.sex == "2"
    assert person.birthplace == "北京市朝阳区"


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("110105194912310021", "check-character"),
        ("11010519491231002", "length"),
        ("1101051949123100XX", "characters"),
        ("110105194913310021", "birth-date"),
        ("999999194912310021", "area-code"),
        ("110100194912310021", "area-code"),  # a city code, not a county
    ],
)
def test_each_rule_is_named(value: str, rule: str) -> None:
    with pytest.raises(ids.IdentifierError) as caught:
        ids.parse_resident_id(value)
    assert caught.value.rule == rule
    assert caught.value.code == f"renshe:id-number/{rule}"
    assert caught.value.errors[0].field == "id_number"


def test_area_code_created_after_birth_is_accepted() -> None:
    """Numbers were assigned in 1984-85 from residence: a 1973 birth may carry a code created in 1983."""
    number = demo.resident_id("130402", dt.date(1973, 3, 1), 11)  # 邯山区, in force from 1983
    assert ids.parse_resident_id(number).area_code == "130402"


def test_area_code_abolished_before_birth_is_rejected() -> None:
    number = demo.resident_id("110103", dt.date(2012, 3, 1), 11)  # 崇文区, abolished 2010
    with pytest.raises(ids.IdentifierError) as caught:
        ids.parse_resident_id(number)
    assert caught.value.rule == "area-code"
    # born before the abolition: valid, and named as it was then
    older = ids.parse_resident_id(demo.resident_id("110103", dt.date(1990, 3, 1), 11))
    assert older.birthplace == "北京市崇文区"


def test_future_birth_date_is_rejected() -> None:
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    with pytest.raises(ids.IdentifierError) as caught:
        ids.parse_resident_id(demo.resident_id("110105", tomorrow, 11))
    assert caught.value.rule == "birth-date"


CURRENT_COUNTIES = [d.code for d in divisions.counties_of(divisions.MINISTRY)]


@given(
    county=st.sampled_from(CURRENT_COUNTIES),
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
)
def test_generated_numbers_round_trip(county: str, birth: dt.date, sequence: int) -> None:
    number = demo.resident_id(county, birth, sequence)
    parsed = ids.parse_resident_id(number)
    assert parsed.birth_date == birth
    assert parsed.sex == ("1" if sequence % 2 else "2")
    assert parsed.area_code == county


@given(
    county=st.sampled_from(CURRENT_COUNTIES),
    birth=st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2010, 12, 31)),
    sequence=st.integers(min_value=0, max_value=999),
    position=st.integers(min_value=0, max_value=17),
    replacement=st.sampled_from("0123456789X"),
)
def test_any_single_change_is_caught(county: str, birth: dt.date, sequence: int, position: int,
                                     replacement: str) -> None:
    """MOD 11-2 detects every single-character substitution."""
    number = demo.resident_id(county, birth, sequence)
    changed = number[:position] + replacement + number[position + 1:]
    if changed == number:
        return
    with pytest.raises(ids.IdentifierError):
        ids.parse_resident_id(changed)


def test_credit_code() -> None:
    code = ids.parse_credit_code("91110000600037341L")
    assert code.entity_type_label == "企业"
    assert code.area_name == "北京市"
    with pytest.raises(ids.IdentifierError) as caught:
        ids.parse_credit_code("91110000600037341M")
    assert caught.value.rule == "check-character"
    with pytest.raises(ids.IdentifierError) as caught:
        ids.parse_credit_code("91110000600037341I")
    assert caught.value.rule == "characters"
    with pytest.raises(ids.IdentifierError) as caught:
        ids.parse_credit_code("99110000600037341L")
    assert caught.value.rule == "entity-type"


@given(county=st.sampled_from(CURRENT_COUNTIES), seed=st.integers(min_value=0, max_value=10_000),
       position=st.integers(min_value=0, max_value=17), replacement=st.sampled_from(ids.USCC_ALPHABET))
def test_credit_code_single_change_is_caught(county: str, seed: int, position: int, replacement: str) -> None:
    import random

    code = demo.credit_code(random.Random(seed), county)
    assert ids.parse_credit_code(code).code == code
    changed = code[:position] + replacement + code[position + 1:]
    if changed == code:
        return
    with pytest.raises(ids.IdentifierError):
        ids.parse_credit_code(changed)


def test_division_tree() -> None:
    assert divisions.full_name("130402") == "河北省邯郸市邯山区"
    assert divisions.parent_of("130402") == "130400"
    assert divisions.parent_of("110105") == "110000"  # municipality: no prefecture level
    assert divisions.scope_prefix("130400") == "1304"
    assert divisions.scope_prefix(divisions.MINISTRY) == ""
    provinces = divisions.children(divisions.MINISTRY)
    assert len(provinces) == 34
    assert all(d.level == "county" for d in divisions.counties_of("130400"))
