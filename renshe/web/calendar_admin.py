"""The working-day calendar (工作日日历) for staff: the year view, the date N working days on, and
loading the State Council's holiday schedule for a year (administrators), as pages and JSON."""

from __future__ import annotations

import datetime as dt
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile, status
from pydantic import BaseModel, Field
from starlette.responses import Response

from renshe.core import workdays
from renshe.core.auth import Principal
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, require_kind, templates

api = APIRouter(prefix="/api/v1/calendar", tags=["calendar 工作日"])
pages = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Year = Annotated[int, Path(ge=1000, le=9999, description="公历年份", examples=[2027])]


class HolidayOut(BaseModel):
    date: dt.date
    weekday: str = Field(examples=["星期五"])
    name: str = Field(examples=["国庆节"])


class WorkdayOut(BaseModel):
    date: dt.date
    weekday: str = Field(examples=["星期六"])


class YearOut(BaseModel):
    year: int
    source: str = Field(description="loaded | chinese-calendar | provisional", examples=["provisional"])
    source_label: str
    provisional: bool = Field(description="按法定节假日推算、尚未载入国务院办公厅当年安排时为 true")
    note: str
    loaded_by: str | None
    loaded_at: datetime | None
    holidays: list[HolidayOut]
    workdays: list[WorkdayOut] = Field(description="调休上班日")


class AddWorkdaysOut(BaseModel):
    start: dt.date
    n: int
    date: dt.date = Field(description="起算日后第 n 个工作日（起算日不计入）")
    provisional: bool
    sources: list[str]


class HolidayIn(BaseModel):
    date: dt.date
    name: str = Field(min_length=1, max_length=40, examples=["春节"])


class ScheduleIn(BaseModel):
    """A year's schedule as the State Council's notice gives it."""

    year: int = Field(examples=[2027])
    source_note: str = Field(min_length=1, max_length=500,
                             examples=["国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕X号）"])
    holidays: list[HolidayIn] = Field(description="每个放假日期（含其中的周末）及节日名称")
    workdays: list[dt.date] = Field(default_factory=list, description="调休上班日（只能是周六或周日）")


def _weekday(day: date) -> str:
    return f"星期{workdays.WEEKDAY_NAMES[day.weekday()]}"


def year_out(schedule: workdays.YearSchedule) -> YearOut:
    return YearOut(
        year=schedule.year, source=schedule.source, source_label=workdays.SOURCE_LABELS[schedule.source],
        provisional=schedule.provisional, note=schedule.note, loaded_by=schedule.loaded_by,
        loaded_at=schedule.loaded_at,
        holidays=[HolidayOut(date=d, weekday=_weekday(d), name=n) for d, n in sorted(schedule.holidays.items())],
        workdays=[WorkdayOut(date=d, weekday=_weekday(d)) for d in sorted(schedule.workdays)],
    )


@api.get("/add-workdays", response_model=AddWorkdaysOut, summary="按工作日推算 The date N working days after start")
def add_workdays(session: DbSession, _principal: Staff, start: date,
                 n: Annotated[int, Query(ge=0, le=3650, description="工作日天数")]) -> AddWorkdaysOut:
    cal = workdays.calendar(session)
    result = cal.add_workdays(start, n)
    sources = sorted(cal.sources(start, result))
    return AddWorkdaysOut(start=start, n=n, date=result, provisional="provisional" in sources, sources=sources)


@api.get("/{year}", response_model=YearOut, summary="某年节假日安排 A year's holidays and adjusted workdays")
def year_view(year: Year, session: DbSession, _principal: Staff) -> YearOut:
    return year_out(workdays.calendar(session).schedule(year))


@api.post("/schedules", response_model=YearOut, status_code=status.HTTP_201_CREATED,
          summary="载入某年节假日安排 Load a year's schedule (administrators)")
def load_schedule(data: ScheduleIn, session: DbSession, principal: Staff) -> YearOut:
    workdays.load_schedule(session, actor=principal, year=data.year,
                           holidays=[(h.date, h.name) for h in data.holidays], workdays=data.workdays,
                           source_note=data.source_note)
    return year_out(workdays.calendar(session).schedule(data.year))


def _page(request: Request, session: DbSession, principal: Principal, *, year: int | None,
          status_code: int = 200, **context: Any) -> Response:
    shown = year or date.today().year
    try:
        schedule: workdays.YearSchedule | None = workdays.calendar(session).schedule(shown)
        year_error = None
    except DomainError as exc:
        schedule, year_error = None, exc.detail
    return templates.render(
        request, "staff_calendar.html", status_code=status_code, page_title="工作日日历", year=shown,
        schedule=year_out(schedule) if schedule else None, year_error=year_error,
        can_load=principal.has("calendar.manage"), json_format=workdays.SCHEDULE_FORMAT,
        csv_format=workdays.CSV_FORMAT, max_kb=workdays.MAX_FILE_BYTES // 1024, **context)


@pages.get("/staff/calendar")
def calendar_page(request: Request, session: DbSession, principal: Staff,
                  year: Annotated[int | None, Query(ge=1000, le=9999)] = None,
                  start: Annotated[date | None, Query()] = None,
                  n: Annotated[int | None, Query(ge=0, le=3650)] = None) -> Response:
    computed: dict[str, Any] | None = None
    compute_error = None
    if start is not None and n is not None:
        cal = workdays.calendar(session)
        try:
            result = cal.add_workdays(start, n)
            computed = {"start": start, "n": n, "date": result, "weekday": _weekday(result),
                        "provisional": "provisional" in cal.sources(start, result)}
        except DomainError as exc:
            compute_error = exc.detail
    return _page(request, session, principal, year=year, computed=computed, compute_error=compute_error,
                 start=start, n=n)


@pages.post("/staff/calendar")
def calendar_upload(request: Request, session: DbSession, principal: Staff,
                    file: Annotated[UploadFile | None, File()] = None,
                    year: Annotated[str, Form()] = "", source_note: Annotated[str, Form()] = "") -> Response:
    values = {"year": year, "source_note": source_note}
    errors: list[FieldError] = []
    if file is None or not file.filename:
        errors.append(FieldError("file", "renshe:workdays/no-file", "请选择节假日安排文件（.json 或 .csv）"))
    given_year: int | None = None
    if year.strip():
        if year.strip().isdigit():
            given_year = int(year.strip())
        else:
            errors.append(FieldError("year", "renshe:workdays/year", "年份应为四位数字，如 2027"))
    if errors or file is None:
        return _page(request, session, principal, year=given_year, status_code=422, errors=errors, values=values)
    try:
        parsed = workdays.parse_schedule(file.file.read(workdays.MAX_FILE_BYTES + 1), filename=file.filename or "",
                                         year=given_year, source_note=source_note.strip() or None)
        row = workdays.load_parsed(session, actor=principal, parsed=parsed)
    except DomainError as exc:
        if exc.status in (401, 403):
            raise
        return _page(request, session, principal, year=given_year, status_code=exc.status, values=values,
                     errors=exc.errors or [FieldError("file", exc.code, exc.detail)], detail=exc.detail)
    loaded = {"year": row.year, "holidays": len(row.holidays), "workdays": len(row.workdays)}
    return _page(request, session, principal, year=loaded["year"], loaded=loaded, values={})


# What the app factory mounts: the JSON routes and the pages.
router = APIRouter()
router.include_router(api)
router.include_router(pages)
