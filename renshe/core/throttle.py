"""Sign-in abuse limits: one-time codes sent, wrong codes, wrong passwords (issue 9, item 3).

- Codes sent: a cooldown and a daily cap per resident ID number (whether or not it is registered, so the
  answer never tells), a rate and a daily cap per client address, and a cooldown and daily cap per phone
  (the phone's limit is silent: the answer stays the same, the message is not sent).
- Wrong codes: a budget per ID number across codes; once spent, code sign-in is refused for a while.
- Wrong passwords (staff, employer agents): a budget per account name (known or not) and per address;
  once spent, sign-in is refused for a while, the right password included.

Every refusal is a 429 `renshe:auth/too-many` with `Retry-After` and an audit row; every lockout is
audited when it starts. The counters live in `limits.counters()`: Redis when configured, else the
database, so the limits hold across worker processes. A password failure is counted without holding the
writer's turn during the password check: on a reading session the database counter is written right
after the route with the audit row (`db.defer_write`), and until then this process counts the attempt as
in flight, so parallel guesses cannot overtake the count.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

from renshe.core import audit, db, limits
from renshe.core.auth import Principal
from renshe.core.context import current
from renshe.core.errors import TooManyRequests
from renshe.core.limits import Rule
from renshe.core.settings import get_settings

DAY = 24 * 3600
TOO_MANY = "renshe:auth/too-many"
IN_FLIGHT_SECONDS = 30.0  # an attempt in flight longer than this no longer counts (a lost deferred write)


def _address() -> str:
    return current.get().client_addr[:64]


def _wait(seconds: int) -> str:
    return f"{max(1, -(-seconds // 60))}分钟" if seconds >= 60 else f"{seconds}秒"


def refusal(detail: str, verdict: limits.Verdict, *, actor: Principal, action: str, entity_type: str,
            entity_id: str) -> TooManyRequests:
    """The 429 for a refused sign-in step; the web layer audits it (`audit` hint) like a denial."""
    error = TooManyRequests(f"{detail}，请{_wait(verdict.retry_after)}后再试", retry_after=verdict.retry_after,
                            code=TOO_MANY)
    error.audit = {"actor": actor, "action": action, "entity_type": entity_type, "entity_id": entity_id[:64]}
    return error


def _live(rules: list[Rule]) -> list[Rule]:
    return [r for r in rules if r.limit > 0 and r.seconds > 0]  # 0 turns a limit off


# ---------------------------------------------------------------------------- one-time codes


def admit_code_request(session: Session, *, subject: str, actor: Principal, entity_id: str) -> None:
    """Count a code request for an ID number (its blind index, `subject`) from this address, or refuse
    it (429) when the number's cooldown or daily cap, or the address's rate or daily cap, is reached."""
    settings = get_settings()
    address = _address()
    rules = _live([
        Rule(f"code-wait:id:{subject}", 1, settings.otp_cooldown_seconds),
        Rule(f"code-day:id:{subject}", settings.otp_daily_per_number, DAY),
        Rule(f"code-minute:addr:{address}", settings.otp_address_per_minute, 60),
        Rule(f"code-day:addr:{address}", settings.otp_address_daily, DAY),
    ])
    verdict = limits.counters().hit(session, rules) if rules else limits.ALLOWED
    if not verdict.allowed:
        raise refusal("获取验证码过于频繁", verdict, actor=actor, action="auth.citizen_code", entity_type="person",
                      entity_id=entity_id)


def admit_code_to_phone(session: Session, *, phone_index: str) -> bool:
    """Whether a code may go to this phone now (its cooldown and daily cap); counted when it may. The
    caller answers the same either way and only leaves the message unsent."""
    settings = get_settings()
    rules = _live([Rule(f"code-wait:phone:{phone_index}", 1, settings.otp_cooldown_seconds),
                   Rule(f"code-day:phone:{phone_index}", settings.otp_daily_per_number, DAY)])
    return not rules or limits.counters().hit(session, rules).allowed


def _code_rule(subject: str) -> Rule:
    settings = get_settings()
    return Rule(f"code-fail:id:{subject}", settings.otp_failure_limit, settings.otp_failure_window_minutes * 60)


def check_code_budget(session: Session, *, subject: str, actor: Principal, entity_id: str) -> None:
    """Refuse (429) code sign-in for an ID number whose wrong-code budget is spent, whatever the code."""
    rules = _live([_code_rule(subject)])
    verdict = limits.counters().peek(session, rules) if rules else limits.ALLOWED
    if not verdict.allowed:
        raise refusal("验证码错误次数过多，该身份号码暂停验证码登录", verdict, actor=actor,
                      action="auth.citizen_sign_in", entity_type="person", entity_id=entity_id)


def code_failed(session: Session, *, subject: str, actor: Principal, entity_id: str) -> None:
    """Count a wrong code against the number's budget (across codes); audit the lockout it starts."""
    rule = _code_rule(subject)
    if not _live([rule]):
        return
    lockout = get_settings().otp_lockout_minutes * 60
    count = limits.counters().fail(session, rule, lockout_seconds=lockout)
    if count == rule.limit:
        audit.record(session, actor=actor, action="auth.lockout", entity_type="person", entity_id=entity_id[:64],
                     after={"failures": count, "lockout_minutes": lockout // 60, "what": "code"}, outcome="denied")


def code_succeeded(session: Session, *, subject: str) -> None:
    limits.counters().clear(session, _code_rule(subject).key)


# ---------------------------------------------------------------------------- passwords


class InFlight:
    """Password checks under way in this process, per counter key (added to the stored failures)."""

    def __init__(self) -> None:
        self._started: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def add(self, key: str, now: float) -> int:
        """Count one more in flight; return how many others were (one step, so two threads cannot both
        take the last place)."""
        with self._lock:
            started = self._started.setdefault(key, [])
            started[:] = [t for t in started if now - t < IN_FLIGHT_SECONDS]
            others = len(started)
            started.append(now)
            if len(self._started) > 10_000:
                self._started = {k: v for k, v in self._started.items() if v}
            return others

    def remove(self, key: str, started: float) -> None:
        with self._lock:
            times = self._started.get(key)
            if times and started in times:
                times.remove(started)
            if not times:
                self._started.pop(key, None)


in_flight = InFlight()


class PasswordAttempt:
    """One password check: `failed()` or `succeeded()` records its outcome."""

    def __init__(self, session: Session, rules: list[Rule], *, actor: Principal, kind: str, account: str) -> None:
        self.session = session
        self.rules = rules
        self.actor = actor
        self.kind = kind
        self.account = account
        self.started = time.monotonic()
        self._released = False
        self.deferred = False  # the failure is written after the route, which releases the attempt
        self.others = [in_flight.add(rule.key, self.started) for rule in rules]  # other checks in flight

    def release(self) -> None:
        if not self._released:
            self._released = True
            for rule in self.rules:
                in_flight.remove(rule.key, self.started)

    def _record(self, write: Session) -> None:
        lockout = get_settings().password_lockout_minutes * 60
        try:
            for rule in self.rules:
                count = limits.counters().fail(write, rule, lockout_seconds=lockout)
                if count == rule.limit:
                    by_address = rule.key.startswith("password-fail:addr:")
                    audit.record(write, actor=self.actor, action="auth.lockout",
                                 entity_type="address" if by_address else self.kind,
                                 entity_id=_address() if by_address else self.account[:64],
                                 after={"failures": count, "lockout_minutes": lockout // 60, "what": "password"},
                                 outcome="denied")
        finally:
            self.release()

    def failed(self) -> None:
        """Count the failure against the account and the address. On a reading session with the database
        store it is written right after the route (with the audit row), still counted in flight until then."""
        if db.is_reading(self.session) and isinstance(limits.counters(), limits.DatabaseCounters):
            ctx = current.get()

            def later(write: Session) -> None:
                token = current.set(ctx)
                try:
                    self._record(write)
                finally:
                    current.reset(token)

            self.deferred = True
            db.defer_write(self.session, later)
        else:
            self._record(self.session)

    def succeeded(self) -> None:
        """The right password: the account's failures are forgotten (the address's are not)."""
        key = self.rules[0].key if self.rules and not self.rules[0].key.startswith("password-fail:addr:") else None
        self.release()
        if key is None:
            return
        if db.is_reading(self.session) and isinstance(limits.counters(), limits.DatabaseCounters):
            db.defer_write(self.session, lambda write: limits.counters().clear(write, key))
        else:
            limits.counters().clear(self.session, key)


def _password_rules(kind: str, account: str) -> list[Rule]:
    settings = get_settings()
    window = settings.password_failure_window_minutes * 60
    return _live([Rule(f"password-fail:{kind}:{account.strip().lower()[:100]}", settings.password_failure_limit,
                       window),
                  Rule(f"password-fail:addr:{_address()}", settings.password_address_failure_limit, window)])


@contextmanager
def password_attempt(session: Session, *, kind: str, account: str, actor: Principal, action: str,
                     entity_type: str) -> Iterator[PasswordAttempt]:
    """Refuse (429) a password sign-in while the account or the address is locked out, before the password
    is checked; otherwise yield the attempt, counted in flight until its outcome is recorded."""
    rules = _password_rules(kind, account)
    attempt = PasswordAttempt(session, rules, actor=actor, kind=kind, account=account)
    # The stored failures and the checks in flight in this process together stay within each budget.
    room = [Rule(rule.key, rule.limit - others, rule.seconds)
            for rule, others in zip(rules, attempt.others, strict=True)]
    lockout = get_settings().password_lockout_minutes * 60
    full = [rule for rule in room if rule.limit <= 0]
    verdict = (limits.Verdict(False, full[0].key, lockout) if full else
               limits.counters().peek(session, room) if room else limits.ALLOWED)
    if not verdict.allowed:
        attempt.release()
        raise refusal("登录失败次数过多，已暂时锁定", verdict, actor=actor, action=action,
                      entity_type=entity_type, entity_id=account)
    try:
        yield attempt
    finally:
        if not attempt.deferred:
            attempt.release()
