"""Use scenarios of the card (用卡场景): the shipped catalog, each province's switches, and whether a
card may be used for a scenario at a terminal."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from renshe.card import policy, schemas
from renshe.card.models import ScenarioSetting
from renshe.core import audit
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import NotFound
from renshe.core.events import record_event
from renshe.core.settings import get_settings

_SWITCH = select(ScenarioSetting.enabled).where(ScenarioSetting.code == bindparam("code"))


@lru_cache
def scenario_catalog() -> dict[str, dict[str, Any]]:
    text = resources.files("renshe.card").joinpath("data/scenarios.json").read_text(encoding="utf-8")
    return {item["code"]: item for item in json.loads(text)}


def scenario_label(code: str) -> str:
    item = scenario_catalog().get(code)
    return str(item["name"]) if item else code


def scenarios(session: Session) -> list[schemas.ScenarioOut]:
    settings = {s.code: s.enabled for s in session.scalars(select(ScenarioSetting))}
    return [schemas.ScenarioOut(code=code, name=item["name"], summary=item["summary"], scope=item["scope"],
                                same_city_treatment=item["same_city_treatment"],
                                enabled=settings.get(code, item["default_enabled"]))
            for code, item in scenario_catalog().items()]


def set_scenario(session: Session, *, actor: Principal, code: str, enabled: bool) -> schemas.ScenarioOut:
    """A province enables or disables one scenario (audited, evented)."""
    policy.require(actor, "card.scenario_set")
    if code not in scenario_catalog():
        raise NotFound("该用卡场景", code="renshe:card/scenario-not-found")
    setting = session.scalar(select(ScenarioSetting).where(ScenarioSetting.code == code))
    before = setting.enabled if setting else bool(scenario_catalog()[code]["default_enabled"])
    if setting is None:
        setting = ScenarioSetting(code=code, enabled=enabled, updated_by=actor.subject)
        session.add(setting)
    else:
        setting.enabled, setting.updated_by, setting.updated_at = enabled, actor.subject, utcnow()
    session.flush()
    audit.record(session, actor=actor, action="card.scenario_set", entity_type="card_scenario", entity_id=code,
                 before={"enabled": before}, after={"enabled": enabled})
    record_event(session, "card.scenario_changed", {"scenario": code, "enabled": enabled,
                                                    "province": get_settings().province_code})
    return next(s for s in scenarios(session) if s.code == code)


def scenario_allowed(
    session: Session, *, scenario: str, card_division: str, terminal_division: str,
) -> tuple[bool, str]:
    """Whether a card issued in `card_division` may be used for `scenario` at a terminal there."""
    item = scenario_catalog().get(scenario)
    if item is None:
        return False, "未知的用卡场景"
    setting = session.connection().execute(_SWITCH, {"code": scenario}).scalar()
    if not (item["default_enabled"] if setting is None else setting):
        return False, f"本省未开通“{item['name']}”场景"
    if item["scope"] == "province" and card_division[:2] != terminal_division[:2]:
        return False, f"“{item['name']}”只受理本省签发的社会保障卡"
    return True, "同城待遇" if card_division[:4] != terminal_division[:4] else "本地"
