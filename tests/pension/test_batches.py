"""The monthly payment run pays each award once a month, even after a crash between chunks and a restart;
the yearly adjustment applies once a year from its date of effect, pays the months already paid as
arrears and never rewrites a past payment; the citizen and the clerk see it all on the API and the pages."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM, issue_token
from renshe.core.errors import DomainError
from renshe.insurance import parameters
from renshe.pension import jobs, rules, service
from renshe.pension.models import PensionAdjustment, PensionAward, PensionPayment, PensionRun
from tests import factories
from tests.factories import bearer
from tests.insurance import kit as insurance_kit
from tests.pension import kit


@pytest.fixture(autouse=True)
def _hall_today(monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.hall import clock
    monkeypatch.setattr(clock, "today", lambda: kit.TODAY)


def _awarded(session: Session, claim: str = "2025-02-01", **retiree: Any) -> PensionAward:
    who = kit.retiree(session, **retiree)
    clerk, reviewer = session.info.get("staff") or kit.staff(session)
    session.info["staff"] = (clerk, reviewer)
    kit.decide(session, kit.apply(session, who, retirement_date=claim), clerk, reviewer)
    award = session.scalar(select(PensionAward).where(PensionAward.person_id == who.person.id))
    assert award is not None
    return award


def _paid(session: Session, month: date) -> dict[int, int]:
    return dict(session.execute(select(PensionPayment.award_id, func.count()).where(
        PensionPayment.month == month, PensionPayment.kind == "monthly").group_by(PensionPayment.award_id)).all())


def test_the_payment_run_pays_each_award_once_after_a_crash_and_a_restart(session: Session) -> None:
    kit.load_catalog(session)
    first = _awarded(session, name="退休甲")
    second = _awarded(session, name="退休乙", birth=date(1965, 3, 10), claim="2025-04-01")
    assert (first.start_month, second.start_month) == (date(2025, 3, 1), date(2025, 5, 1))
    assert _paid(session, date(2025, 5, 1)) == {second.id: 1}  # the first month paid at the approval
    with pytest.raises(jobs.SimulatedCrash):
        jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month="2025-06", chunk_size=1,
                          crash_after_chunks=1)
    run = session.scalar(select(PensionRun).where(PensionRun.kind == "pay", PensionRun.period == "2025-06"))
    assert run is not None
    session.refresh(run)
    assert (run.status, run.total, run.done, run.last_award_id) == ("running", 2, 1, first.id)
    assert _paid(session, date(2025, 6, 1)) == {first.id: 1}  # the checkpoint and the payment moved together
    summary = jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month="2025-06", chunk_size=1)
    assert (summary.status, summary.done, summary.amount_fen) == ("done", 2, first.monthly_fen + second.monthly_fen)
    again = jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month="2025-06", chunk_size=1)
    assert again == summary
    assert _paid(session, date(2025, 6, 1)) == {first.id: 1, second.id: 1}
    # Each award is paid into the card once per month (the card payment's reference is the same).
    from renshe.card.models import BenefitPayment
    assert session.scalar(select(func.count()).select_from(BenefitPayment).where(
        BenefitPayment.period == "2025-06", BenefitPayment.programme == "pension")) == 2
    # A month before an award began pays only the awards that had begun.
    jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month="2025-04")
    assert _paid(session, date(2025, 4, 1)) == {first.id: 1}
    with pytest.raises(DomainError) as bad:
        jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month="2025-13")
    assert bad.value.code.startswith("renshe:pension/")


SCHEME = {"retired_by": "2025-12-31", "fixed": "30", "per_contribution_year": "1.5", "proportional": "0.01",
          "age_tilts": {"65": "20", "70": "40"}, "national_rate": "0.02"}


def test_the_adjustment_applies_once_a_year_and_pays_the_months_already_paid_as_arrears(
        session: Session, client: Any) -> None:
    kit.load_catalog(session)
    award = _awarded(session)
    for month in ("2026-01", "2026-02"):
        jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month=month)
    before = award.monthly_fen
    with pytest.raises(DomainError) as missing:
        jobs.run_adjustment(actor=SYSTEM, province=insurance_kit.BEIJING, year=2026)
    assert missing.value.code == "renshe:pension/no-adjustment-scheme"
    parameters.set_value(session, actor=SYSTEM, province=insurance_kit.BEIJING, key="pension_adjustment",
                         effective_from=date(2026, 1, 1), value=SCHEME, source="测试：2026年调整方案")
    summary = jobs.run_adjustment(actor=SYSTEM, province=insurance_kit.BEIJING, year=2026, chunk_size=1)
    # fixed 30 + 1.5 × 16 whole years + 1 % of the pension; aged 61 in 2026: no tilt
    expected = rules.adjust(scheme=jobs.scheme_of(session, province=insurance_kit.BEIJING, year=2026)[1],
                            pension=Decimal(before) / 100, contribution_months=192, birth=rules.Month(1965, 1),
                            retired=rules.Month(2025, 2))
    increase = 3000 + 2400 + int((Decimal(before) / 100 * Decimal("0.01")).quantize(Decimal("0.01")) * 100)
    assert int(expected.increase * 100) == increase
    assert (summary.status, summary.done, summary.amount_fen) == ("done", 1, increase)
    session.refresh(award)
    assert award.monthly_fen == before + increase
    adjustment = session.scalar(select(PensionAdjustment))
    assert adjustment is not None
    assert (adjustment.year, adjustment.before_fen, adjustment.after_fen) == (2026, before, before + increase)
    rebuilt = service.adjustment_of(session, adjustment, award)  # the trace, from what the batch kept
    assert int(rebuilt.increase * 100) == adjustment.increase_fen == increase
    assert any("测试：2026年调整方案" in step.source for step in rebuilt.trace)
    # the months already paid are never rewritten: the difference is paid once, as arrears
    paid = {(p.month, p.kind): p.amount_fen for p in session.scalars(select(PensionPayment))}
    assert paid[(date(2026, 1, 1), "monthly")] == paid[(date(2026, 2, 1), "monthly")] == before
    assert paid[(date(2026, 1, 1), "arrears")] == 2 * increase
    # once a year: running it again changes nothing
    assert jobs.run_adjustment(actor=SYSTEM, province=insurance_kit.BEIJING, year=2026) == summary
    assert session.scalar(select(func.count()).select_from(PensionAdjustment)) == 1
    jobs.run_payments(actor=SYSTEM, province=insurance_kit.BEIJING, month="2026-03")
    assert _paid(session, date(2026, 3, 1)) == {award.id: 1}
    march = session.scalar(select(PensionPayment).where(PensionPayment.month == date(2026, 3, 1)))
    assert march is not None
    assert march.amount_fen == before + increase
    session.commit()

    # The citizen sees the award, its components, trace and payments; the clerk sees awards and the runs.
    citizen = insurance_kit.citizen_of(award.person_public_id, award.person_name)
    client.cookies.set("renshe_token", issue_token(citizen, minutes=10))
    mine = client.get("/api/v1/pension/me/award")
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert body["monthly"] == f"{(before + increase) / 100:.2f}"
    assert body["basic"] == "1440.00"
    assert body["kind_label"] == "按法定退休年龄退休"
    assert body["adjustment_history"][0]["increase"] == f"{increase / 100:.2f}"
    assert any(p["parameter"] == "average_wage" and p["parameter_id"] for p in body["parameters"])
    payments = client.get("/api/v1/pension/me/payments", params={"limit": 2})
    assert payments.status_code == 200
    assert [p["month"] for p in payments.json()["items"]] == ["2025-03", "2026-01"]
    assert payments.json()["next_cursor"]
    rest = client.get("/api/v1/pension/me/payments", params={"cursor": payments.json()["next_cursor"]}).json()
    assert [(p["month"], p["kind_label"]) for p in rest["items"]] == [
        ("2026-02", "按月发放"), ("2026-01", "调整补发"), ("2026-03", "按月发放")]
    page = client.get("/citizen/pension")
    assert page.status_code == 200
    assert f"{(before + increase) / 100:.2f} 元/月" in page.text
    assert "所用参数及版本" in page.text
    assert "已入账社会保障卡" in page.text
    assert "2026年调整" in page.text
    client.cookies.clear()
    clerk, _ = session.info["staff"]
    headers = bearer(clerk)
    listed = client.get("/api/v1/pension/awards", headers=headers)
    assert listed.status_code == 200
    assert [a["public_id"] for a in listed.json()["items"]] == [award.public_id]
    runs = client.get("/api/v1/pension/runs", headers=headers).json()
    assert {(r["kind"], r["period"], r["status"]) for r in runs} >= {("adjust", "2026", "done"),
                                                                     ("pay", "2026-03", "done")}
    refused = client.post("/api/v1/pension/runs", json={"kind": "pay", "period": "2026-04"}, headers=headers)
    assert refused.status_code == 403  # a county clerk does not run the province's payments
    admin = factories.staff_user(session, username="pension-admin", roles=("admin",), division="110000")
    session.commit()
    started = client.post("/api/v1/pension/runs", json={"kind": "pay", "period": "2026-04"}, headers=bearer(admin))
    assert started.status_code == 200, started.text
    assert (started.json()["done"], started.json()["status_label"]) == (1, "已完成")
    client.cookies.set("renshe_token", issue_token(admin, minutes=10))
    staff_page = client.get("/staff/pension")
    assert staff_page.status_code == 200
    assert award.person_name in staff_page.text
    assert "待遇调整" in staff_page.text
    posted = client.post("/staff/pension/runs", data={"kind": "pay", "period": "2026-13"})
    assert posted.status_code == 422
    assert client.get(f"/staff/pension/awards/{award.public_id}").status_code == 200


def test_an_adjustment_scheme_is_checked_as_data(session: Session) -> None:
    parameters.load_defaults(session)
    with pytest.raises(DomainError) as bad:
        parameters.set_value(session, actor=SYSTEM, province=insurance_kit.BEIJING, key="pension_adjustment",
                             effective_from=date(2026, 1, 1), value={**SCHEME, "proportional": "0.5"}, source="测试")
    assert bad.value.errors[0].code == "renshe:insurance/parameter-scheme"
    with pytest.raises(DomainError) as no_date:
        parameters.set_value(session, actor=SYSTEM, province=insurance_kit.BEIJING, key="pension_adjustment",
                             effective_from=date(2026, 1, 1), value='{"fixed": "30"}', source="测试")
    assert "retired_by" in no_date.value.errors[0].message
    stored = parameters.set_value(session, actor=SYSTEM, province=insurance_kit.BEIJING, key="pension_adjustment",
                                  effective_from=date(2026, 1, 1), value=json.dumps(SCHEME), source="测试方案")
    assert stored.value["age_tilts"] == {"65": "20", "70": "40"}
    _, scheme = jobs.scheme_of(session, province=insurance_kit.BEIJING, year=2026)
    assert (scheme.fixed, scheme.proportional, scheme.retired_by) == (Decimal(30), Decimal("0.01"), date(2025, 12, 31))
    assert [(t.from_age, t.amount) for t in scheme.age_tilts] == [(65, Decimal(20)), (70, Decimal(40))]
    with pytest.raises(DomainError) as other_year:
        jobs.scheme_of(session, province=insurance_kit.BEIJING, year=2027)
    assert other_year.value.code == "renshe:pension/no-adjustment-scheme"
