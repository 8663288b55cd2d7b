"""Fixtures of the service hall tests: the loaded catalog, citizens, staff of two counties, PDF bytes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, Principal
from renshe.core.settings import get_settings
from renshe.hall.applications import materials as hall_materials
from renshe.hall.applications import service
from renshe.hall.catalog import service as hall_catalog
from renshe.hall.models import Application
from renshe.registry.models import Person
from tests import factories

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
COUNTY = "110105"
OTHER_COUNTY = "110108"


@pytest.fixture(autouse=True)
def settings_follow_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The hall's settings (`RENSHE_HALL_*`) live in the one cached settings object: read it afresh
    whenever a test changes the environment, as the hall's own settings object used to."""
    set_env = monkeypatch.setenv

    def setenv(name: str, value: str, prepend: str | None = None) -> None:
        set_env(name, value, prepend)
        get_settings.cache_clear()

    monkeypatch.setenv = setenv  # type: ignore[method-assign]
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings_follow_environment: None) -> Path:
    folder = tmp_path / "materials"
    monkeypatch.setenv("RENSHE_HALL_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def catalog(session: Session) -> int:
    return hall_catalog.load_catalog(session, actor=SYSTEM)


def citizen_of(person: Person) -> Principal:
    return Principal(kind="citizen", subject=person.public_id, display_name=person.name,
                     division_code=person.residence_division)


@pytest.fixture
def applicant(session: Session) -> Person:
    """王秀英: a year of unemployment insurance contributions, her employer reported the separation (so her
    失业保险金申领, the sample item of these tests, passes the claim's checks and can be approved)."""
    from tests.unemployment import kit as unemployment_kit

    person = factories.person(session, county=COUNTY, name="王秀英", phone="13912345678")
    unemployment_kit.insure(session, person, first=date(2025, 1, 1), last=date(2025, 12, 1), ended=True,
                            separated=date(2026, 1, 31))
    return person


@pytest.fixture
def citizen(applicant: Person) -> Principal:
    return citizen_of(applicant)


@pytest.fixture
def clerk(session: Session) -> Principal:
    return factories.staff_user(session, username="hall-clerk", roles=("clerk",), division=COUNTY)


@pytest.fixture
def reviewer(session: Session) -> Principal:
    return factories.staff_user(session, username="hall-reviewer", roles=("reviewer",), division=COUNTY)


@pytest.fixture
def clerk_reviewer(session: Session) -> Principal:
    """One person holding both roles: the maker-checker rule must still stop them."""
    return factories.staff_user(session, username="hall-both", roles=("clerk", "reviewer"), division=COUNTY)


@pytest.fixture
def other_clerk(session: Session) -> Principal:
    return factories.staff_user(session, username="hall-clerk-other", roles=("clerk",), division=OTHER_COUNTY)


@pytest.fixture
def supervisor(session: Session) -> Principal:
    return factories.staff_user(session, username="hall-supervisor", roles=("supervisor",), division="110100")


def benefit_form(**overrides: object) -> dict[str, object]:
    """A complete 失业保险金申领 form (the prefilled fields left out: the platform supplies them)."""
    data: dict[str, object] = {
        "former_employer": "北京市朝阳区某某科技有限公司", "separation_date": "2026-10-31",
        "separation_reason": "contract_expired", "bank": "ICBC", "bank_account": "6222020200112233445",
        "pledge": True,
    }
    data.update(overrides)
    return data


def benefit_uploads() -> list[hall_materials.Upload]:
    return [hall_materials.Upload("separation_proof", "解除劳动合同证明.pdf", PDF)]


@pytest.fixture
def submitted(session: Session, catalog: int, citizen: Principal) -> Application:
    return service.submit(session, actor=citizen, item_code="unemployment-benefit", data=benefit_form(),
                         uploads=benefit_uploads())
