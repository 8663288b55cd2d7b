from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.core import audit, workdays
from renshe.core.auth import SYSTEM
from renshe.core.errors import Forbidden, ValidationFailed
from renshe.core.models import OutboxEvent, WorkingDaySchedule
from tests import factories

TODAY = date(2026, 11, 28)
CAL = workdays.calendar()

# A made-up 2027 schedule for the tests (the real notice is whatever the State Council publishes).
SCHEDULE_2027 = {
    "year": 2027,
    "holidays": [(date(2027, 10, d), "国庆节") for d in range(1, 8)] + [(date(2027, 1, 1), "元旦")],
    "workdays": [date(2027, 9, 26), date(2027, 10, 9)],
    "source_note": "测试用：假定的2027年安排",
}


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_national_day_2026_with_the_adjusted_saturday() -> None:
    # 2026: 10-01..10-07 off (chinese-calendar 1.11, 国办发明电〔2025〕7号), Saturday 10-10 is worked.
    assert CAL.add_workdays(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert CAL.explain(date(2026, 10, 1)) == workdays.DayInfo(date(2026, 10, 1), False, "国庆节", "chinese-calendar")
    adjusted = CAL.explain(date(2026, 10, 10))
    assert (adjusted.workday, adjusted.name, adjusted.provisional) == (True, "调休上班", False)
    assert CAL.workdays_between(date(2026, 9, 30), date(2026, 10, 13)) == 5
    assert CAL.add_workdays(date(2026, 9, 30), 0) == date(2026, 9, 30)


def test_library_years_answer_exactly_as_chinese_calendar() -> None:
    assert (workdays.LIBRARY_YEARS.start, workdays.LIBRARY_YEARS.stop) == (2004, 2027)
    for day in days(date(2004, 1, 1), date(2026, 12, 31)):
        info = CAL.explain(day)
        assert info.workday == chinese_calendar.is_workday(day), day
        assert info.source == "chinese-calendar"


def test_lunar_table_agrees_with_the_official_holidays_2008_to_2026() -> None:
    # 端午 and 中秋 became public holidays in 2008; 春节 (the day after 除夕) always was one. chinese-calendar
    # leaves out some weekend days of a break (2012-06-23), so a day must be off and, where named, rightly named.
    names = chinese_calendar.holidays
    for year in range(2008, 2027):
        eve, dragon_boat, mid_autumn = workdays.LUNAR_FESTIVALS[year]
        expected = [(eve + timedelta(days=1), {"Spring Festival"}), (dragon_boat, {"Dragon Boat Festival"}),
                    (mid_autumn, {"Mid-autumn Festival", "National Day"})]
        for day, allowed in expected:
            assert not chinese_calendar.is_workday(day), day
            assert names.get(day, next(iter(allowed))) in allowed, day


def test_lunar_table_dates_stay_in_their_seasons() -> None:
    assert set(workdays.LUNAR_FESTIVALS) == set(range(2004, 2100))
    for year, (eve, dragon_boat, mid_autumn) in workdays.LUNAR_FESTIVALS.items():
        assert date(year, 1, 20) <= eve <= date(year, 2, 19), year
        assert date(year, 5, 26) <= dragon_boat <= date(year, 6, 25), year
        assert date(year, 9, 7) <= mid_autumn <= date(year, 10, 8), year
        # 五月初五 to 八月十五: three lunar months and ten days, four months after a leap month between.
        assert (mid_autumn - dragon_boat).days in {*range(97, 101), *range(126, 131)}, year
    assert workdays.LUNAR_FESTIVALS[2027] == (date(2027, 2, 5), date(2027, 6, 9), date(2027, 9, 15))
    assert workdays.LUNAR_FESTIVALS[2033][2] == date(2033, 9, 8)  # the "2033 problem" year
    assert workdays.LUNAR_FESTIVALS[2034][0] == date(2034, 2, 18)


def test_provisional_rules_match_the_official_2025_and_2026_weekday_holidays() -> None:
    # The 2024 rules apply from 2025: every statutory weekday holiday they give is off in the real schedule.
    for year in (2025, 2026):
        provisional = workdays.provisional_schedule(year)
        assert len(provisional.holidays) == 13
        for day in provisional.holidays:
            if day.weekday() < 5:
                assert not chinese_calendar.is_workday(day), day


def test_provisional_2027_is_marked_and_moves_nothing() -> None:
    spring = CAL.explain(date(2027, 2, 8))  # 正月初三, a Monday
    assert (spring.workday, spring.name, spring.source, spring.provisional) == (False, "春节", "provisional", True)
    assert "暂定" in spring.describe()
    assert CAL.explain(date(2027, 4, 5)).name == "清明节"
    # 劳动节 2027 falls on Saturday and Sunday: not moved to Monday, no adjusted workday guessed.
    assert CAL.explain(date(2027, 5, 1)).name == "劳动节"
    assert CAL.is_workday(date(2027, 5, 3))
    assert not CAL.schedule(2027).workdays
    assert CAL.add_workdays(date(2027, 9, 30), 5) == date(2027, 10, 8)
    assert CAL.schedule(2028).holidays[date(2028, 10, 3)] == "中秋节、国庆节"  # counted once


def test_every_day_from_today_to_the_end_of_next_year_has_an_answer() -> None:
    seen = {"chinese-calendar": 0, "provisional": 0}
    for day in days(TODAY, date(TODAY.year + 1, 12, 31)):
        info = CAL.explain(day)
        assert info.day == day
        seen[info.source] += 1
        assert CAL.add_workdays(day, 10) > day
    assert seen == {"chinese-calendar": 34, "provisional": 365}


def test_years_beyond_the_data_are_refused_clearly() -> None:
    for year in (2003, 2100):
        with pytest.raises(workdays.UnsupportedYear) as raised:
            CAL.is_workday(date(year, 6, 1))
        assert raised.value.code == "renshe:workdays/unsupported-year"
        assert f"{year}年" in raised.value.detail
    with pytest.raises(ValidationFailed):
        CAL.add_workdays(TODAY, -1)


@settings(max_examples=150, deadline=None)
@given(start=st.dates(date(2004, 1, 1), date(2098, 1, 1)), n=st.integers(0, 400), more=st.integers(1, 30))
def test_add_workdays_properties(start: date, n: int, more: int) -> None:
    end = CAL.add_workdays(start, n)
    if n >= 1:
        assert CAL.is_workday(end)
        assert end > start
    else:
        assert end == start
    assert CAL.workdays_between(start, end) == n
    assert CAL.workdays_between(end, start) == -n
    later = CAL.add_workdays(start, n + more)
    assert later > end
    assert CAL.workdays_between(end, later) == more


@settings(max_examples=100, deadline=None)
@given(a=st.dates(date(2020, 1, 1), date(2030, 12, 31)), b=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
       c=st.dates(date(2020, 1, 1), date(2030, 12, 31)))
def test_workdays_between_adds_up(a: date, b: date, c: date) -> None:
    assert CAL.workdays_between(a, b) + CAL.workdays_between(b, c) == CAL.workdays_between(a, c)


def test_a_loaded_schedule_changes_the_answers(session: Session) -> None:
    assert workdays.calendar(session) is CAL
    assert CAL.is_workday(date(2027, 10, 4))
    admin = factories.staff_user(session, username="cal-admin", roles=("admin",), division="110000")
    row = workdays.load_schedule(session, actor=admin, **SCHEDULE_2027)  # type: ignore[arg-type]
    assert row.holidays[0] == {"date": "2027-01-01", "name": "元旦"}
    cal = workdays.calendar(session)
    assert cal is workdays.calendar(session)  # cached until the schedules change
    assert cal.explain(date(2027, 10, 4)) == workdays.DayInfo(date(2027, 10, 4), False, "国庆节", "loaded")
    assert cal.explain(date(2027, 10, 9)) == workdays.DayInfo(date(2027, 10, 9), True, "调休上班", "loaded")
    assert cal.add_workdays(date(2027, 9, 30), 5) == date(2027, 10, 13)
    assert cal.explain(date(2027, 2, 8)).workday  # the loaded notice, not the provisional rules, decides 2027
    assert cal.explain(date(2028, 1, 3)).source == "provisional"
    entry = audit.history(session, entity_type="working_day_schedule", entity_id="2027")[0]
    assert entry.action == "calendar.schedule.load"
    assert entry.actor == "cal-admin"
    assert entry.after is not None
    assert entry.after["workdays"] == ["2027-09-26", "2027-10-09"]
    topics = session.scalars(select(OutboxEvent.topic)).all()
    assert "calendar.schedule_loaded" in topics


def test_loading_again_replaces_and_a_loaded_year_beats_chinese_calendar(session: Session) -> None:
    workdays.load_schedule(session, actor=SYSTEM, **SCHEDULE_2027)  # type: ignore[arg-type]
    workdays.load_schedule(session, actor=SYSTEM, year=2027, holidays=[(date(2027, 1, 1), "元旦")], workdays=[],
                           source_note="更正")
    assert session.scalar(select(WorkingDaySchedule.source_note).where(WorkingDaySchedule.year == 2027)) == "更正"
    assert workdays.calendar(session).is_workday(date(2027, 10, 4))
    assert CAL.is_workday(date(2026, 10, 9))
    workdays.load_schedule(session, actor=SYSTEM, year=2026, holidays=[(date(2026, 10, 9), "国庆节")], workdays=[],
                           source_note="测试：管理员明确载入的安排优先")
    info = workdays.calendar(session).explain(date(2026, 10, 9))
    assert (info.workday, info.source) == (False, "loaded")
    # With the 2026 schedule loaded, 10-10 is an ordinary Saturday: the loaded notice is the whole truth.
    assert not workdays.calendar(session).is_workday(date(2026, 10, 10))


def test_a_year_no_built_in_source_covers_can_be_loaded(session: Session) -> None:
    workdays.load_schedule(session, actor=SYSTEM, year=2100, holidays=[(date(2100, 1, 1), "元旦")], workdays=[],
                           source_note="测试")
    cal = workdays.calendar(session)
    assert not cal.is_workday(date(2100, 1, 1))
    assert cal.is_workday(date(2100, 1, 4))


@pytest.mark.parametrize(("change", "code", "words"), [
    ({"holidays": [(date(2028, 1, 1), "元旦")]}, "renshe:workdays/outside-year", "不在2027年内"),
    ({"holidays": [(date(2027, 1, 1), " ")]}, "renshe:workdays/holiday-name", "缺少节日名称"),
    ({"holidays": [(date(2027, 1, 1), "元旦"), (date(2027, 1, 1), "元旦")]}, "renshe:workdays/duplicate", "重复"),
    ({"workdays": [date(2027, 10, 8)]}, "renshe:workdays/not-weekend", "只能是星期六或星期日"),
    ({"workdays": [date(2027, 10, 2)]}, "renshe:workdays/both", "既是放假日期又是调休上班日"),
    ({"source_note": ""}, "renshe:workdays/source-note", "请注明依据"),
    ({"holidays": []}, "renshe:workdays/no-holidays", "至少要有一个放假日期"),
    ({"year": 1999}, "renshe:workdays/year", "年份"),
])
def test_a_bad_schedule_is_refused_whole(session: Session, change: dict[str, object], code: str, words: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        workdays.load_schedule(session, actor=SYSTEM, **{**SCHEDULE_2027, **change})  # type: ignore[arg-type]
    assert [e.code for e in raised.value.errors] == [code]
    assert words in raised.value.errors[0].message
    assert session.scalar(select(WorkingDaySchedule)) is None
    assert workdays.calendar(session) is CAL


def test_only_administrators_load(session: Session) -> None:
    clerk = factories.staff_user(session, username="cal-clerk", roles=("clerk", "supervisor"))
    with pytest.raises(Forbidden):
        workdays.load_schedule(session, actor=clerk, **SCHEDULE_2027)  # type: ignore[arg-type]
    assert session.scalar(select(WorkingDaySchedule)) is None


def test_parse_json_and_csv_files() -> None:
    parsed = workdays.parse_schedule(workdays.SCHEDULE_FORMAT.encode(), filename="2027.json")
    assert parsed.year == 2027
    assert parsed.holidays == [(date(2027, 1, 1), "元旦"), (date(2027, 2, 5), "春节")]
    assert parsed.workdays == [date(2027, 2, 20)]
    assert "国办发明电" in parsed.source_note
    csv_text = "日期,类型,名称\n2027-01-01,放假,元旦\n\n2027-02-20,上班,\n"
    for encoding in ("utf-8", "utf-8-sig", "gb18030"):
        from_csv = workdays.parse_schedule(csv_text.encode(encoding), filename="a.csv", source_note="通知")
        assert (from_csv.year, from_csv.holidays, from_csv.workdays) == (
            2027, [(date(2027, 1, 1), "元旦")], [date(2027, 2, 20)])
        assert from_csv.workday_rows == ["第4行"]


def test_parse_reports_every_bad_row_in_chinese() -> None:
    bad = "date,type,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n2027-10-08,workday,\n2027-03-01,休假,x\n"
    with pytest.raises(ValidationFailed) as raised:
        workdays.parse_schedule(bad.encode(), filename="x.csv", year=2027, source_note="通知")
    messages = [e.message for e in raised.value.errors]
    assert messages == [
        "第3行：日期“2027-02-30”不是有效的 YYYY-MM-DD 日期",
        "第5行：类型“休假”应为 holiday（放假）或 workday（上班）",
        "第4行：2027-10-08 是星期五，调休上班日只能是星期六或星期日",
    ]
    with pytest.raises(ValidationFailed) as mismatch:
        workdays.parse_schedule(b'{"year": 2027, "holidays": []}', filename="y.json", year=2028)
    assert "不一致" in mismatch.value.errors[0].message
    with pytest.raises(ValidationFailed) as broken:
        workdays.parse_schedule(b'{"year": 2027,', filename="y.json")
    assert "JSON 格式有误" in broken.value.errors[0].message
    with pytest.raises(ValidationFailed) as header:
        workdays.parse_schedule(b"a,b\n1,2\n", filename="y.csv")
    assert "表头" in header.value.errors[0].message
    with pytest.raises(ValidationFailed):
        workdays.parse_schedule(b" " * (workdays.MAX_FILE_BYTES + 1), filename="big.json")


def test_a_parsed_file_names_its_rows_when_a_rule_breaks(session: Session) -> None:
    parsed = workdays.parse_schedule(
        b'{"year": 2027, "source_note": "n", "holidays": [{"date": "2027-01-01", "name": "\xe5\x85\x83\xe6\x97\xa6"}],'
        b' "workdays": ["2027-01-01"]}', filename="s.json")
    with pytest.raises(ValidationFailed) as raised:
        workdays.load_parsed(session, actor=SYSTEM, parsed=parsed)
    assert raised.value.errors[0].message == "workdays 第1项：2027-01-01 是星期五，调休上班日只能是星期六或星期日"
