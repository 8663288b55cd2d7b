"""Signatures of certificates, without the database: Ed25519 compact JWS, SM2-with-SM3 signatures (raw
and DER `SM2Signature`), the SM2 public key as SubjectPublicKeyInfo, the older JSON form of the GB/T 38540
seal structures (the DER form is `renshe.certs.gbseal`), base45 and the compact QR payload.

Everything here is pure so the offline verifier, the service and the benchmarks share it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PrivateFormat, PublicFormat
from gmssl import sm2  # type: ignore[import-untyped]

from renshe.certs import der
from renshe.core.crypto import sm3_hex

SM2_SIGN_ALG = "1.2.156.10197.1.501"  # SM2 signature with SM3 (GM/T 0006)
ED_ALG = "EdDSA"
SM_ALG = "SM2-SM3"
QR_PREFIX = "RS1:"


class SignatureError(ValueError):
    """A token could not be parsed or its signature does not verify."""


# ---------------------------------------------------------------- encodings


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    if not all(c.isalnum() or c in "-_" for c in text):
        raise SignatureError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def canonical(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no spaces, UTF-8): what the SM2 signatures are computed over."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def b45encode(data: bytes) -> str:
    """Base45 (RFC 9285): fits QR alphanumeric mode, 1.5 characters per byte."""
    out = []
    for i in range(0, len(data) - 1, 2):
        n = data[i] * 256 + data[i + 1]
        n, c = divmod(n, 45)
        e, d = divmod(n, 45)
        out += [B45[c], B45[d], B45[e]]
    if len(data) % 2:
        c, d = divmod(data[-1], 45)
        out += [B45[d], B45[c]]
    return "".join(out)


def b45decode(text: str) -> bytes:
    try:
        values = [B45.index(ch) for ch in text]
    except ValueError:
        raise SignatureError("not base45") from None
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i:i + 3]
        if len(chunk) == 3:
            n = chunk[0] + chunk[1] * 45 + chunk[2] * 2025
            if n > 0xFFFF:
                raise SignatureError("base45 value out of range")
            out += n.to_bytes(2, "big")
        elif len(chunk) == 2:
            n = chunk[0] + chunk[1] * 45
            if n > 0xFF:
                raise SignatureError("base45 value out of range")
            out.append(n)
        else:
            raise SignatureError("base45 length")
    return bytes(out)


# ---------------------------------------------------------------- Ed25519 and JWS


@dataclass(frozen=True)
class EdKeyPair:
    private_raw: bytes
    public_raw: bytes


def new_ed25519() -> EdKeyPair:
    key = Ed25519PrivateKey.generate()
    return EdKeyPair(
        key.private_bytes(Encoding.Raw, PrivateFormat.Raw, serialization_none()),
        key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw),
    )


def serialization_none() -> Any:
    from cryptography.hazmat.primitives.serialization import NoEncryption

    return NoEncryption()


def kid_for(alg: str, public: bytes) -> str:
    """A key id derived from the public key (a short SHA-256 thumbprint), so it cannot be mixed up."""
    prefix = {ED_ALG: "ed", SM_ALG: "sm2"}.get(alg, alg.lower())
    return f"{prefix}-{b64url(hashlib.sha256(alg.encode() + public).digest()[:12])}"


def jws_sign(payload: dict[str, Any], *, private_raw: bytes, kid: str, typ: str = "vc+jwt") -> str:
    """Compact JWS (RFC 7515) with EdDSA over Ed25519 (RFC 8037)."""
    header = {"alg": ED_ALG, "kid": kid, "typ": typ}
    signing_input = f"{b64url(canonical(header))}.{b64url(canonical(payload))}".encode()
    signature = Ed25519PrivateKey.from_private_bytes(private_raw).sign(signing_input)
    return f"{signing_input.decode()}.{b64url(signature)}"


def jws_parts(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, payload, signing input and signature of a compact JWS (signature not checked)."""
    parts = token.strip().split(".")
    if len(parts) != 3:
        raise SignatureError("a compact JWS has three parts")
    try:
        header = json.loads(unb64url(parts[0]))
        payload = json.loads(unb64url(parts[1]))
        signature = unb64url(parts[2])
    except (ValueError, UnicodeDecodeError) as exc:
        raise SignatureError(f"malformed JWS: {exc}") from None
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise SignatureError("JWS header and payload must be JSON objects")
    return header, payload, f"{parts[0]}.{parts[1]}".encode(), signature


def ed25519_verify(public_raw: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


# ---------------------------------------------------------------- SM2 with SM3

_CURVE = sm2.default_ecc_table
_N = int(_CURVE["n"], 16)
SM2_USER_ID = "1234567812345678"  # GM/T 0009 default ID, the one gmssl's Z value uses


@dataclass(frozen=True)
class Sm2KeyPair:
    private_hex: str
    public_hex: str  # x || y, 128 hex characters, without the 04 prefix


def _crypt(private_hex: str | None, public_hex: str) -> Any:
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    # gmssl strips a leading "04" with lstrip("04"), which also eats a key that happens to start with
    # 0 or 4: set the public key after construction instead.
    crypt.public_key = public_hex
    return crypt


def new_sm2() -> Sm2KeyPair:
    d = secrets.randbelow(_N - 2) + 1
    private_hex = f"{d:064x}"
    public_hex = _crypt(private_hex, "")._kg(d, _CURVE["g"])
    return Sm2KeyPair(private_hex, public_hex)


def _sm3(data: bytes) -> bytes:
    return bytes.fromhex(sm3_hex(data))


def sm2_digest(data: bytes, public_hex: str) -> bytes:
    """e = SM3(Z || M), Z = SM3(ENTL || ID || a || b || xG || yG || xA || yA) (GM/T 0003, GM/T 0009), the
    same value gmssl's `sign_with_sm3` computes, but with the SM3 of `cryptography` (C) instead of gmssl's
    pure-Python one, which would hash a seal with its picture at a few kilobytes per second."""
    user_id = SM2_USER_ID.encode()
    z = _sm3((len(user_id) * 8).to_bytes(2, "big") + user_id
             + bytes.fromhex(_CURVE["a"] + _CURVE["b"] + _CURVE["g"] + public_hex))
    return _sm3(z + data)


def sm2_sign(data: bytes, *, private_hex: str, public_hex: str) -> str:
    """SM2 signature over SM3(Z || data), r || s in hex. The nonce comes from `secrets` (gmssl's own
    default uses `random`, which is not fit for signatures)."""
    crypt = _crypt(private_hex, public_hex)
    digest = sm2_digest(data, public_hex)
    while True:
        k = f"{secrets.randbelow(_N - 1) + 1:064x}"
        signature = crypt.sign(digest, k)
        if signature:
            return str(signature)


def sm2_sign_der(data: bytes, *, private_hex: str, public_hex: str) -> bytes:
    """SM2 signature over SM3(Z || data) as DER `SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER }`
    (GB/T 35276), what OpenSSL and every GM/T tool read."""
    raw = sm2_sign(data, private_hex=private_hex, public_hex=public_hex)
    return encode_dss_signature(int(raw[:64], 16), int(raw[64:], 16))


def sm2_verify_der(data: bytes, signature: bytes, *, public_hex: str) -> bool:
    try:
        r, s = decode_dss_signature(signature)
    except ValueError:
        return False
    if not (0 < r < _N and 0 < s < _N):
        return False
    return sm2_verify(data, f"{r:064x}{s:064x}", public_hex=public_hex)


SM2_CURVE_OID = "1.2.156.10197.1.301"  # the SM2 curve (GM/T 0006)
EC_PUBLIC_KEY_OID = "1.2.840.10045.2.1"


def sm2_public_der(public_hex: str) -> bytes:
    """SubjectPublicKeyInfo of an SM2 public key (id-ecPublicKey on the SM2 curve, GM/T 0010)."""
    return der.sequence(der.sequence(der.oid(EC_PUBLIC_KEY_OID), der.oid(SM2_CURVE_OID)),
                        der.bit_string(b"\x04" + bytes.fromhex(public_hex)))


def sm2_public_pem(public_hex: str) -> str:
    body = base64.encodebytes(sm2_public_der(public_hex)).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PUBLIC KEY-----\n" + "\n".join(lines) + "\n-----END PUBLIC KEY-----\n"


def sm2_verify(data: bytes, signature_hex: str, *, public_hex: str) -> bool:
    if len(signature_hex) != 128 or len(public_hex) != 128:
        return False
    try:
        int(signature_hex, 16)
        return bool(_crypt(None, public_hex).verify(signature_hex, sm2_digest(data, public_hex)))
    except (ValueError, TypeError, ZeroDivisionError):
        return False


# ---------------------------------------------------------------- GB/T 38540 seal structures as JSON (older)
# Certificates sealed before the DER encoding (`renshe.certs.gbseal`) carry these; they are kept so those
# seals keep verifying. Nothing new is sealed this way.


def make_seal(*, es_id: str, seal_name: str, picture_png: bytes, picture_mm: int, kid: str, keys: Sm2KeyPair,
              valid_start: str, valid_end: str, created: str) -> dict[str, Any]:
    """An electronic seal (SESeal, GB/T 38540-2020 structure, as JSON): seal info with its picture,
    made and signed by the issuer's own SM2 key (no X.509 certificate: the public key is published)."""
    info = {
        "header": {"ID": "ES", "version": 4, "Vid": "renshe"},
        "esID": es_id,
        "property": {"type": 1, "name": seal_name, "certListType": 1, "certList": [kid],
                     "createDate": created, "validStart": valid_start, "validEnd": valid_end},
        "picture": {"type": "png", "data": base64.b64encode(picture_png).decode(), "width": picture_mm,
                    "height": picture_mm},
        "extDatas": [],
    }
    cert = {"kid": kid, "publicKey": keys.public_hex}
    return {"esealInfo": info, "cert": cert, "signAlgID": SM2_SIGN_ALG,
            "signedValue": sm2_sign(canonical({"esealInfo": info, "cert": cert}), private_hex=keys.private_hex,
                                    public_hex=keys.public_hex)}


def seal_digest(seal: dict[str, Any]) -> str:
    return sm3_hex(canonical(seal))


def sign_with_seal(*, seal: dict[str, Any], data: bytes, identifier: str, time_info: str, kid: str,
                   keys: Sm2KeyPair) -> dict[str, Any]:
    """An electronic signature (SES_Signature): TBS_Sign (version, seal, time, SM3 of the signed data,
    property info) signed with SM2/SM3."""
    to_sign = {"version": 4, "eseal": seal, "timeInfo": time_info, "dataHash": sm3_hex(data),
               "propertyInfo": identifier}
    return {"toSign": to_sign, "cert": {"kid": kid, "publicKey": keys.public_hex}, "signatureAlgID": SM2_SIGN_ALG,
            "signature": sm2_sign(canonical(to_sign), private_hex=keys.private_hex, public_hex=keys.public_hex),
            "timeStamp": None}


def verify_seal_signature(signature: dict[str, Any], data: bytes, public_hex: str) -> str | None:
    """None when the SES_Signature is sound for `data` under `public_hex`, else the reason (Chinese)."""
    try:
        to_sign = signature["toSign"]
        seal = to_sign["eseal"]
        if signature.get("signatureAlgID") != SM2_SIGN_ALG:
            return "签章算法不是SM2/SM3"
        if to_sign["dataHash"] != sm3_hex(data):
            return "签章保护的数据摘要与证照内容不一致"
        if seal["cert"]["publicKey"] != public_hex or signature["cert"]["publicKey"] != public_hex:
            return "签章所用密钥与发布的密钥不一致"
        if not sm2_verify(canonical({"esealInfo": seal["esealInfo"], "cert": seal["cert"]}), seal["signedValue"],
                          public_hex=public_hex):
            return "电子印章本身的签名无效"
        if not sm2_verify(canonical(to_sign), signature["signature"], public_hex=public_hex):
            return "电子签章的签名无效"
    except (KeyError, TypeError):
        return "电子签章结构不完整"
    return None


# ---------------------------------------------------------------- compact QR payload


def qr_encode(claims: list[Any], *, kid: str, private_raw: bytes) -> str:
    """RS1:<base45(version 1 | kid length | kid | claims JSON array | Ed25519 signature)>."""
    kid_bytes = kid.encode()
    body = bytes([1, len(kid_bytes)]) + kid_bytes + canonical(claims)
    signature = Ed25519PrivateKey.from_private_bytes(private_raw).sign(body)
    return QR_PREFIX + b45encode(body + signature)


@dataclass(frozen=True)
class QrParts:
    kid: str
    claims: list[Any]
    body: bytes
    signature: bytes


def qr_parts(text: str) -> QrParts:
    """Split a QR payload (signature not checked)."""
    value = text.strip()
    if not value.startswith(QR_PREFIX):
        raise SignatureError("not a renshe QR payload")
    raw = b45decode(value[len(QR_PREFIX):])
    if len(raw) < 2 + 64 or raw[0] != 1:
        raise SignatureError("unknown QR payload version or too short")
    kid_len = raw[1]
    body, signature = raw[:-64], raw[-64:]
    try:
        kid = body[2:2 + kid_len].decode()
        claims = json.loads(body[2 + kid_len:])
    except (UnicodeDecodeError, ValueError):
        raise SignatureError("QR claims are not JSON") from None
    if not isinstance(claims, list):
        raise SignatureError("QR claims must be a JSON array")
    return QrParts(kid, claims, body, signature)
