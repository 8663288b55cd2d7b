"""W3C Bitstring Status List v1.0: one bit per certificate per purpose, GZIP then base64url with the
multibase prefix 'u'. Index 0 is the left-most bit of the first byte."""

from __future__ import annotations

import base64
import gzip

SIZE = 131_072  # the spec's minimum, for herd privacy
PURPOSES = ("revocation", "suspension")


def empty() -> bytes:
    return bytes(SIZE // 8)


def get_bit(bits: bytes, index: int) -> bool:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(index)
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def set_bit(bits: bytes, index: int, value: bool) -> bytes:
    if not 0 <= index < len(bits) * 8:
        raise IndexError(index)
    data = bytearray(bits)
    mask = 0x80 >> (index % 8)
    if value:
        data[index // 8] |= mask
    else:
        data[index // 8] &= ~mask & 0xFF
    return bytes(data)


def encode(bits: bytes) -> str:
    """GZIP (fixed mtime, so the same list always encodes the same), base64url, multibase 'u'."""
    return "u" + base64.urlsafe_b64encode(gzip.compress(bits, mtime=0)).rstrip(b"=").decode()


def decode(encoded: str) -> bytes:
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url ('u' prefix)")
    body = encoded[1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    if len(bits) * 8 < SIZE:
        raise ValueError(f"a status list has at least {SIZE} entries")
    return bits
