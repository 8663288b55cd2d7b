"""Administrative divisions (GB/T 2260) with their code history.

The data is python-stdnum's `cn/loc` table (compiled from the published division code lists, one entry
per code with the years each name was in force), so the platform and the identifier checks read one
maintained source. A code is a province (`xx0000`), a prefecture-level city (`xxxx00`) or a county.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum import numdb

_SPAN = re.compile(r"^\[(\d{4})?-(\d{4})?\](.+)$")
# Placeholder rows in the lists that are not counties of their own.
_PLACEHOLDER_NAMES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
MINISTRY = "000000"


@dataclass(frozen=True)
class NameSpan:
    name: str
    start_year: int | None
    end_year: int | None

    def in_force_in(self, year: int) -> bool:
        return (self.start_year is None or self.start_year <= year) and (
            self.end_year is None or year <= self.end_year
        )


@dataclass(frozen=True)
class Division:
    code: str
    spans: tuple[NameSpan, ...]

    @property
    def level(self) -> str:
        return level_of(self.code)

    @property
    def current(self) -> bool:
        return any(span.end_year is None for span in self.spans)

    @property
    def name(self) -> str:
        """The current name, or the last one the code carried."""
        current = [s for s in self.spans if s.end_year is None]
        return (current or sorted(self.spans, key=lambda s: s.end_year or 0))[-1].name

    def name_in(self, year: int) -> str | None:
        for span in self.spans:
            if span.in_force_in(year):
                return span.name
        return None

    def existed_from(self, year: int) -> bool:
        """True if the code was in force at any time in `year` or later (GB 11643 area-code rule)."""
        return any(span.end_year is None or span.end_year >= year for span in self.spans)


def level_of(code: str) -> str:
    if code == MINISTRY:
        return "ministry"
    if code.endswith("0000"):
        return "province"
    if code.endswith("00"):
        return "city"
    return "county"


def scope_prefix(code: str) -> str:
    """The code prefix that every division under `code` shares ('' for the ministry)."""
    return {"ministry": "", "province": code[:2], "city": code[:4], "county": code}[level_of(code)]


def _parse_spans(value: str) -> tuple[NameSpan, ...]:
    spans = []
    for part in value.split(","):
        match = _SPAN.match(part)
        if match:
            start, end, name = match.groups()
            spans.append(NameSpan(name, int(start) if start else None, int(end) if end else None))
        else:
            spans.append(NameSpan(part, None, None))
    return tuple(spans)


@lru_cache
def _table() -> dict[str, Division]:
    table: dict[str, Division] = {}
    # NumDB keeps its parsed tree as (length, low, high, properties, children) tuples.
    for _plen, plow, phigh, pprops, pchildren in numdb.get("cn/loc").prefixes:
        if plow != phigh:
            continue
        table[f"{plow}0000"] = Division(f"{plow}0000", _parse_spans(pprops.get("province", "")))
        for _clen, clow, chigh, cprops, _sub in pchildren:
            if clow == chigh and "county" in cprops:
                code = f"{plow}{clow}"
                # the province's own row ("0000") carries its years, e.g. 海南省 from 1988
                table[code] = Division(code, _parse_spans(cprops["county"]))
    return table


def get(code: str) -> Division | None:
    return _table().get(code)


def all_divisions() -> list[Division]:
    return sorted(_table().values(), key=lambda d: d.code)


def parent_of(code: str) -> str | None:
    level = level_of(code)
    if level == "county":
        city = code[:4] + "00"
        known = _table().get(city)
        return city if known is not None and not is_placeholder(known) else code[:2] + "0000"
    if level == "city":
        return code[:2] + "0000"
    if level == "province":
        return MINISTRY
    return None


def is_placeholder(division: Division) -> bool:
    return division.name in _PLACEHOLDER_NAMES


def full_name(code: str, year: int | None = None) -> str:
    """Province + city + county name, as people write an address (北京市朝阳区)."""
    names: list[str] = []
    for part_code in dict.fromkeys((code[:2] + "0000", code[:4] + "00", code)):
        division = get(part_code)
        if division is None or (part_code != code and not code.startswith(scope_prefix(part_code))):
            continue
        name = (division.name_in(year) if year is not None else None) or division.name
        if name not in _PLACEHOLDER_NAMES and name not in names:
            names.append(name)
        if part_code == code:
            break
    return "".join(names)


def children(code: str, *, current_only: bool = True) -> list[Division]:
    """Direct children of a division in the tree (provinces under the ministry, and so on)."""
    result = []
    for division in all_divisions():
        if division.code == code or (current_only and not division.current) or is_placeholder(division):
            continue
        if parent_of(division.code) == code:
            result.append(division)
    return result


def counties_of(code: str, *, current_only: bool = True) -> list[Division]:
    prefix = scope_prefix(code)
    return [
        d
        for d in all_divisions()
        if d.level == "county"
        and d.code.startswith(prefix)
        and not is_placeholder(d)
        and (d.current or not current_only)
    ]
