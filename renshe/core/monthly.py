"""Monthly series for dashboards: the last N calendar months as `YYYY-MM`, and dated figures summed into
them. Domains group their rows by day or month in SQL (portable between SQLite and PostgreSQL) and bucket
them here, so a year is at most 366 rows read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def months_back(today: date, count: int) -> list[str]:
    """The COUNT months ending with TODAY's, oldest first: ["2026-01", …, "2026-12"]."""
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found[::-1]


def first_day(months: list[str]) -> date:
    """The first day of the oldest month of MONTHS."""
    year, month = months[0].split("-")
    return date(int(year), int(month), 1)


def by_month(rows: Iterable[tuple[date | str | None, int | None]], months: list[str]) -> list[int]:
    """Sum (day, value) rows into MONTHS; rows outside them are left out."""
    index = {m: i for i, m in enumerate(months)}
    values = [0] * len(months)
    for day, value in rows:
        if day is None:
            continue
        key = (day.isoformat() if isinstance(day, date) else str(day))[:7]
        if key in index:
            values[index[key]] += int(value or 0)
    return values
