"""The public surface of unemployment registration and benefit (失业登记、失业保险金): what the hall, the
pages, the API, the CLI and the demo call, the event subscribers that close registrations and stop benefits
without a clerk, and the sharing catalog's answer `unemployment-registration`.

Owns the `unemp_*` tables (through `registration`, `benefit` and `jobs`); other domains reach them only here.
- `registry.employment_started` (an employer reports a hire): the registration exits (employed) and the
  benefit stops (reemployed) from the hire's date.
- `pension.awarded` (a pension starts): the registration exits (pension) and the benefit stops (pension).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.card import service as card
from renshe.core import events, monthly, workdays
from renshe.core.auth import Principal
from renshe.core.errors import NotFound, Unauthorized
from renshe.core.models import OutboxEvent
from renshe.core.trace import StepOut
from renshe.registry import service as registry
from renshe.sharing import service as sharing
from renshe.unemployment import benefit, codes, registration, rules, schemas
from renshe.unemployment.benefit import (
    Decision,
    benefits,
    benefits_of,
    check_claim,
    check_separation,
    grant,
    medical_of,
    pay_month,
    payments_of,
    resume,
    stop,
    suspend,
)
from renshe.unemployment.models import (
    BenefitPaymentRow,
    MedicalContribution,
    ServiceRecord,
    UnemploymentBenefit,
    UnemploymentRegistration,
)
from renshe.unemployment.registration import (
    NewRegistration,
    add_service,
    check_registration,
    exit_registration,
    open_employments,
    open_of,
    registrations,
    registrations_of,
    services_of,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BENEFIT_ITEM = "unemployment-benefit"
REGISTRATION_ITEM = "unemployment-registration"

__all__ = [
    "BENEFIT_ITEM", "REGISTRATION_ITEM", "Decision", "NewRegistration", "add_service", "benefits", "benefits_of",
    "check_claim", "check_registration", "check_separation",
    "exit_registration", "get_benefit", "get_registration", "grant",
    "medical_of", "open_employments", "open_of", "pay_month", "payments_of", "register", "registrations",
    "registrations_of", "resume", "services_of", "stop", "suspend", "today",
]


today = workdays.today  # tests replace it to move the clock


register = registration.register
get_registration = registration.get
get_benefit = benefit.get


# ---------------------------------------------------------------- events: exits and stops without a clerk

def _person_pk(session: Session, event: OutboxEvent) -> int | None:
    public_id = str((event.payload or {}).get("person", ""))
    return registry.person_pk(session, public_id=public_id) if public_id else None


def on_hire(session: Session, event: OutboxEvent) -> None:
    """An employer reported a hire: the person is employed, their registration exits and their benefit stops.

    Only while that employment is still open when the event is handled: delivery is at least once and may lag,
    and a hire the employer has since reported ended does not make the person employed now."""
    person_pk = _person_pk(session, event)
    person = registry.person_by_pk(session, person_pk) if person_pk is not None else None
    if person_pk is None or person is None:
        return
    relation = str((event.payload or {}).get("relation", ""))
    found = next((r for r in registry.person_employments(session, person=person) if r.public_id == relation), None)
    if found is None or found.end_date is not None:
        return
    on = found.start_date
    employer = str((event.payload or {}).get("employer", ""))
    registration.exit_person(session, person_id=person_pk, reason="employed", on=on,
                             note=f"单位报告用工（{employer}），系统自动注销")
    benefit.stop_person(session, person_id=person_pk, reason="reemployed", on=on)


def on_pension(session: Session, event: OutboxEvent) -> None:
    """A pension was awarded: the registration exits and the benefit stops from the pension's first month."""
    person_pk = _person_pk(session, event)
    if person_pk is None:
        return
    month = str((event.payload or {}).get("start_month", ""))
    on = date.fromisoformat(f"{month}-01") if len(month) == 7 else today()
    registration.exit_person(session, person_id=person_pk, reason="pension", on=on,
                             note="已核定基本养老金，系统自动注销")
    benefit.stop_person(session, person_id=person_pk, reason="pension", on=on)


HANDLERS = {"registry.employment_started": on_hire, "pension.awarded": on_pension}
for _topic, _handler in HANDLERS.items():
    events.subscribe(_topic, _handler)


def handle(session: Session, event: OutboxEvent) -> None:
    """Run this capability's subscriber for one outbox event (what the dispatcher does after commit)."""
    handler = HANDLERS.get(event.topic)
    if handler is not None:
        handler(session, event)


sharing.register_answer("unemployment-registration", registration.sharing_answer)


# ---------------------------------------------------------------- outputs (API and pages)

def service_out(row: ServiceRecord) -> schemas.ServiceOut:
    return schemas.ServiceOut(public_id=row.public_id, kind=row.kind, kind_label=codes.SERVICE_KINDS[row.kind],
                              served_on=row.served_on.isoformat(), detail=row.detail, outcome=row.outcome,
                              served_by=row.served_by_name)


def registration_out(session: Session, row: UnemploymentRegistration, *,
                     with_services: bool = True) -> schemas.RegistrationOut:
    return schemas.RegistrationOut(
        public_id=row.public_id, person_name=row.person_name, id_number_masked=row.id_number_masked,
        division_code=row.division_code, place=row.place, place_label=codes.PLACES[row.place], channel=row.channel,
        channel_label=codes.CHANNELS[row.channel], registered_on=row.registered_on.isoformat(),
        separation_date=row.separation_date.isoformat() if row.separation_date else None,
        former_employer=row.former_employer, job_intention=row.job_intention, status=row.status,
        status_label=codes.REGISTRATION_STATUS[row.status], exit_reason=row.exit_reason,
        exit_reason_label=codes.EXIT_REASONS.get(row.exit_reason) if row.exit_reason else None,
        exit_note=row.exit_note, exited_on=row.exited_on.isoformat() if row.exited_on else None,
        services=[service_out(s) for s in services_of(session, registration=row)] if with_services else [])


def benefit_out(session: Session, row: UnemploymentBenefit) -> schemas.BenefitOut:
    labels = codes.STOP_REASONS if row.status == "stopped" else codes.SUSPEND_REASONS
    return schemas.BenefitOut(
        public_id=row.public_id, person_name=row.person_name, id_number_masked=row.id_number_masked,
        application_number=row.application_number, separation_date=row.separation_date.isoformat(),
        separation_reason=row.separation_reason,
        separation_reason_label=codes.INVOLUNTARY.get(row.separation_reason, "其他"),
        contribution_months=row.contribution_months, carried_months=row.carried_months, months=row.months,
        months_paid=benefit.paid_months(session, benefit_id=row.id), monthly=rules._yuan(row.monthly_fen),
        monthly_fen=row.monthly_fen, medical_monthly=rules._yuan(row.medical_fen),
        start_month=f"{row.start_month:%Y-%m}", end_month=f"{row.end_month:%Y-%m}",
        first_payment_on=row.first_payment_on.isoformat(), status=row.status,
        status_label=codes.BENEFIT_STATUS[row.status], stop_reason=row.stop_reason,
        stop_reason_label=labels.get(row.stop_reason) if row.stop_reason else None, stop_note=row.stop_note,
        stopped_on=row.stopped_on.isoformat() if row.stopped_on else None,
        trace=[StepOut(**step) for step in row.trace])


CARD_STATUS = {"credited": "已入账", "held": "暂缓发放（无可用社保卡金融账户）"}


def payments_out(session: Session, rows: list[BenefitPaymentRow]) -> list[schemas.PaymentOut]:
    statuses = card.payment_statuses(session, references=[r.reference for r in rows])
    return [schemas.PaymentOut(month=f"{r.month:%Y-%m}", amount=rules._yuan(r.amount_fen), amount_fen=r.amount_fen,
                               reference=r.reference, card_status=statuses.get(r.reference, "held"),
                               card_status_label=CARD_STATUS[statuses.get(r.reference, "held")],
                               paid_at=r.paid_at.isoformat()) for r in rows]


def medical_out(rows: list[MedicalContribution]) -> list[schemas.MedicalOut]:
    return [schemas.MedicalOut(month=f"{r.month:%Y-%m}", amount=rules._yuan(r.amount_fen), payer=r.payer,
                               payer_label="失业保险基金代缴", trace=[StepOut(**s) for s in r.trace]) for r in rows]


def mine(session: Session, *, actor: Principal) -> schemas.MineOut:
    """The signed-in citizen's registrations, benefits, payments and the medical contributions paid for them."""
    if actor.kind != "citizen":
        raise Unauthorized("请使用个人入口登录", code="renshe:auth/wrong-entrance")
    person_pk = registry.person_pk(session, public_id=actor.subject)
    if person_pk is None:
        raise NotFound("您的人员信息", code="renshe:person/not-found")
    found = benefits_of(session, person_id=person_pk)
    paid: list[BenefitPaymentRow] = []
    medical: list[MedicalContribution] = []
    for row in found:
        paid += payments_of(session, benefit=row, limit=200)[0]
        medical += medical_of(session, benefit=row)
    return schemas.MineOut(
        registrations=[registration_out(session, r) for r in registrations_of(session, person_id=person_pk)],
        benefits=[benefit_out(session, b) for b in found], payments=payments_out(session, paid),
        medical=medical_out(medical))


def window_registration(session: Session, *, actor: Principal, data: schemas.RegistrationIn,
                        on: date) -> UnemploymentRegistration:
    """A clerk registers a person at the window (窗口办理失业登记)."""
    person = registry.person_by_id_number(session, id_number=data.id_number)
    if person is None:
        raise rules.UnemploymentRuleError("person-not-registered", "id_number",
                                          "该人员不在人员基础库中，请先办理人员登记")
    return register(session, actor=actor, person=person, data=NewRegistration(
        place=data.place, division_code=data.division_code or person.residence_division, channel="window",
        registered_on=on, job_intention=data.job_intention, separation_date=data.separation_date,
        former_employer=data.former_employer))


def registration_of_application(session: Session, *, actor: Principal, person: registry.Person,
                                data: dict[str, Any], number: str, on: date) -> UnemploymentRegistration:
    """The hall's 失业登记 item decided: the registration at the person's residence, from the form."""
    return register(session, actor=actor, person=person, data=registration_form(person, data, on, number))


def registration_form(person: registry.Person, data: dict[str, Any], on: date,
                      number: str | None) -> NewRegistration:
    separation = str(data.get("separation_date") or "")
    try:
        when = date.fromisoformat(separation) if separation else None
    except ValueError:
        raise rules.UnemploymentRuleError("separation-date", "separation_date", "失业日期格式应为YYYY-MM-DD") from None
    return NewRegistration(place="residence", division_code=str(data.get("residence_division") or
                                                                person.residence_division),
                           channel="online", registered_on=on, job_intention=str(data.get("job_intention") or ""),
                           separation_date=when, former_employer=str(data.get("former_employer") or "") or None,
                           application_number=number)


def statistics(session: Session, *, prefix: str, months: list[str]) -> dict[str, Any]:
    """For the supervisor's dashboard, within the division PREFIX: people registered now, registrations and
    exits a month over MONTHS (`core.monthly`), exits by reason, benefit recipients in payment and the benefit
    paid a month (fen)."""
    since = monthly.first_day(months)
    reg = UnemploymentRegistration
    mine = reg.division_code.startswith(prefix)
    open_now = session.scalar(select(func.count()).select_from(reg).where(mine, reg.status == "open")) or 0
    registered = session.execute(select(reg.registered_on, func.count()).where(mine, reg.registered_on >= since)
                                 .group_by(reg.registered_on)).all()
    exited = session.execute(select(reg.exited_on, func.count()).where(mine, reg.exited_on >= since)
                             .group_by(reg.exited_on)).all()
    reasons = session.execute(select(reg.exit_reason, func.count()).where(mine, reg.exited_on >= since)
                              .group_by(reg.exit_reason).order_by(func.count().desc())).all()
    ben = UnemploymentBenefit
    in_payment = session.scalar(select(func.count()).select_from(ben).where(
        ben.division_code.startswith(prefix), ben.status == "in_payment")) or 0
    paid = session.execute(select(BenefitPaymentRow.month, func.sum(BenefitPaymentRow.amount_fen))
                           .join(ben, ben.id == BenefitPaymentRow.benefit_id)
                           .where(ben.division_code.startswith(prefix), BenefitPaymentRow.month >= since)
                           .group_by(BenefitPaymentRow.month)).all()
    return {"registered_open": int(open_now), "benefit_in_payment": int(in_payment),
            "registrations": monthly.by_month([(d, n) for d, n in registered], months),
            "exits": monthly.by_month([(d, n) for d, n in exited], months),
            "exit_reasons": [(str(r), codes.EXIT_REASONS.get(str(r), "其他"), int(n)) for r, n in reasons],
            "benefit_paid_fen": monthly.by_month([(d, n) for d, n in paid], months)}
