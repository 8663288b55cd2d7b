"""Once-only prefill (不得要求群众重复提供): what the platform already holds about a person, with provenance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from renshe.core import crypto
from renshe.core.errors import (
    FieldError,
    ValidationFailed,
)
from renshe.registry import service as registry

# ---------------------------------------------------------------- once-only prefill (不得要求群众重复提供)


@dataclass(frozen=True)
class Prefilled:
    value: Any
    resource: str  # the catalog resource the value comes from
    source: str  # how the platform came to hold it
    updated_at: datetime


def _field_sources(person: registry.Person) -> dict[str, tuple[Any, str]]:
    cipher = crypto.cipher()
    phone = cipher.decrypt(person.phone_encrypted, purpose=registry.PHONE_PURPOSE) if person.phone_encrypted else None
    return {
        "name": (person.name, "person-basic"),
        "id_number": (cipher.decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE), "identity-verification"),
        "sex": (person.sex, "person-basic"),
        "birth_date": (person.birth_date.isoformat(), "person-basic"),
        "phone": (phone, "person-basic"),
        "residence_division": (person.residence_division, "person-basic"),
        "hukou_division": (person.hukou_division, "person-basic"),
    }


PREFILL_FIELDS = ("name", "id_number", "sex", "birth_date", "phone", "residence_division", "hukou_division",
                  "employer_credit_code", "employer_name")


def prefill(session: Session, *, person: registry.Person, wanted: list[str]) -> dict[str, Prefilled]:
    """The values the platform already holds for the wanted fields, each with its provenance.

    Full values: the caller is the person themself (or the service hall acting for them), not a
    consumer; fields the platform does not hold are simply absent, to be asked for.
    """
    unknown = [f for f in wanted if f not in PREFILL_FIELDS]
    if unknown:
        raise ValidationFailed([FieldError("fields", "renshe:prefill/unknown-field",
                                           f"不支持预填的字段：{', '.join(unknown)}")])
    source = person.source if person.source != "window" else "窗口登记"
    found: dict[str, Prefilled] = {}
    held = _field_sources(person)
    for name in wanted:
        if name in held and held[name][0] is not None:
            found[name] = Prefilled(held[name][0], held[name][1], source, person.updated_at)
    if {"employer_credit_code", "employer_name"} & set(wanted):
        jobs = [r for r in registry.person_employments(session, person=person) if r.end_date is None]
        if jobs:
            job = jobs[0]
            reported = f"单位报告（{job.reported_by}）"
            for name, value in (("employer_credit_code", job.employer.credit_code),
                                ("employer_name", job.employer.name)):
                if name in wanted:
                    found[name] = Prefilled(value, "employment-status", reported, job.created_at)
    return found
