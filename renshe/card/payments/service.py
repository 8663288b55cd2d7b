"""Rules of payments into the card (待遇进卡): idempotent by the payer's reference, held (暂缓) when the
person has no usable card account."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, and_, case, exists, func, insert, literal, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from renshe.card import common, policy, rules, schemas
from renshe.card.lifecycle import service as lifecycle
from renshe.card.models import BenefitPayment, Card
from renshe.core import audit, paging
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry


def payment_out(payment: BenefitPayment) -> schemas.PaymentOut:
    return schemas.PaymentOut(
        public_id=payment.public_id, reference=payment.reference, programme=payment.programme,
        programme_label=common.PROGRAMMES[payment.programme], amount_fen=payment.amount_fen,
        amount=rules.money(payment.amount_fen), period=payment.period, description=payment.description,
        status=payment.status, status_label=common.PAYMENT_STATUS_LABELS[payment.status],
        bank_account=payment.bank_account_masked, created_at=payment.created_at)


def credit_benefit(
    session: Session, *, actor: Principal, person: registry.Person, programme: str, amount_fen: int, period: str,
    reference: str, description: str = "",
) -> tuple[BenefitPayment, bool]:
    """Pay a benefit into the person's card account (待遇进卡); idempotent by the payer's reference.

    Returns the payment and whether it was created now. The same reference with other figures is a
    conflict; a person without a usable card account gets the payment recorded as held (暂缓).
    """
    policy.require(actor, "card.payment", person)
    errors: list[FieldError] = []
    if programme not in common.PROGRAMMES:
        errors.append(FieldError("programme", "renshe:card/programme", "未知的待遇项目"))
    if not isinstance(amount_fen, int) or amount_fen <= 0:
        errors.append(FieldError("amount_fen", "renshe:card/amount", "金额须为正整数（分）"))
    if len(period) != 7 or period[4] != "-" or not (period[:4].isdigit() and period[5:].isdigit()) \
            or not 1 <= int(period[5:]) <= 12:
        errors.append(FieldError("period", "renshe:card/period", "所属期格式应为 YYYY-MM"))
    if not 4 <= len(reference.strip()) <= 64:
        errors.append(FieldError("reference", "renshe:card/reference", "请填写付款方业务流水号"))
    if errors:
        raise ValidationFailed(errors)
    reference = reference.strip()
    existing = session.scalar(select(BenefitPayment).where(BenefitPayment.reference == reference))
    if existing is not None:
        return _same_payment(existing, person, programme, amount_fen, period), False
    card = lifecycle.live_card(session, person)
    usable = card is not None and card.status in {"active", "lost", "issued"} and card.bank_account_encrypted
    payment = BenefitPayment(
        reference=reference, person_id=person.id, card_id=card.id if usable and card else None, programme=programme,
        amount_fen=amount_fen, period=period, description=description.strip() or common.PROGRAMMES[programme],
        status="credited" if usable else "held", bank_account_masked=card.bank_account_masked if usable and card
        else None, posted_by=actor.subject, created_at=common.clock())
    try:
        with session.begin_nested():
            session.add(payment)
            session.flush()
    except IntegrityError:
        existing = session.scalar(select(BenefitPayment).where(BenefitPayment.reference == reference))
        if existing is None:
            raise
        return _same_payment(existing, person, programme, amount_fen, period), False
    audit.record(session, actor=actor, action=f"card.payment_{payment.status}", entity_type="person",
                 entity_id=person.public_id, after={
                     "reference": reference, "programme": programme, "amount_fen": amount_fen, "period": period,
                     "bank_account": payment.bank_account_masked})
    record_event(session, f"card.payment_{payment.status}", {
        "payment": payment.public_id, "reference": reference, "person": person.public_id, "programme": programme,
        "amount_fen": amount_fen, "period": period})
    return payment, True


def _same_payment(existing: BenefitPayment, person: registry.Person, programme: str, amount_fen: int,
                  period: str) -> BenefitPayment:
    if (existing.person_id, existing.programme, existing.amount_fen, existing.period) != (
            person.id, programme, amount_fen, period):
        raise common.card_error("payment-reference-conflict", "该业务流水号已用于另一笔不同的待遇发放")
    return existing


def payments_of(
    session: Session, *, person: registry.Person, limit: int = 50, cursor: str | None = None,
) -> tuple[list[BenefitPayment], str | None]:
    limit = max(1, min(limit, 200))
    stmt = (select(BenefitPayment).where(BenefitPayment.person_id == person.id,
                                         BenefitPayment.id > paging.decode_cursor(cursor))
            .order_by(BenefitPayment.id).limit(limit + 1))
    return common.page(list(session.scalars(stmt)), limit)


def credit_benefits_from(session: Session, *, actor: Principal, programme: str, rows: Select[Any],
                         batch: str) -> int:
    """Pay many benefits into cards in one INSERT … SELECT (待遇批量进卡), for a payer's monthly run.

    ROWS selects (reference, person_id, amount_fen, period, description); a reference already paid is
    skipped (idempotent as `credit_benefit`), a person without a usable card account gets a held row.
    One audit entry and one event name the batch. Returns how many payments were written."""
    if programme not in common.PROGRAMMES:
        raise ValidationFailed([FieldError("programme", "renshe:card/programme", "未知的待遇项目")])
    src = rows.subquery("src")
    card = Card.__table__.alias("c")
    usable = and_(card.c.status.in_(("active", "lost", "issued")), card.c.bank_account_encrypted.is_not(None))
    public_id = ("replace(CAST(gen_random_uuid() AS VARCHAR(36)), '-', '')"
                 if session.get_bind().dialect.name == "postgresql" else "lower(hex(randomblob(16)))")
    paid = BenefitPayment.__table__.alias("p")
    chosen = (select(literal_column(public_id), src.c.reference, src.c.person_id, case((usable, card.c.id)),
                     literal(programme), src.c.amount_fen, src.c.period, src.c.description,
                     case((usable, literal("credited")), else_=literal("held")),
                     case((usable, card.c.bank_account_masked)), literal(actor.subject), literal(common.clock()))
              .select_from(src.outerjoin(card, card.c.live_person_id == src.c.person_id))
              .where(~exists().where(paid.c.reference == src.c.reference)))
    # Counted, not read from the cursor's rowcount (the PostgreSQL driver may not report it for INSERT … SELECT).
    existing = select(func.count()).select_from(paid).where(paid.c.reference.in_(select(src.c.reference)))
    before = int(session.scalar(existing) or 0)
    session.execute(insert(BenefitPayment).from_select(
        ["public_id", "reference", "person_id", "card_id", "programme", "amount_fen", "period", "description",
         "status", "bank_account_masked", "posted_by", "created_at"], chosen))
    written = int(session.scalar(existing) or 0) - before
    if written:
        audit.record(session, actor=actor, action="card.payment_batch", entity_type="card_payment_batch",
                     entity_id=batch, after={"programme": programme, "payments": written})
        record_event(session, "card.payment_batch", {"batch": batch, "programme": programme, "payments": written})
    return written


def payments_by_reference(references: Select[Any]) -> Subquery:
    """(reference, status, public_id) of the card payments whose payer references REFERENCES selects: what a
    payer's batch records of each payment it made through `credit_benefits_from`, set-based."""
    paid = BenefitPayment.__table__.alias("card_paid")
    return (select(paid.c.reference, paid.c.status, paid.c.public_id)
            .where(paid.c.reference.in_(references)).subquery("card_paid"))


def payment_statuses(session: Session, *, references: list[str]) -> dict[str, str]:
    """The card status (credited | held) of each payer reference found (for the payer's own pages)."""
    if not references:
        return {}
    rows = session.execute(select(BenefitPayment.reference, BenefitPayment.status)
                           .where(BenefitPayment.reference.in_(references))).all()
    return {str(row[0]): str(row[1]) for row in rows}
