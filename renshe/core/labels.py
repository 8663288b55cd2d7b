"""The Chinese label of every enumerated value a person reads, from one place.

Each domain registers its label data once, at import, under a group name (`"sharing.result"`,
`"certs.verification"`, ...): `LABELS = labels.register("hall.channel", {...})` keeps the domain's dict
where it was and makes it the one the pages read. Templates use the `label` filter, registered once on the
Jinja environment: `{{ l.result | label("sharing.result") }}`. A value without a label never reaches a page
as a raw code: the group's fallback (or “其他”) is shown instead, and `missing()` lists what fell through,
so tests can say which value lacks a label.

Stable machine codes (`renshe:sharing/no-grant`) are labelled too: a group may register labels for whole
codes, and a prefix fallback (`"renshe:"`) for codes it did not foresee.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

FALLBACK = "其他"

K = TypeVar("K", bound=Mapping[Any, str])  # keys are str or str enums


@dataclass
class Group:
    labels: dict[str, str] = field(default_factory=dict)
    prefixes: dict[str, str] = field(default_factory=dict)  # code prefix → label, longest first
    fallback: str = FALLBACK


_GROUPS: dict[str, Group] = {}
_MISSING: set[tuple[str, str]] = set()


def register(group: str, labels: K, *, prefixes: Mapping[str, str] | None = None,
             fallback: str | None = None) -> K:
    """Add a domain's labels to `group` (merged with what is there) and return the same mapping."""
    entry = _GROUPS.setdefault(group, Group())
    for raw, text in labels.items():
        value = str(raw)
        known = entry.labels.get(value)
        if known is not None and known != text:
            raise ValueError(f"label group {group}: {value!r} is already “{known}”, not “{text}”")
        entry.labels[value] = text
    if prefixes:
        entry.prefixes.update(prefixes)
        entry.prefixes = dict(sorted(entry.prefixes.items(), key=lambda kv: -len(kv[0])))
    if fallback is not None:
        entry.fallback = fallback
    return labels


def label(value: object, group: str) -> str:
    """The Chinese label of `value` in `group`; empty for None or ""; never the raw code."""
    if value is None or value == "":
        return ""
    key = ("true" if value else "false") if isinstance(value, bool) else str(value)
    entry = _GROUPS.get(group)
    if entry is None:
        raise KeyError(f"no label group {group!r}")
    text = entry.labels.get(key)
    if text is not None:
        return text
    _MISSING.add((group, key))
    for prefix, prefixed in entry.prefixes.items():
        if key.startswith(prefix):
            return prefixed
    return entry.fallback


def labels_of(group: str) -> dict[str, str]:
    """Every label of a group (for selects and legends), in registration order."""
    return dict(_GROUPS[group].labels)


def groups() -> list[str]:
    return sorted(_GROUPS)


def missing() -> set[tuple[str, str]]:
    """(group, value) pairs that were asked for and had no label (shown with the group's fallback)."""
    return set(_MISSING)


# Labels the kernel itself owns.
register("yesno", {"true": "是", "false": "否"})
