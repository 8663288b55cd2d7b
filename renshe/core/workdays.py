"""Working days (工作日): statutory holidays (法定节假日), adjusted workdays (调休上班) and time limits.

Time limits in the service hall, overdue supervision and rectification deadlines count working days:
weekends and holidays excluded, adjusted weekend workdays included. Where the answer for a year comes
from (first match wins):

1. ``loaded``: a schedule an administrator loaded for that year from the State Council's notice
   (国务院办公厅关于某年部分节假日安排的通知), with `load_schedule` (the `renshe calendar load` command,
   the /staff/calendar page or ``POST /api/v1/calendar/schedules``). An explicitly loaded year wins even
   over chinese-calendar's official data, so a correction or a newly published notice takes effect at
   once; loading is audited.
2. ``chinese-calendar``: the official schedules bundled with the chinese-calendar package (version
   1.11.0 knows 2004-2026; it raises NotImplementedError for any other year).
3. ``provisional``: for a year up to 2099 that neither of the above knows, a calendar built from the
   statutory holidays of 《全国年节及纪念日放假办法》 as amended in 2024 (in force 2025-01-01): 元旦 1 day
   (1 January), 春节 4 days (除夕 to 正月初三), 清明节 1 day (the Qingming solar term, 4 or 5 April),
   劳动节 2 days (1-2 May), 端午节 1 day (五月初五), 中秋节 1 day (八月十五), 国庆节 3 days (1-3 October).
   A holiday that falls on a weekend is NOT moved to a weekday, and no adjusted workday (调休) is
   guessed: the State Council decides those each year. Where two festivals fall on one day (中秋 on
   1-3 October) the day counts once. Such answers are marked: `DayInfo.source == "provisional"`.

Years that none of them covers raise `UnsupportedYear` (a 422 problem, exit 1 in the CLI).
"""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core import audit, events
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import DomainError, FieldError, Forbidden, ValidationFailed
from renshe.core.models import WorkingDaySchedule

Source = Literal["chinese-calendar", "loaded", "provisional"]
SOURCE_LABELS: dict[str, str] = {
    "loaded": "管理员载入的国务院办公厅节假日安排",
    "chinese-calendar": "国务院办公厅节假日安排（chinese-calendar 内置）",
    "provisional": "按法定节假日推算（暂定，国务院办公厅当年安排未载入）",
}
ADJUSTED_WORKDAY = "调休上班"
WEEKDAY_NAMES = "一二三四五六日"

LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)
PROVISIONAL_LAST_YEAR = 2099  # the end of the lunar festival table below
LOADABLE_YEARS = range(2004, 2200)
MAX_FILE_BYTES = 256 * 1024

_LIBRARY_NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

# Gregorian dates (MM-DD) of 除夕 (the last day of the twelfth lunar month), 端午 (五月初五) and 中秋
# (八月十五), 2004-2099, decoded from the lunar month table that Chinese calendar software widely ships
# (1900-2100, said to follow the Hong Kong Observatory's conversion tables; e.g. the `lunarInfo` table of
# jjonline/calendar.js). Checked when this table was made against an independent computation of new
# moons and solar terms in UTC+8 (Meeus, Astronomical Algorithms, ch. 25 and 49): every date agrees
# except in 2033, 2034 and 2053, where a leap eleventh month (the "2033 problem") breaks the simple
# month rule that computation used; there the table's dates are kept (中秋 2033-09-08, 除夕 2034-02-18,
# 除夕 2053-02-18) without a second source. The Qingming term comes from chinese-calendar's solar
# terms, which agreed with the same computation for every year. tests/core/test_workdays.py checks
# 2008-2026 against chinese-calendar's official holidays.
_LUNAR_FESTIVALS = """
    2004 01-21 06-22 09-28   2005 02-08 06-11 09-18   2006 01-28 05-31 10-06
    2007 02-17 06-19 09-25   2008 02-06 06-08 09-14   2009 01-25 05-28 10-03
    2010 02-13 06-16 09-22   2011 02-02 06-06 09-12   2012 01-22 06-23 09-30
    2013 02-09 06-12 09-19   2014 01-30 06-02 09-08   2015 02-18 06-20 09-27
    2016 02-07 06-09 09-15   2017 01-27 05-30 10-04   2018 02-15 06-18 09-24
    2019 02-04 06-07 09-13   2020 01-24 06-25 10-01   2021 02-11 06-14 09-21
    2022 01-31 06-03 09-10   2023 01-21 06-22 09-29   2024 02-09 06-10 09-17
    2025 01-28 05-31 10-06   2026 02-16 06-19 09-25   2027 02-05 06-09 09-15
    2028 01-25 05-28 10-03   2029 02-12 06-16 09-22   2030 02-02 06-05 09-12
    2031 01-22 06-24 10-01   2032 02-10 06-12 09-19   2033 01-30 06-01 09-08
    2034 02-18 06-20 09-27   2035 02-07 06-10 09-16   2036 01-27 05-30 10-04
    2037 02-14 06-18 09-24   2038 02-03 06-07 09-13   2039 01-23 05-27 10-02
    2040 02-11 06-14 09-20   2041 01-31 06-03 09-10   2042 01-21 06-22 09-28
    2043 02-09 06-11 09-17   2044 01-29 05-31 10-05   2045 02-16 06-19 09-25
    2046 02-05 06-08 09-15   2047 01-25 05-29 10-04   2048 02-13 06-15 09-22
    2049 02-01 06-04 09-11   2050 01-22 06-23 09-30   2051 02-10 06-13 09-19
    2052 01-31 06-01 09-07   2053 02-18 06-20 09-26   2054 02-07 06-10 09-16
    2055 01-27 05-30 10-05   2056 02-14 06-17 09-24   2057 02-03 06-06 09-13
    2058 01-23 06-25 10-02   2059 02-11 06-14 09-21   2060 02-01 06-03 09-09
    2061 01-20 06-22 09-28   2062 02-08 06-11 09-17   2063 01-28 06-01 10-06
    2064 02-16 06-19 09-25   2065 02-04 06-08 09-15   2066 01-25 05-28 10-03
    2067 02-13 06-16 09-23   2068 02-02 06-04 09-11   2069 01-22 06-23 09-29
    2070 02-10 06-13 09-19   2071 01-30 06-02 09-08   2072 02-18 06-20 09-26
    2073 02-06 06-10 09-16   2074 01-26 05-30 10-05   2075 02-14 06-17 09-24
    2076 02-04 06-06 09-12   2077 01-23 06-24 10-01   2078 02-11 06-14 09-20
    2079 02-01 06-04 09-10   2080 01-21 06-22 09-28   2081 02-08 06-11 09-17
    2082 01-28 06-01 10-06   2083 02-16 06-19 09-26   2084 02-05 06-07 09-14
    2085 01-25 05-27 10-03   2086 02-13 06-15 09-22   2087 02-02 06-05 09-11
    2088 01-23 06-23 09-29   2089 02-09 06-13 09-18   2090 01-29 06-02 09-08
    2091 02-17 06-21 09-27   2092 02-06 06-09 09-16   2093 01-26 05-29 10-05
    2094 02-14 06-17 09-24   2095 02-04 06-06 09-13   2096 01-24 06-24 09-30
    2097 02-11 06-14 09-20   2098 01-31 06-04 09-09   2099 01-20 06-23 09-29
"""


def _lunar_table() -> dict[int, tuple[date, date, date]]:
    tokens = _LUNAR_FESTIVALS.split()
    table: dict[int, tuple[date, date, date]] = {}
    for i in range(0, len(tokens), 4):
        year = int(tokens[i])
        eve, dragon, moon = (date.fromisoformat(f"{year}-{t}") for t in tokens[i + 1:i + 4])
        table[year] = (eve, dragon, moon)
    return table


LUNAR_FESTIVALS = _lunar_table()


class UnsupportedYear(DomainError):
    def __init__(self, year: int) -> None:
        super().__init__(
            "renshe:workdays/unsupported-year",
            f"{year}年不在工作日日历范围内：内置与推算的日历覆盖{LIBRARY_YEARS.start}—{PROVISIONAL_LAST_YEAR}年，"
            "其他年份须由管理员载入当年节假日安排", 422, "年份超出范围")


@dataclass(frozen=True)
class DayInfo:
    """One day's answer: working day or not, the holiday's name (or 调休上班), and where it came from."""

    day: date
    workday: bool
    name: str | None
    source: Source

    @property
    def provisional(self) -> bool:
        return self.source == "provisional"

    def describe(self) -> str:
        """A Chinese sentence for people: the date, the weekday, what kind of day and the source."""
        if self.name == ADJUSTED_WORKDAY:
            kind = "调休上班（工作日）"
        elif self.name:
            kind = f"{self.name}放假（休息日）"
        else:
            kind = "工作日" if self.workday else "周末（休息日）"
        weekday = WEEKDAY_NAMES[self.day.weekday()]
        return f"{self.day.isoformat()} 星期{weekday}：{kind}；依据：{SOURCE_LABELS[self.source]}"


@dataclass(frozen=True)
class YearSchedule:
    """A year's named rest days and adjusted workdays; any other weekday works, any other weekend rests."""

    year: int
    source: Source
    holidays: Mapping[date, str]
    workdays: frozenset[date]
    note: str
    loaded_by: str | None = None
    loaded_at: datetime | None = None

    @property
    def provisional(self) -> bool:
        return self.source == "provisional"

    def info(self, day: date) -> DayInfo:
        if day in self.workdays:
            return DayInfo(day, True, ADJUSTED_WORKDAY, self.source)
        name = self.holidays.get(day)
        if name is not None:
            return DayInfo(day, False, name, self.source)
        return DayInfo(day, day.weekday() < 5, None, self.source)


def _library_schedule(year: int) -> YearSchedule:
    holidays = {day: _LIBRARY_NAMES.get(name, name) for day, name in chinese_calendar.holidays.items()
                if day.year == year}
    workdays = frozenset(day for day in chinese_calendar.workdays if day.year == year)
    return YearSchedule(year, "chinese-calendar", holidays, workdays,
                        f"国务院办公厅关于{year}年部分节假日安排的通知（chinese-calendar 内置数据）")


def _qingming(year: int) -> date:
    terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 30))
    found: date = next(day for day, name in terms if name == "清明")
    return found


def provisional_schedule(year: int) -> YearSchedule:
    """The statutory holidays of the 2024 rules for YEAR: no weekend moved, no adjusted workday guessed."""
    if year not in LUNAR_FESTIVALS:
        raise UnsupportedYear(year)
    eve, dragon_boat, mid_autumn = LUNAR_FESTIVALS[year]
    named: dict[date, list[str]] = {}
    festivals = [(date(year, 1, 1), "元旦"), *((eve + timedelta(days=i), "春节") for i in range(4)),
                 (_qingming(year), "清明节"), (date(year, 5, 1), "劳动节"), (date(year, 5, 2), "劳动节"),
                 (dragon_boat, "端午节"), (mid_autumn, "中秋节"), *((date(year, 10, d), "国庆节") for d in (1, 2, 3))]
    for day, name in festivals:
        named.setdefault(day, []).append(name)
    return YearSchedule(year, "provisional", {day: "、".join(names) for day, names in sorted(named.items())},
                        frozenset(), "按《全国年节及纪念日放假办法》（2024年修订）推算的法定节假日；"
                        "国务院办公厅当年安排公布前为暂定：落在周末的节日不顺延，也不推测调休上班日")


@cache
def _built_in_schedule(year: int) -> YearSchedule:
    if year in LIBRARY_YEARS:
        return _library_schedule(year)
    if year > LIBRARY_YEARS.stop - 1 and year <= PROVISIONAL_LAST_YEAR:
        return provisional_schedule(year)
    raise UnsupportedYear(year)


def _plain_date(day: date) -> date:
    return day.date() if isinstance(day, datetime) else day


class WorkCalendar:
    """Answers working-day questions from loaded schedules, chinese-calendar and the provisional rules.

    Precedence per year: a schedule loaded by an administrator wins, even for a year chinese-calendar
    knows; otherwise chinese-calendar's official data (2004-2026); otherwise the provisional calendar
    (up to 2099). Build one with `calendar()`.
    """

    def __init__(self, loaded: Iterable[YearSchedule] = ()) -> None:
        self._years: dict[int, YearSchedule] = {s.year: s for s in loaded}

    def schedule(self, year: int) -> YearSchedule:
        """The schedule in force for YEAR; raises UnsupportedYear outside the covered years."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = _built_in_schedule(year)
        return found

    def explain(self, day: date) -> DayInfo:
        day = _plain_date(day)
        return self.schedule(day.year).info(day)

    def is_workday(self, day: date) -> bool:
        return self.explain(day).workday

    def add_workdays(self, start: date, n: int) -> date:
        """The date N working days after START (START itself not counted); N=0 gives START."""
        if n < 0:
            raise ValidationFailed([FieldError("n", "renshe:workdays/negative", "工作日天数不能为负数")])
        day = _plain_date(start)
        while n:
            day += timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (START, END]; negative when END is before START."""
        start, end = _plain_date(start), _plain_date(end)
        if end < start:
            return -self.workdays_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(days=i)))

    def sources(self, start: date, end: date) -> set[str]:
        """Where the answers for the days from START to END come from (to flag provisional results)."""
        first, last = sorted((_plain_date(start).year, _plain_date(end).year))
        return {self.schedule(year).source for year in range(first, last + 1)}


_BUILT_IN = WorkCalendar()
_cache: dict[tuple[str, int, str], WorkCalendar] = {}
_cache_lock = threading.Lock()


def _from_row(row: WorkingDaySchedule) -> YearSchedule:
    return YearSchedule(
        row.year, "loaded", {date.fromisoformat(h["date"]): h["name"] for h in row.holidays},
        frozenset(date.fromisoformat(d) for d in row.workdays), row.source_note, row.loaded_by, row.loaded_at)


def calendar(session: Session | None = None) -> WorkCalendar:
    """The working-day calendar; with a session, including the schedules loaded into that database.

    Cached: one small query per call checks whether the loaded schedules changed (another process may
    have loaded one), and `load_schedule` drops the cache in this process.
    """
    if session is None:
        return _BUILT_IN
    count, latest = session.execute(
        select(func.count(WorkingDaySchedule.id), func.max(WorkingDaySchedule.loaded_at))).one()
    if not count:
        return _BUILT_IN
    key = (str(session.get_bind().engine.url), int(count), str(latest))
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    built = WorkCalendar(_from_row(row) for row in session.scalars(select(WorkingDaySchedule)))
    with _cache_lock:
        if len(_cache) > 8:
            _cache.clear()
        _cache[key] = built
    return built


def invalidate() -> None:
    """Forget cached calendars (after a schedule was loaded)."""
    with _cache_lock:
        _cache.clear()


def _weekday(day: date) -> str:
    return f"星期{WEEKDAY_NAMES[day.weekday()]}"


def validate_schedule(
    *,
    year: int,
    holidays: Sequence[tuple[date, str]],
    workdays: Sequence[date],
    source_note: str,
    holiday_rows: Sequence[str] | None = None,
    workday_rows: Sequence[str] | None = None,
) -> list[FieldError]:
    """The rules a year's schedule must meet, one Chinese message per broken rule and row."""
    if year not in LOADABLE_YEARS:
        return [FieldError("year", "renshe:workdays/year",
                           f"年份须在{LOADABLE_YEARS.start}—{LOADABLE_YEARS.stop - 1}年之间")]
    errors: list[FieldError] = []
    if not source_note.strip():
        errors.append(FieldError("source_note", "renshe:workdays/source-note",
                                 "请注明依据，如国务院办公厅通知的名称和文号"))
    elif len(source_note.strip()) > 500:
        errors.append(FieldError("source_note", "renshe:workdays/source-note", "依据说明最多500个字"))
    if not holidays:
        errors.append(FieldError("holidays", "renshe:workdays/no-holidays", "至少要有一个放假日期"))
    seen: set[date] = set()
    for i, (day, name) in enumerate(holidays):
        where, row = f"holidays[{i}]", holiday_rows[i] if holiday_rows else f"放假日期第{i + 1}项"
        if day.year != year:
            errors.append(FieldError(where, "renshe:workdays/outside-year", f"{row}：{day} 不在{year}年内"))
        if not name.strip():
            errors.append(FieldError(where, "renshe:workdays/holiday-name", f"{row}：{day} 缺少节日名称"))
        elif len(name.strip()) > 40:
            errors.append(FieldError(where, "renshe:workdays/holiday-name", f"{row}：节日名称最多40个字"))
        if day in seen:
            errors.append(FieldError(where, "renshe:workdays/duplicate", f"{row}：放假日期 {day} 重复"))
        seen.add(day)
    seen_workdays: set[date] = set()
    for i, day in enumerate(workdays):
        where, row = f"workdays[{i}]", workday_rows[i] if workday_rows else f"调休上班日第{i + 1}项"
        if day.year != year:
            errors.append(FieldError(where, "renshe:workdays/outside-year", f"{row}：{day} 不在{year}年内"))
        if day.weekday() < 5:
            errors.append(FieldError(where, "renshe:workdays/not-weekend",
                                     f"{row}：{day} 是{_weekday(day)}，调休上班日只能是星期六或星期日"))
        if day in seen:
            errors.append(FieldError(where, "renshe:workdays/both",
                                     f"{row}：{day} 既是放假日期又是调休上班日"))
        if day in seen_workdays:
            errors.append(FieldError(where, "renshe:workdays/duplicate", f"{row}：调休上班日 {day} 重复"))
        seen_workdays.add(day)
    return errors


def _payload(row: WorkingDaySchedule) -> dict[str, Any]:
    return {"year": row.year, "source_note": row.source_note, "holidays": row.holidays, "workdays": row.workdays}


def load_schedule(
    session: Session,
    *,
    actor: Principal,
    year: int,
    holidays: Sequence[tuple[date, str]],
    workdays: Sequence[date],
    source_note: str,
    holiday_rows: Sequence[str] | None = None,
    workday_rows: Sequence[str] | None = None,
) -> WorkingDaySchedule:
    """Load YEAR's schedule (replacing one loaded before); administrators only, audited, all or nothing.

    From then on the loaded schedule decides YEAR, even where chinese-calendar has official data.
    `holiday_rows`/`workday_rows` name where each entry came from (e.g. a file's line) for the messages.
    """
    if actor.kind != "system" and not actor.has("calendar.manage"):
        raise Forbidden("只有管理员可以载入节假日安排", code="renshe:workdays/admin-only")
    errors = validate_schedule(year=year, holidays=holidays, workdays=workdays, source_note=source_note,
                               holiday_rows=holiday_rows, workday_rows=workday_rows)
    if errors:
        raise ValidationFailed(errors, detail=f"{year}年节假日安排有{len(errors)}处错误，未载入")
    row = session.scalar(select(WorkingDaySchedule).where(WorkingDaySchedule.year == year))
    before = _payload(row) if row is not None else None
    if row is None:
        row = WorkingDaySchedule(year=year)
        session.add(row)
    row.holidays = [{"date": day.isoformat(), "name": name.strip()} for day, name in sorted(holidays)]
    row.workdays = [day.isoformat() for day in sorted(workdays)]
    row.source_note = source_note.strip()
    row.loaded_by = actor.subject
    row.loaded_at = utcnow()
    session.flush()
    audit.record(session, actor=actor, action="calendar.schedule.load", entity_type="working_day_schedule",
                 entity_id=str(year), before=before, after=_payload(row))
    # Deadlines already computed for this year may move: whoever keeps them can listen for this.
    events.record_event(session, "calendar.schedule_loaded",
                        {"year": year, "holidays": len(row.holidays), "workdays": len(row.workdays)})
    invalidate()
    return row


@dataclass(frozen=True)
class ScheduleInput:
    """A schedule read from a file, with where each entry came from (for per-row messages)."""

    year: int
    holidays: list[tuple[date, str]]
    workdays: list[date]
    source_note: str
    holiday_rows: list[str]
    workday_rows: list[str]


SCHEDULE_FORMAT = """\
{
  "year": 2027,
  "source_note": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）",
  "holidays": [{"date": "2027-01-01", "name": "元旦"}, {"date": "2027-02-05", "name": "春节"}],
  "workdays": ["2027-02-20"]
}"""
CSV_FORMAT = "date,type,name\n2027-01-01,holiday,元旦\n2027-02-20,workday,\n"


def _decode(content: bytes) -> str:
    from renshe.core.tabular import decode_text  # the platform's one rule for uploaded text

    return decode_text(content)


def _date_or_error(value: object, row: str, field: str, errors: list[FieldError]) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    errors.append(FieldError(field, "renshe:workdays/date", f"{row}：日期“{value}”不是有效的 YYYY-MM-DD 日期"))
    return None


def parse_schedule(content: bytes, *, filename: str, year: int | None = None,
                   source_note: str | None = None) -> ScheduleInput:
    """Read a schedule file: JSON (see SCHEDULE_FORMAT) or CSV with the columns date,type,name.

    `year` and `source_note` given here fill in what the file leaves out (a CSV has neither); a year
    given both ways must agree. Raises ValidationFailed listing every bad row; the rules of the
    schedule itself are checked by `load_schedule`.
    """
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed([FieldError("file", "renshe:workdays/file-too-large", "文件过大（最多256 KB）")])
    text = _decode(content)
    errors: list[FieldError] = []
    holidays: list[tuple[date, str]] = []
    workdays: list[date] = []
    holiday_rows: list[str] = []
    workday_rows: list[str] = []
    file_year: object = None
    file_note: object = None
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed([FieldError("file", "renshe:workdays/json",
                                               f"JSON 格式有误：第{exc.lineno}行第{exc.colno}列")]) from None
        if not isinstance(data, dict):
            raise ValidationFailed([FieldError("file", "renshe:workdays/json", "文件内容应是一个 JSON 对象")])
        file_year, file_note = data.get("year"), data.get("source_note")
        raw_holidays, raw_workdays = data.get("holidays", []), data.get("workdays", [])
        if not isinstance(raw_holidays, list) or not isinstance(raw_workdays, list):
            raise ValidationFailed([FieldError("file", "renshe:workdays/json", "holidays 和 workdays 应是列表")])
        for i, item in enumerate(raw_holidays):
            row, field = f"holidays 第{i + 1}项", f"holidays[{i}]"
            if not isinstance(item, dict):
                errors.append(FieldError(field, "renshe:workdays/json",
                                         f"{row}：应写成 {{\"date\": \"YYYY-MM-DD\", \"name\": \"节日名称\"}}"))
                continue
            day = _date_or_error(item.get("date"), row, field, errors)
            name = item.get("name")
            if day is not None:
                holidays.append((day, name if isinstance(name, str) else ""))
                holiday_rows.append(row)
        for i, item in enumerate(raw_workdays):
            row, field = f"workdays 第{i + 1}项", f"workdays[{i}]"
            value = item.get("date") if isinstance(item, dict) else item
            day = _date_or_error(value, row, field, errors)
            if day is not None:
                workdays.append(day)
                workday_rows.append(row)
    else:
        reader = csv.reader(io.StringIO(text))
        header = [h.strip().lower() for h in next(reader, [])]
        columns = {"date": "date", "日期": "date", "type": "type", "类型": "type", "name": "name", "名称": "name"}
        index = {columns[h]: i for i, h in enumerate(header) if h in columns}
        if "date" not in index or "type" not in index:
            raise ValidationFailed([FieldError("file", "renshe:workdays/csv-header",
                                               "CSV 第1行应为表头 date,type,name（或 日期,类型,名称）")])
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            row = f"第{reader.line_num}行"
            field = f"line[{reader.line_num}]"

            def cell(name: str, cells: list[str] = cells) -> str:
                i = index.get(name)
                return cells[i].strip() if i is not None and i < len(cells) else ""

            day = _date_or_error(cell("date"), row, field, errors)
            kind = cell("type").lower()
            if kind in {"holiday", "放假", "休息"}:
                if day is not None:
                    holidays.append((day, cell("name")))
                    holiday_rows.append(row)
            elif kind in {"workday", "上班", "调休上班"}:
                if day is not None:
                    workdays.append(day)
                    workday_rows.append(row)
            else:
                errors.append(FieldError(field, "renshe:workdays/type",
                                         f"{row}：类型“{cell('type')}”应为 holiday（放假）或 workday（上班）"))
    resolved = _resolve_year(file_year, year, [d for d, _ in holidays] + workdays, errors)
    note = source_note if source_note is not None else file_note if isinstance(file_note, str) else ""
    if errors and resolved is not None:
        # Report the schedule's rules for the rows that could be read too, so one round of fixes suffices.
        errors += [e for e in validate_schedule(year=resolved, holidays=holidays, workdays=workdays, source_note=note,
                                                holiday_rows=holiday_rows, workday_rows=workday_rows)
                   if e.code != "renshe:workdays/no-holidays"]
    if errors or resolved is None:
        raise ValidationFailed(errors, detail=f"文件有{len(errors)}处错误，未载入")
    return ScheduleInput(resolved, holidays, workdays, note, holiday_rows, workday_rows)


def _resolve_year(in_file: object, given: int | None, days: list[date], errors: list[FieldError]) -> int | None:
    if in_file is not None and (isinstance(in_file, bool) or not isinstance(in_file, int)):
        errors.append(FieldError("year", "renshe:workdays/year", "year 应是四位数的年份，如 2027"))
        return None
    file_year = in_file if isinstance(in_file, int) else None
    if file_year is not None and given is not None and file_year != given:
        errors.append(FieldError("year", "renshe:workdays/year",
                                 f"文件中的年份 {file_year} 与指定的年份 {given} 不一致"))
        return None
    if given is not None:
        return given
    if file_year is not None:
        return file_year
    years = {d.year for d in days}
    if len(years) == 1:
        return years.pop()
    errors.append(FieldError("year", "renshe:workdays/year", "请指定年份（文件中的日期不在同一年，或没有日期）"))
    return None


def load_parsed(session: Session, *, actor: Principal, parsed: ScheduleInput) -> WorkingDaySchedule:
    """Load a schedule read by `parse_schedule`, naming the file's rows in any message."""
    return load_schedule(session, actor=actor, year=parsed.year, holidays=parsed.holidays,
                         workdays=parsed.workdays, source_note=parsed.source_note,
                         holiday_rows=parsed.holiday_rows, workday_rows=parsed.workday_rows)


def today() -> date:
    """Today in Asia/Shanghai, the day every deadline, expiry and "not in the future" check counts from
    (domains name it as their own `today`, so tests can replace it per module to move the clock)."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()
