"""The hall's clock and calendar: today in Asia/Shanghai and the working-day calendar.

Every sub-feature reads the date through `clock.today()`, so tests move one clock for the whole hall."""

from __future__ import annotations

import calendar as month_calendar
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from renshe.core import workdays

SHANGHAI = ZoneInfo("Asia/Shanghai")


today = workdays.today  # tests replace it to move the clock


def local_date(value: datetime) -> date:
    """The date of VALUE in Asia/Shanghai."""
    return value.astimezone(SHANGHAI).date()


def calendar(session: Session) -> Any:
    """The working-day calendar (holidays and adjusted working days) of `core.workdays`."""
    return workdays.calendar(session)


def add_months(day: date, months: int) -> date:
    """DAY moved by MONTHS calendar months, clamped to the last day of a shorter month."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, month_calendar.monthrange(year, month)[1]))
