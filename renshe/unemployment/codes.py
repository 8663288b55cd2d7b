"""The national code lists of unemployment registration and benefit, as data (`data/codes.json`): exit
reasons (注销失业登记原因), service kinds, stop and suspension reasons, involuntary separation reasons, with
their Chinese labels (registered with `core.labels`, so pages and API show the same words)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from renshe.core import labels


@cache
def _data() -> dict[str, Any]:
    text = resources.files("renshe.unemployment").joinpath("data/codes.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


SOURCE: str = _data()["source"]
EXIT_REASONS: dict[str, str] = labels.register("unemployment.exit_reason", _data()["exit_reasons"])
SERVICE_KINDS: dict[str, str] = labels.register("unemployment.service_kind", _data()["service_kinds"])
STOP_REASONS: dict[str, str] = labels.register("unemployment.stop_reason", _data()["stop_reasons"])
SUSPEND_REASONS: dict[str, str] = labels.register("unemployment.suspend_reason", _data()["suspend_reasons"])
INVOLUNTARY: dict[str, str] = labels.register("unemployment.separation_reason", _data()["involuntary_reasons"])
PLACES: dict[str, str] = labels.register("unemployment.place", _data()["places"])
CHANNELS: dict[str, str] = labels.register("unemployment.channel", _data()["channels"])
REGISTRATION_STATUS: dict[str, str] = labels.register("unemployment.registration_status",
                                                      _data()["registration_status"])
BENEFIT_STATUS: dict[str, str] = labels.register("unemployment.benefit_status", _data()["benefit_status"])
