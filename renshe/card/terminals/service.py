"""Rules of scan terminals (受理终端): registration with a secret shown once, listing, stopping and
allowing again, and authentication of a terminal's scan request.

A terminal's credentials are read once and kept by key for `CACHE_SECONDS` (the scan endpoint
authenticates every request); a change in this process drops the entry at once, a change made by
another worker process is seen within `CACHE_SECONDS`."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from renshe.card import common, policy, schemas
from renshe.card.models import ScanRecord, Terminal
from renshe.card.terminals.scenarios import scenario_catalog, scenario_label
from renshe.core import audit, divisions
from renshe.core.auth import Principal
from renshe.core.errors import FieldError, NotFound, Unauthorized, ValidationFailed

CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class ScanTerminal:
    """What a scan needs of its terminal (a snapshot, safe to keep between requests)."""

    id: int
    public_id: str
    key_id: str
    name: str
    scenario: str
    division_code: str


@dataclass(frozen=True)
class _Credentials:
    terminal: ScanTerminal
    secret_hash: bytes
    active: bool
    loaded: float


_credentials: dict[str, _Credentials] = {}
_lock = threading.Lock()


def forget_terminal(key_id: str) -> None:
    """Drop a terminal's cached credentials (after a change to it)."""
    with _lock:
        _credentials.pop(key_id, None)


def register_terminal(session: Session, *, actor: Principal, data: schemas.TerminalIn) -> tuple[Terminal, str]:
    """Register a scan terminal with its scenario and division; the secret is returned once."""
    policy.require(actor, "card.configure")
    errors: list[FieldError] = []
    if data.scenario not in scenario_catalog():
        errors.append(FieldError("scenario", "renshe:card/scenario", "未知的用卡场景"))
    division = divisions.get(data.division_code)
    if division is None or not division.current or division.level == "province":
        errors.append(FieldError("division_code", "renshe:card/terminal-division",
                                 "请填写现行的市级或县级行政区划代码"))
    if errors:
        raise ValidationFailed(errors)
    policy.require(actor, "card.terminal_add", data.division_code)
    secret = secrets.token_urlsafe(32)
    terminal = Terminal(key_id=f"t{secrets.token_hex(10)}",
                        secret_hash=common.secret_hash(secret, common.TERMINAL_PURPOSE),
                        name=data.name.strip(), scenario=data.scenario, division_code=data.division_code,
                        created_by=actor.subject)
    session.add(terminal)
    session.flush()
    audit.record(session, actor=actor, action="card.terminal_add", entity_type="card_terminal",
                 entity_id=terminal.public_id, after={"name": terminal.name, "scenario": terminal.scenario,
                                                      "division_code": terminal.division_code})
    return terminal, secret


def terminal_out(terminal: Terminal) -> schemas.TerminalOut:
    return schemas.TerminalOut(public_id=terminal.public_id, key_id=terminal.key_id, name=terminal.name,
                               scenario=terminal.scenario, scenario_label=scenario_label(terminal.scenario),
                               division_code=terminal.division_code, active=terminal.active,
                               created_at=terminal.created_at)


def list_terminals(session: Session, *, actor: Principal) -> list[Terminal]:
    policy.require(actor, "card.configure")
    stmt = select(Terminal)
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Terminal.division_code.startswith(prefix))
    return list(session.scalars(stmt.order_by(Terminal.id).limit(500)))


def last_scans(session: Session, terminals: list[Terminal]) -> dict[int, datetime]:
    """When each of these terminals last scanned a code (one grouped query on the indexed column)."""
    if not terminals:
        return {}
    stmt = (select(ScanRecord.terminal_id, func.max(ScanRecord.at))
            .where(ScanRecord.terminal_id.in_([t.id for t in terminals])).group_by(ScanRecord.terminal_id))
    return {terminal_id: at for terminal_id, at in session.execute(stmt) if at is not None}


def set_terminal_active(session: Session, *, actor: Principal, public_id: str, active: bool) -> Terminal:
    """Stop (or allow again) a terminal's scans: a disabled terminal fails authentication (audited)."""
    policy.require(actor, "card.configure")
    terminal = session.scalar(select(Terminal).where(Terminal.public_id == public_id))
    if terminal is None:
        raise NotFound("该受理终端", code="renshe:card/terminal-not-found")
    policy.require(actor, "card.terminal_change", terminal.division_code)
    if terminal.active == active:
        raise common.card_error("terminal-unchanged", "该受理终端已启用" if active else "该受理终端已停用")
    terminal.active = active
    session.flush()
    forget_terminal(terminal.key_id)
    audit.record(session, actor=actor, action="card.terminal_enable" if active else "card.terminal_disable",
                 entity_type="card_terminal", entity_id=terminal.public_id,
                 before={"active": not active}, after={"active": active})
    return terminal


def _load_credentials(session: Session, key_id: str) -> _Credentials | None:
    now = time.monotonic()
    cached = _credentials.get(key_id)
    if cached is not None and now - cached.loaded < CACHE_SECONDS:
        return cached
    row = session.execute(select(Terminal.id, Terminal.public_id, Terminal.secret_hash, Terminal.name,
                                 Terminal.scenario, Terminal.division_code, Terminal.active)
                          .where(Terminal.key_id == key_id)).first()
    if row is None:
        forget_terminal(key_id)  # unknown keys are not kept: a caller could fill memory with them
        return None
    found = _Credentials(ScanTerminal(row.id, row.public_id, key_id, row.name, row.scenario, row.division_code),
                         bytes(row.secret_hash), bool(row.active), now)
    with _lock:
        _credentials[key_id] = found
    return found


def authenticate_terminal(session: Session, *, key_id: str | None, secret: str | None) -> ScanTerminal:
    """The terminal whose key and secret these are, if it is active; else a 401 (audited)."""
    found = _load_credentials(session, key_id) if key_id else None
    if (found is None or not found.active or not secret
            or not hmac.compare_digest(found.secret_hash, common.secret_hash(secret, common.TERMINAL_PURPOSE))):
        error = Unauthorized("受理终端身份无效", code="renshe:card/terminal-auth")
        who = (key_id or "-")[:40]
        error.audit = {"actor": Principal(kind="terminal", subject=who, display_name=""),
                       "action": "card.scan", "entity_type": "card_terminal", "entity_id": who}
        raise error
    return found.terminal
