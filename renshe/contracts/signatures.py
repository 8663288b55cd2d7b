"""The signers' signatures: each signer's own Ed25519 and SM2 keys, made by the platform at their first
signature and kept encrypted at rest (`core.crypto`, as the certificate library keeps its keys); a signature
over the signing statement with both, and the platform's time statement over it (`certs.time_statement`);
and the check of a signature against the keys the platform holds for that signer."""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.certs import signing
from renshe.contracts import document
from renshe.contracts.models import LabourContract, SignerKey
from renshe.core import crypto
from renshe.core.db import utcnow


def _key_purpose(owner: str, alg: str) -> str:
    return f"contracts.key:{owner}:{alg}"


def signer_key(session: Session, owner: str) -> SignerKey:
    """The signer's keys, made at their first signature (private halves encrypted at rest)."""
    key = session.scalar(select(SignerKey).where(SignerKey.owner == owner))
    if key is not None:
        return key
    cipher = crypto.cipher()
    ed, sm = signing.new_ed25519(), signing.new_sm2()
    key = SignerKey(owner=owner, ed_kid=signing.kid_for(signing.ED_ALG, ed.public_raw),
                    ed_public=signing.b64url(ed.public_raw),
                    ed_private_encrypted=cipher.encrypt(signing.b64url(ed.private_raw),
                                                        purpose=_key_purpose(owner, signing.ED_ALG)),
                    sm2_kid=signing.kid_for(signing.SM_ALG, bytes.fromhex(sm.public_hex)), sm2_public=sm.public_hex,
                    sm2_private_encrypted=cipher.encrypt(sm.private_hex, purpose=_key_purpose(owner, signing.SM_ALG)))
    session.add(key)
    session.flush()
    return key


def make(session: Session, *, row: LabourContract, role: str, owner: str, name: str) -> dict[str, Any]:
    """OWNER's signature (in ROLE) over the statement of this contract version and its document hash."""
    key = signer_key(session, owner)
    statement = document.statement(number=row.number, version=row.version, document_sha256=row.document_sha256,
                                   role=role, signer=owner, signer_name=name,
                                   signed_at=utcnow().isoformat(timespec="seconds"))
    data = document.signed_bytes(statement)
    cipher = crypto.cipher()
    ed_private = signing.unb64url(cipher.decrypt(key.ed_private_encrypted, purpose=_key_purpose(owner, signing.ED_ALG)))
    sm_private = cipher.decrypt(key.sm2_private_encrypted, purpose=_key_purpose(owner, signing.SM_ALG))
    sm_der = signing.sm2_sign_der(data, private_hex=sm_private, public_hex=key.sm2_public)
    return {
        "statement": statement,
        "ed25519": {"kid": key.ed_kid, "public_key": key.ed_public,
                    "signature": signing.b64url(Ed25519PrivateKey.from_private_bytes(ed_private).sign(data))},
        "sm2_sm3": {"kid": key.sm2_kid, "public_key": key.sm2_public, "user_id": signing.SM2_USER_ID,
                    "signature_der": base64.b64encode(sm_der).decode()},
        "time_statement": certs.time_statement(session, digest=document.sha256_hex(data)),
    }


def check(session: Session, *, signature: dict[str, Any], document_sha256: str) -> tuple[bool, str]:
    """Whether a signature is sound for this document, and what was found (Chinese). KeyError, TypeError and
    ValueError (a malformed signature) are left to the caller."""
    statement = signature["statement"]
    data = document.signed_bytes(statement)
    if statement["document_sha256"] != document_sha256:
        return False, "签名所针对的合同文件摘要与本文件不一致"
    key = session.scalar(select(SignerKey).where(SignerKey.owner == str(statement["signer"])))
    if (key is None or key.ed_public != signature["ed25519"]["public_key"]
            or key.sm2_public != signature["sm2_sm3"]["public_key"]):
        return False, "签名所用密钥不是平台为该签署人保管的密钥"
    if not signing.ed25519_verify(signing.unb64url(key.ed_public),
                                  signing.unb64url(signature["ed25519"]["signature"]), data):
        return False, "Ed25519 签名无效"
    if not signing.sm2_verify_der(data, base64.b64decode(signature["sm2_sm3"]["signature_der"]),
                                  public_hex=key.sm2_public):
        return False, "SM2/SM3 签名无效"
    moment = certs.check_time_statement(session, token=str(signature["time_statement"]),
                                        digest=document.sha256_hex(data))
    if moment is None:
        return False, "平台时间戳无效"
    return True, f"{statement['signer_name']}的 Ed25519 与 SM2/SM3 签名有效，平台时间戳 {moment}"


def stamped_at(signature: dict[str, Any]) -> str | None:
    """The platform time in a signature's time statement (as recorded; `check` verifies it)."""
    try:
        return str(signing.jws_parts(str(signature["time_statement"]))[1]["time"])
    except (KeyError, signing.SignatureError):
        return None
