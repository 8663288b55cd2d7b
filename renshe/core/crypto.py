"""Field encryption (AES-256-GCM), keyed blind indexes (HMAC-SHA256), SM3 digests, HMAC-SM3 (the audit
chain's key) and PII masking."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections import deque
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat
from operator import itemgetter

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
        self._states: dict[str, tuple[hashlib._Hash, hashlib._Hash]] = {}  # purpose: (inner, outer) HMAC states

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

    def blind_indexes(self, values: Sequence[bytes], *, purpose: str) -> list[bytes]:
        """`blind_index` of many values (given as UTF-8 bytes), in order.

        HMAC (RFC 2104) from SHA-256 states with the key pads and the purpose already absorbed, so a
        value costs two state copies and two one-block hashes, where `hmac.digest` sets the key up
        again on every call; each step is a `map` over a batch, so no Python frame runs per value."""
        inner, outer = self._index_states(purpose)
        state = type(inner)
        indexes: list[bytes] = []
        for start in range(0, len(values), _INDEX_BATCH):
            batch = values[start:start + _INDEX_BATCH]
            inners = list(map(state.copy, repeat(inner, len(batch))))
            deque(map(state.update, inners, batch), maxlen=0)
            outers = list(map(state.copy, repeat(outer, len(batch))))
            deque(map(state.update, outers, map(state.digest, inners)), maxlen=0)
            indexes += map(_INDEX_BYTES, map(state.digest, outers))
        return indexes

    def _index_states(self, purpose: str) -> tuple[hashlib._Hash, hashlib._Hash]:
        if purpose in self._states:
            return self._states[purpose]
        key = self._index_key if len(self._index_key) <= 64 else hashlib.sha256(self._index_key).digest()
        key = key.ljust(64, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        inner.update(f"{purpose}:".encode())
        self._states[purpose] = inner, hashlib.sha256(bytes(b ^ 0x5C for b in key))
        return self._states[purpose]


_INDEX_BATCH = 8192
_INDEX_BYTES = itemgetter(slice(0, 20))


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
