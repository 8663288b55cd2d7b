"""Field encryption (AES-256-GCM), keyed blind indexes (HMAC-SHA256), SM3 digests, HMAC-SM3 (the audit
chain's key) and PII masking."""

from __future__ import annotations

import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from renshe.core.settings import get_settings

_VERSION = b"\x01"


class FieldCipher:
    """Encrypts one PII value per call; the column name is bound in as associated data."""

    def __init__(self, data_key: bytes, index_key: bytes) -> None:
        self._aead = AESGCM(data_key)
        self._index_key = index_key

    def encrypt(self, plaintext: str, *, purpose: str) -> bytes:
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext.encode(), purpose.encode())

    def decrypt(self, token: bytes, *, purpose: str) -> str:
        if token[:1] != _VERSION:
            raise ValueError("unknown field-encryption version")
        return self._aead.decrypt(token[1:13], token[13:], purpose.encode()).decode()

    def blind_index(self, value: str, *, purpose: str) -> bytes:
        """Deterministic keyed digest for equality lookups without storing the value."""
        return hmac.digest(self._index_key, f"{purpose}:{value}".encode(), "sha256")[:20]  # one-shot, in C


@lru_cache
def cipher() -> FieldCipher:
    settings = get_settings()
    return FieldCipher(settings.key_bytes("data"), settings.key_bytes("index"))


def sm3_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    """HMAC (RFC 2104) over SM3, as GB/T 15852.2 and GM/T 0042 use it; hex digest."""
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(data)
    return mac.finalize().hex()


def audit_key() -> bytes:
    """The audit chain's HMAC-SM3 key (RENSHE_AUDIT_KEY, or the development key file)."""
    return get_settings().key_bytes("audit")


def mask_id_number(value: str) -> str:
    """110105********002X: area code and the last four characters stay visible."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_bank_account(value: str) -> str:
    """6222 **** **** 1234 style: first four and last four digits."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """张*明: family name and the last character; used where a subject must be partly hidden."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
