"""Workflows as data: the states of an application and the transitions each actor may take.

An item names a workflow (`data/workflows/<code>.json`); its revision keeps a copy, so an application
is handled by the workflow it was filed under. Most items share `default` (受理 → 审核 → 办结 → 送达);
即办件 use `immediate`, where the accepting clerk may decide at once.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

ACTORS = ("clerk", "reviewer", "applicant")
CLOCK = ("start", "pause", "resume", "stop")


class WorkflowError(ValueError):
    """A workflow definition that does not hold together."""


@dataclass(frozen=True)
class Step:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    reason_required: bool = False
    supplement_list: bool = False  # the step carries the list of what to supplement (补正)
    distinct_from: tuple[str, ...] = ()  # application attributes whose handler may not take this step
    clock: str | None = None


@dataclass(frozen=True)
class Workflow:
    code: str
    label: str
    states: Mapping[str, str]  # code -> Chinese label
    final: frozenset[str]
    steps: tuple[Step, ...]

    def step(self, action: str, state: str) -> Step | None:
        for step in self.steps:
            if step.action == action and state in step.sources:
                return step
        return None

    def actions(self) -> set[str]:
        return {s.action for s in self.steps}

    def available(self, state: str, actor: str) -> list[Step]:
        return [s for s in self.steps if state in s.sources and actor in s.actors]

    def label_of(self, state: str) -> str:
        return self.states.get(state, state)


def parse(data: Mapping[str, Any]) -> Workflow:
    """Build and check a workflow from its JSON form."""
    states: dict[str, str] = dict(data["states"])
    steps = []
    for raw in data["transitions"]:
        step = Step(
            action=raw["action"], label=raw["label"], sources=tuple(raw["from"]), target=raw["to"],
            actors=tuple(raw["actors"]), reason_required=bool(raw.get("reason_required", False)),
            supplement_list=bool(raw.get("supplement_list", False)),
            distinct_from=tuple(raw.get("distinct_from", ())), clock=raw.get("clock"),
        )
        unknown = {*step.sources, step.target} - set(states)
        if unknown:
            raise WorkflowError(f"{step.action}: unknown states {sorted(unknown)}")
        if set(step.actors) - set(ACTORS):
            raise WorkflowError(f"{step.action}: unknown actors {step.actors}")
        if step.clock not in (None, *CLOCK):
            raise WorkflowError(f"{step.action}: unknown clock effect {step.clock}")
        if set(step.distinct_from) - {"accepted_by", "reviewed_by"}:
            raise WorkflowError(f"{step.action}: distinct_from names an unknown handler")
        steps.append(step)
    final = frozenset(data.get("final", ()))
    if final - set(states):
        raise WorkflowError("final names unknown states")
    if "submitted" not in states:
        raise WorkflowError("every workflow starts in 'submitted'")
    return Workflow(data["code"], data.get("label", data["code"]), states, final, tuple(steps))


@lru_cache(maxsize=64)
def _parse_text(text: str) -> Workflow:
    loaded: dict[str, Any] = json.loads(text)
    return parse(loaded)


def parsed(data: Mapping[str, Any]) -> Workflow:
    """`parse`, remembered by content: revisions are immutable and a page asks for the same few many times."""
    return _parse_text(json.dumps(data, sort_keys=True, ensure_ascii=False))


def load_definition(code: str) -> dict[str, Any]:
    text = resources.files("renshe.hall").joinpath(f"data/workflows/{code}.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    parse(loaded)
    return loaded


DEFAULT_LABELS = parse(load_definition("default")).states
