"""The pure rules of 转移接续: the move decision (第五条), the benefit place (第六条), the step limits (第八条)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.core import workdays
from renshe.transfer import rules

PROVINCES = st.sampled_from(["110000", "330000", "440000", "510000"])
places = st.lists(st.builds(rules.Place, PROVINCES, st.integers(0, 400), st.booleans()), min_size=1, max_size=6)


def test_men_from_fifty_and_women_from_forty_keep_the_relation_outside_their_registration_place() -> None:
    on = date(2026, 6, 1)
    man = rules.move_decision(sex="male", birth=date(1976, 6, 1), on=on, new_place="110000",
                              registration_place="330106")
    assert man.kind == "temporary"
    assert "第五条" in man.source
    younger = rules.move_decision(sex="male", birth=date(1976, 6, 2), on=on, new_place="110000",
                                  registration_place="330106")
    assert younger.kind == "transfer"
    woman = rules.move_decision(sex="female", birth=date(1986, 6, 1), on=on, new_place="110000",
                                registration_place="330106")
    assert woman.kind == "temporary"
    home = rules.move_decision(sex="female", birth=date(1960, 1, 1), on=on, new_place="330000",
                               registration_place="330106")
    assert home.kind == "transfer"


@settings(deadline=None)  # a shared 2-core machine: time is not what these tests check
@given(st.sampled_from(["male", "female"]), st.dates(date(1950, 1, 1), date(2005, 12, 31)))
def test_the_relation_always_moves_to_the_registration_place(sex: str, birth: date) -> None:
    decision = rules.move_decision(sex=sex, birth=birth, on=date(2026, 1, 1), new_place="440000",
                                   registration_place="440103")
    assert decision.kind == "transfer"


def test_benefit_place_items_of_article_six() -> None:
    home = "330106"
    assert rules.benefit_place(places=[rules.Place("110000", 200), rules.Place("330000", 10)],
                               registration_place=home).rule == 1
    assert rules.benefit_place(places=[rules.Place("330000", 10), rules.Place("110000", 120)],
                               registration_place=home) == rules.BenefitPlace("110000", 2, "在关系所在地累计缴费满10年",
                                                                             "国办发〔2009〕66号第六条")
    back = rules.benefit_place(places=[rules.Place("440000", 130), rules.Place("110000", 60)], registration_place=home)
    assert (back.place, back.rule) == ("440000", 3)
    none = rules.benefit_place(places=[rules.Place("440000", 100), rules.Place("110000", 60)], registration_place=home)
    assert (none.place, none.rule) == (home, 4)
    # A temporary account's place is never the relation's place.
    temp = rules.benefit_place(places=[rules.Place("440000", 130), rules.Place("110000", 200, temporary=True)],
                               registration_place=home)
    assert (temp.place, temp.rule) == ("440000", 2)


@settings(deadline=None)  # a shared 2-core machine: time is not what these tests check
@given(places, PROVINCES)
def test_benefit_place_is_a_relation_place_or_the_registration_place(history: list[rules.Place], home: str) -> None:
    found = rules.benefit_place(places=history, registration_place=home)
    relation = [p for p in history if not p.temporary]
    assert found.place in {p.code for p in relation} | {home}
    if found.rule in (2, 3):
        assert sum(p.months for p in relation if p.code == found.place) >= 120
    if relation and relation[-1].code[:2] == home[:2]:
        assert found.rule == 1


@settings(deadline=None)  # a shared 2-core machine: time is not what these tests check
@given(places, PROVINCES)
def test_ten_years_at_the_current_place_keep_the_benefit_there(history: list[rules.Place], home: str) -> None:
    current = rules.Place("510000" if home[:2] != "51" else "440000", 120)
    found = rules.benefit_place(places=[*history, current], registration_place=home)
    assert found.place == current.code


@settings(deadline=None)  # a shared 2-core machine: time is not what these tests check
@given(st.dates(date(2024, 1, 1), date(2026, 12, 31)), st.sampled_from(list(rules.STEP_LIMITS)))
def test_each_step_takes_fifteen_working_days(start: date, step: str) -> None:
    calendar = workdays.calendar()
    found = rules.step_deadline(step, start, calendar.add_workdays)
    assert found.workdays == 15
    assert found.due > start
    assert calendar.is_workday(found.due)
    assert found.due - start >= timedelta(days=15)
    assert "国办发〔2009〕66号第八条" in found.source
