"""The scan of an e-SSC code by a terminal (扫码核验), the hot path of the card: one signature check,
one read of the e-SSC with its card, the replay nonce inserted without a savepoint (the unique
constraint decides a concurrent replay), and the scan logged in the request's own transaction.
Also the citizen's scan history (用码记录) and the purge of spent nonces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from cryptography.exceptions import InvalidSignature
from sqlalchemy import Table, bindparam, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from renshe.card import common, rules, schemas
from renshe.card.essc import keys
from renshe.card.lifecycle import service as lifecycle
from renshe.card.models import Card, ElectronicCard, ScanRecord, Terminal, UsedCodeNonce
from renshe.card.terminals.scenarios import scenario_allowed, scenario_label
from renshe.card.terminals.service import authenticate_terminal
from renshe.core import crypto, divisions
from renshe.core.auth import Principal
from renshe.core.errors import DomainError
from renshe.core.models import new_public_id
from renshe.registry import service as registry

REFUSALS: dict[str, tuple[str, str]] = {
    "code-forged": ("二维码无效：签名不正确或不是本平台签发的电子社保卡二维码", "二维码无效"),
    "code-expired": ("二维码已过期，请持卡人刷新后重新出示", "二维码已过期"),
    "code-replayed": ("该二维码已被使用过，每个二维码只能使用一次", "二维码已使用"),
    "card-lost": ("该社会保障卡已挂失，电子社保卡暂停使用", "社保卡已挂失"),
    "card-cancelled": ("该社会保障卡已注销或已补换，电子社保卡已失效", "社保卡已失效"),
    "card-inactive": ("该社会保障卡尚未启用，电子社保卡不能使用", "社保卡未启用"),
}


class ScanSite(Protocol):
    """The terminal a scan is made at (a `Terminal` row or an authenticated `ScanTerminal`)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def scenario(self) -> str: ...
    @property
    def division_code(self) -> str: ...


@dataclass
class ScanLog:
    """The scan's row of the log (用码记录), as written."""

    public_id: str
    at: datetime
    terminal_id: int
    scenario: str
    division_code: str
    result: str = "refused"
    essc_id: int | None = None
    person_id: int | None = None
    reason: str | None = None
    allowed: bool | None = None


@dataclass
class ScanOutcome:
    record: ScanLog
    answer: schemas.ScanOut | None
    error: DomainError | None


@dataclass(frozen=True)
class _Target:
    essc_id: int
    essc_status: str
    person_id: int
    card_status: str
    card_division: str


def refusal(reason: str) -> DomainError:
    detail, title = REFUSALS[reason]
    status = 410 if reason == "code-expired" else 409 if reason in {"code-replayed"} else 422
    if reason.startswith("card-"):
        status = 403
    return DomainError(f"renshe:card/{reason}", detail, status, title)


def scan(session: Session, *, terminal: ScanSite, code: str, now: datetime | None = None) -> ScanOutcome:
    """Check a scanned code and log the scan either way. A refusal is returned, not raised, so the
    caller can keep the log when it answers with the problem."""
    at = common.now_or(now)
    record = ScanLog(public_id=new_public_id(), at=at, terminal_id=terminal.id, scenario=terminal.scenario,
                     division_code=terminal.division_code)
    reason, body, target = _check_code(session, code, at)
    if target is not None:
        record.essc_id, record.person_id = target.essc_id, target.person_id
    if reason is not None or body is None or target is None:
        return _refuse(session, record, reason or "card-cancelled")
    if target.essc_status != "active" or target.card_status in rules.TERMINAL_STATES:
        return _refuse(session, record, "card-cancelled")
    if target.card_status == "lost":
        return _refuse(session, record, "card-lost")
    if target.card_status != "active":
        return _refuse(session, record, "card-inactive")
    if not _spend_nonce(session, body, target.essc_id):
        return _refuse(session, record, "code-replayed")
    person = registry.person_by_pk(session, target.person_id)
    if person is None:  # foreign key: cannot happen
        return _refuse(session, record, "card-cancelled")
    allowed, why = scenario_allowed(session, scenario=terminal.scenario, card_division=target.card_division,
                                    terminal_division=terminal.division_code)
    record.result, record.allowed, record.reason = "accepted", allowed, None if allowed else why
    _write(session, record)
    answer = schemas.ScanOut(
        scan_id=record.public_id, result="accepted",
        holder=schemas.HolderOut(name=crypto.mask_name(person.name), id_number=person.id_number_masked),
        card_status=target.card_status, card_status_label=rules.STATUS_LABELS[target.card_status],
        scenario=terminal.scenario, scenario_label=scenario_label(terminal.scenario), allowed=allowed,
        reason=None if allowed else why, terminal=terminal.name, division_code=terminal.division_code, at=at)
    return ScanOutcome(record, answer, None)


def scan_at_terminal(session: Session, *, key_id: str | None, secret: str | None, code: str,
                     now: datetime | None = None) -> ScanOutcome:
    """A terminal's scan request: authenticate the terminal (a 401 if it fails), then `scan`."""
    terminal = authenticate_terminal(session, key_id=key_id, secret=secret)
    return scan(session, terminal=terminal, code=code, now=now)


# The scan's statements are built once: building and coercing a statement costs more than running it.
_SCAN_LOG = insert(cast(Table, ScanRecord.__table__))
_NONCES = cast(Table, UsedCodeNonce.__table__)
# RETURNING tells whether a row went in (psycopg reports no row count for ON CONFLICT DO NOTHING)
_SPEND = {"sqlite": sqlite.insert(_NONCES).on_conflict_do_nothing(index_elements=["nonce"])
          .returning(_NONCES.c.id),
          "postgresql": postgresql.insert(_NONCES).on_conflict_do_nothing(index_elements=["nonce"])
          .returning(_NONCES.c.id)}
_TARGET = (select(ElectronicCard.id, ElectronicCard.status, ElectronicCard.person_id, Card.status,
                  Card.issuing_division)
           .join(Card, Card.id == ElectronicCard.card_id).where(ElectronicCard.public_id == bindparam("reference")))


def _write(session: Session, record: ScanLog) -> None:
    session.connection().execute(_SCAN_LOG, {
        "public_id": record.public_id, "at": record.at, "terminal_id": record.terminal_id, "essc_id": record.essc_id,
        "person_id": record.person_id, "scenario": record.scenario, "division_code": record.division_code,
        "result": record.result, "reason": record.reason, "allowed": record.allowed})


def _refuse(session: Session, record: ScanLog, reason: str) -> ScanOutcome:
    record.reason = f"renshe:card/{reason}"
    _write(session, record)
    return ScanOutcome(record, None, refusal(reason))


def _spend_nonce(session: Session, body: rules.CodeBody, essc_id: int) -> bool:
    """Record the code's nonce; False if it was already spent. `ON CONFLICT DO NOTHING` lets the unique
    constraint decide between concurrent scans of one code without a savepoint: on PostgreSQL the second
    insert waits for the first transaction and then inserts nothing."""
    connection = session.connection()
    stmt = _SPEND.get(connection.dialect.name)
    if stmt is None:  # pragma: no cover - the platform runs on SQLite and PostgreSQL only
        raise RuntimeError(f"no replay check for {connection.dialect.name}")
    result = connection.execute(stmt, {"nonce": body.nonce, "essc_id": essc_id,
                                       "expires_at": body.expires_at})
    return result.first() is not None


def _check_code(
    session: Session, code: str, at: datetime,
) -> tuple[str | None, rules.CodeBody | None, _Target | None]:
    """Why a code is refused before its card is looked at (or None), and what it refers to."""
    try:
        body, signed, signature = rules.decode_code(code)
    except rules.MalformedCode:
        return "code-forged", None, None
    key = keys.verifying_key(session, body.key_id)
    if key is None:
        return "code-forged", None, None
    try:
        key.verify(signature, signed)
    except InvalidSignature:
        return "code-forged", None, None
    # From here the code is ours, so its card is known: a refusal still goes into the holder's history.
    target = _target(session, body.reference)
    # The expiry is in the signed code (docs/formats.md), so every scanner applies the same rule.
    if body.issued_at > at + common.CLOCK_SKEW or at >= body.expires_at:
        return "code-expired", body, target
    return None, body, target


def _target(session: Session, reference: bytes) -> _Target | None:
    row = session.connection().execute(_TARGET, {"reference": reference.hex()}).first()
    return _Target(row[0], row[1], row[2], row[3], row[4]) if row is not None else None


def purge_used_nonces(session: Session, *, now: datetime | None = None) -> int:
    """Forget nonces of codes that have expired anyway (a replay of them is refused as expired)."""
    result = session.execute(delete(UsedCodeNonce).where(UsedCodeNonce.expires_at < common.now_or(now)))
    return int(getattr(result, "rowcount", 0) or 0)


def scan_history(session: Session, *, actor: Principal, limit: int = 50) -> list[schemas.ScanHistoryItem]:
    """Where and when the citizen's e-SSC was scanned, refused scans included (用码记录)."""
    person = lifecycle.citizen_person(session, actor)
    stmt = (select(ScanRecord, Terminal.name).join(Terminal, Terminal.id == ScanRecord.terminal_id)
            .where(ScanRecord.person_id == person.id).order_by(ScanRecord.at.desc(), ScanRecord.id.desc())
            .limit(max(1, min(limit, 200))))
    return [schemas.ScanHistoryItem(
        at=r.at, terminal=name, scenario=r.scenario, scenario_label=scenario_label(r.scenario),
        division_code=r.division_code, division_name=divisions.full_name(r.division_code) or r.division_code,
        result=r.result, result_label=common.SCAN_RESULT_LABELS[r.result],
        reason=REFUSALS.get((r.reason or "").removeprefix("renshe:card/"), (r.reason, ""))[1] or None
        if r.result == "refused" else r.reason,
        allowed=r.allowed) for r, name in session.execute(stmt)]
