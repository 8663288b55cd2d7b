"""A small ASN.1 DER encoder and reader (ITU-T X.690), enough for the GB/T 38540 seal structures, the
SM2 signature value (GB/T 35276 `SM2Signature`) and the seal's X.509 certificate.

No listed dependency encodes arbitrary ASN.1 (`cryptography` builds X.509 only for the curves it
knows, and SM2 is not one of them), so the few types needed are written out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

SEQUENCE, SET = 0x30, 0x31
INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 0x02, 0x03, 0x04, 0x05, 0x06
UTF8_STRING, PRINTABLE_STRING, IA5_STRING = 0x0C, 0x13, 0x16
UTC_TIME, GENERALIZED_TIME, BOOLEAN = 0x17, 0x18, 0x01


class DerError(ValueError):
    """The bytes are not the DER expected here."""


def tlv(tag: int, value: bytes) -> bytes:
    n = len(value)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + value


def sequence(*items: bytes) -> bytes:
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    return tlv(SET, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)  # room for the sign bit
    return tlv(INTEGER, value.to_bytes(length, "big", signed=True))


def boolean(value: bool) -> bytes:
    return tlv(BOOLEAN, b"\xff" if value else b"\x00")


def oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray([40 * parts[0] + parts[1]])
    for part in parts[2:]:
        chunk = [part & 0x7F]
        part >>= 7
        while part:
            chunk.append(0x80 | (part & 0x7F))
            part >>= 7
        body += bytes(reversed(chunk))
    return tlv(OID, bytes(body))


def octet_string(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def bit_string(value: bytes) -> bytes:
    return tlv(BIT_STRING, b"\x00" + value)  # whole bytes: no unused bits


def utf8(text: str) -> bytes:
    return tlv(UTF8_STRING, text.encode())


def ia5(text: str) -> bytes:
    return tlv(IA5_STRING, text.encode("ascii"))


def printable(text: str) -> bytes:
    return tlv(PRINTABLE_STRING, text.encode("ascii"))


def generalized_time(moment: datetime) -> bytes:
    return tlv(GENERALIZED_TIME, moment.astimezone(UTC).strftime("%Y%m%d%H%M%SZ").encode())


def utc_time(moment: datetime) -> bytes:
    return tlv(UTC_TIME, moment.astimezone(UTC).strftime("%y%m%d%H%M%SZ").encode())


def x509_time(moment: datetime) -> bytes:
    """RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050."""
    return utc_time(moment) if moment.astimezone(UTC).year < 2050 else generalized_time(moment)


def explicit(number: int, inner: bytes) -> bytes:
    return tlv(0xA0 | number, inner)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Node:
    tag: int
    value: bytes  # the content octets
    raw: bytes  # tag, length and content

    def children(self) -> list[Node]:
        if not self.tag & 0x20:
            raise DerError(f"tag {self.tag:#x} is not constructed")
        return read_all(self.value)

    def integer(self) -> int:
        self.expect(INTEGER)
        return int.from_bytes(self.value, "big", signed=True)

    def bits(self) -> bytes:
        self.expect(BIT_STRING)
        if not self.value or self.value[0] != 0:
            raise DerError("bit string with unused bits")
        return self.value[1:]

    def text(self) -> str:
        if self.tag not in (UTF8_STRING, IA5_STRING, PRINTABLE_STRING):
            raise DerError(f"tag {self.tag:#x} is not a string")
        return self.value.decode()

    def oid(self) -> str:
        self.expect(OID)
        first, rest = divmod(self.value[0], 40) if self.value[0] < 80 else (2, self.value[0] - 80)
        parts, current = [first, rest], 0
        for byte in self.value[1:]:
            current = (current << 7) | (byte & 0x7F)
            if not byte & 0x80:
                parts.append(current)
                current = 0
        return ".".join(map(str, parts))

    def time(self) -> datetime:
        text = self.value.decode()
        if self.tag == GENERALIZED_TIME:
            return datetime.strptime(text, "%Y%m%d%H%M%SZ").replace(tzinfo=UTC)
        if self.tag == UTC_TIME:
            return datetime.strptime(text, "%y%m%d%H%M%SZ").replace(tzinfo=UTC)
        raise DerError(f"tag {self.tag:#x} is not a time")

    def expect(self, tag: int) -> Node:
        if self.tag != tag:
            raise DerError(f"expected tag {tag:#x}, found {self.tag:#x}")
        return self


def read(data: bytes, offset: int = 0) -> tuple[Node, int]:
    """The element at `offset` and the offset after it."""
    try:
        tag = data[offset]
        first = data[offset + 1]
        pos = offset + 2
        if first < 0x80:
            length = first
        else:
            count = first & 0x7F
            if count == 0 or count > 4:
                raise DerError("unsupported length")
            length = int.from_bytes(data[pos:pos + count], "big")
            pos += count
    except IndexError:
        raise DerError("truncated") from None
    end = pos + length
    if end > len(data):
        raise DerError("truncated")
    return Node(tag, data[pos:end], data[offset:end]), end


def read_all(data: bytes) -> list[Node]:
    nodes, offset = [], 0
    while offset < len(data):
        node, offset = read(data, offset)
        nodes.append(node)
    return nodes


def parse(data: bytes) -> Node:
    """One whole DER element (nothing may follow it)."""
    node, end = read(data)
    if end != len(data):
        raise DerError("trailing bytes")
    return node
