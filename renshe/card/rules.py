"""Pure rules of the card capability: the lifecycle as data, card numbers, bank accounts, e-SSC codes.

Nothing here touches the database, so each rule can be tested alone (and with hypothesis).
"""

from __future__ import annotations

import base64
import json
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime

from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_11_10

# ---------------------------------------------------------------- lifecycle (社会保障卡状态机)

STATUS_LABELS: dict[str, str] = {
    "applied": "已申请",
    "in_production": "制卡中",
    "produced": "已制卡",
    "issued": "已发卡",
    "active": "正常（已启用）",
    "lost": "已挂失",
    "replaced": "已补换（旧卡作废）",
    "cancelled": "已注销",
}
# States a person may hold only one card in at a time: everything but the two ends.
LIVE_STATES = frozenset({"applied", "in_production", "produced", "issued", "active", "lost"})
TERMINAL_STATES = frozenset({"replaced", "cancelled"})


@dataclass(frozen=True)
class Transition:
    """One allowed move: from any of `sources` to `target`, by whom, and under what name."""

    name: str
    sources: frozenset[str]
    target: str
    label: str
    citizen_may: bool = False  # a citizen may do this online for their own card


TRANSITIONS: dict[str, Transition] = {t.name: t for t in (
    Transition("batch", frozenset({"applied"}), "in_production", "编入制卡批次"),
    Transition("produce", frozenset({"in_production"}), "produced", "制卡完成"),
    Transition("issue", frozenset({"produced"}), "issued", "发卡"),
    Transition("activate", frozenset({"issued"}), "active", "启用", citizen_may=False),
    Transition("report_loss", frozenset({"active"}), "lost", "挂失", citizen_may=True),
    Transition("release", frozenset({"lost"}), "active", "解挂"),
    Transition("replace", frozenset({"active", "lost"}), "replaced", "补换（旧卡作废）", citizen_may=True),
    Transition("cancel", frozenset({"applied", "in_production", "produced", "issued", "active", "lost"}),
               "cancelled", "注销"),
)}
if not all(t.target in STATUS_LABELS and t.sources <= set(STATUS_LABELS) for t in TRANSITIONS.values()):
    raise RuntimeError("a card transition names an unknown status")


def transition_for(name: str, status: str) -> Transition | None:
    """The transition `name` if the card's current status allows it, else None."""
    transition = TRANSITIONS.get(name)
    if transition is None or status not in transition.sources:
        return None
    return transition


def allowed_transitions(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


# ---------------------------------------------------------------- card number (卡号)

# Nine characters: a series letter (no I or O, which read as 1 and 0), a seven-digit serial, and an
# ISO/IEC 7064 MOD 11,10 check digit over the serial. "A0000001" + check, then "A0000002" ... "Z9999999".
SERIES = "ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL_SPACE = 10_000_000
CARD_NUMBER = re.compile(r"[A-HJ-NP-Z][0-9]{8}")


def card_number(serial: int) -> str:
    """The card number of the `serial`-th card (1-based) ever made by this deployment."""
    if serial < 1 or serial >= len(SERIES) * SERIAL_SPACE:
        raise ValueError(f"card serial {serial} outside 1..{len(SERIES) * SERIAL_SPACE - 1}")
    series, number = divmod(serial, SERIAL_SPACE)
    digits = f"{number:07d}"
    return SERIES[series] + digits + mod_11_10.calc_check_digit(digits)


def is_valid_card_number(value: str) -> bool:
    value = value.strip().upper()
    return bool(CARD_NUMBER.fullmatch(value)) and mod_11_10.is_valid(value[1:])


def serial_of(value: str) -> int:
    if not is_valid_card_number(value):
        raise ValueError(f"not a card number: {value!r}")
    return SERIES.index(value[0].upper()) * SERIAL_SPACE + int(value[1:8])


# ---------------------------------------------------------------- bank account of the financial function

BANK_ACCOUNT = re.compile(r"[0-9]{16,19}")  # ASCII digits only: \d also matches other scripts


def bank_account_problem(value: str) -> str | None:
    """None when the account number is well formed (16-19 digits, Luhn), else the reason in Chinese."""
    compact = value.replace(" ", "")
    if not BANK_ACCOUNT.fullmatch(compact):
        return "银行卡号应为16至19位数字"
    try:
        luhn.validate(compact)
    except StdnumError:
        return "银行卡号校验位不正确，请核对"
    return None


# ---------------------------------------------------------------- the e-SSC dynamic code (电子社保卡二维码)

CODE_PREFIX = "SSC1"
# version (1) | key id (2) | e-SSC reference (16) | issued at (4) | expires at (4) | nonce (8), big-endian,
# times in Unix seconds; then the Ed25519 signature (64) over those 35 bytes. Published in docs/formats.md.
_BODY = struct.Struct(">BH16sII8s")
CODE_VERSION = 2  # version 1 had no expiry in the code (its 60 s lived only in the scanner's settings)
SIGNATURE_BYTES = 64  # Ed25519


@dataclass(frozen=True)
class CodeBody:
    key_id: int
    reference: bytes  # 16 bytes: the e-SSC's public id, never the ID number
    issued_at: datetime
    expires_at: datetime  # signed: a scanner refuses the code from this second on
    nonce: bytes  # 8 bytes

    def pack(self) -> bytes:
        return _BODY.pack(CODE_VERSION, self.key_id, self.reference, int(self.issued_at.timestamp()),
                          int(self.expires_at.timestamp()), self.nonce)


class MalformedCode(ValueError):
    """The text is not an e-SSC code of this platform (bad prefix, encoding or length)."""


def encode_code(body: CodeBody, signature: bytes) -> str:
    """`SSC1` + base64url(body ‖ signature): 136 characters, a version-8 QR code (49 × 49 modules) at level M."""
    return CODE_PREFIX + base64.urlsafe_b64encode(body.pack() + signature).decode().rstrip("=")


def decode_code(text: str) -> tuple[CodeBody, bytes, bytes]:
    """Split a code into its body, the signed bytes and the signature (the signature is not checked here)."""
    text = text.strip()
    if not text.startswith(CODE_PREFIX):
        raise MalformedCode("prefix")
    raw_text = text[len(CODE_PREFIX):]
    try:
        raw = base64.urlsafe_b64decode(raw_text + "=" * (-len(raw_text) % 4))
    except ValueError:
        raise MalformedCode("encoding") from None
    if len(raw) != _BODY.size + SIGNATURE_BYTES:
        raise MalformedCode("length")
    signed, signature = raw[:_BODY.size], raw[_BODY.size:]
    version, key_id, reference, issued, expires, nonce = _BODY.unpack(signed)
    if version != CODE_VERSION:
        raise MalformedCode("version")
    body = CodeBody(key_id, reference, datetime.fromtimestamp(issued, UTC), datetime.fromtimestamp(expires, UTC), nonce)
    return body, signed, signature


def money(fen: int) -> str:
    """Integer fen as a string of yuan with two decimals (API convention)."""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan}.{cents:02d}"


# ---------------------------------------------------------------- compact JWS with Ed25519 (RFC 7515, RFC 8037)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jws_signing_input(header: dict[str, object], payload: dict[str, object]) -> bytes:
    def part(value: dict[str, object]) -> str:
        return b64url(json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode())

    return f"{part(header)}.{part(payload)}".encode()


class BadSignature(ValueError):
    """A JWS that does not verify with any of the given keys (or is not a JWS)."""


def verify_jws(token: str, public_keys: dict[str, bytes]) -> dict[str, object]:
    """Check an EdDSA compact JWS against raw Ed25519 public keys by `kid`; return its payload.

    This is what a third-party app does with the platform's published keys (`/api/v1/card/keys`).
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        header_text, payload_text, signature_text = token.split(".")
        header = json.loads(unb64url(header_text))
        if header.get("alg") != "EdDSA":
            raise BadSignature("alg")
        key = public_keys.get(str(header.get("kid")))
        if key is None:
            raise BadSignature("kid")
        Ed25519PublicKey.from_public_bytes(key).verify(unb64url(signature_text),
                                                       f"{header_text}.{payload_text}".encode())
        payload: dict[str, object] = json.loads(unb64url(payload_text))
    except (ValueError, InvalidSignature) as exc:
        raise BadSignature(str(exc) or "signature") from None
    return payload
