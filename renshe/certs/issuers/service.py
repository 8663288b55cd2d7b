"""Rules of the province's issuing authority and its keys: made on first use, rotated on request or
when they lapse; retired keys stay published so that everything signed before keeps verifying."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import gbseal, pdfsign, policy, render, signing
from renshe.certs.models import CertIssuer, CertKey
from renshe.core import audit, crypto, divisions, ids
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEY_YEARS = 5
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}


def base_url() -> str:
    return f"https://{get_settings().site_domain}"


def verify_url() -> str:
    return f"{base_url()}/certs/verify"


def _default_issuer_name(province: str) -> str:
    suffix = "人力资源和社会保障局" if province in MUNICIPALITIES else "人力资源和社会保障厅"
    return divisions.full_name(province) + suffix


def derived_issuer_code(province: str) -> str:
    """A valid credit code (机关, 11) for the province's department until the real one is configured
    with `renshe certs issuer set`: its organisation code part is derived from the province code."""
    digits = f"{int(province) * 7 % 10**8:08d}"
    first17 = "11" + province + digits[:8] + "0"
    first17 = first17[:17]
    return first17 + ids.credit_code_check_character(first17)


def default_issuer(session: Session) -> CertIssuer:
    """The province's issuing authority, created from settings on first use."""
    province = get_settings().province_code
    issuer = session.scalar(select(CertIssuer).where(CertIssuer.division_code == province).order_by(CertIssuer.id))
    if issuer is None:
        name = _default_issuer_name(province)
        issuer = CertIssuer(code=derived_issuer_code(province), name=name, division_code=province,
                            seal_name=f"{name}电子证照专用章")
        session.add(issuer)
        session.flush()
    return issuer


def set_issuer(session: Session, *, actor: Principal, code: str, name: str, seal_name: str | None = None
               ) -> CertIssuer:
    """Configure the province's issuing authority (name and real credit code); keys rotate with it."""
    policy.require(actor, "certs.configure")
    parsed = ids.parse_credit_code(code, field="code")
    if not name.strip():
        raise ValidationFailed([FieldError("name", "renshe:certs/issuer-name", "请填写发证机关名称")])
    issuer = default_issuer(session)
    before = {"code": issuer.code, "name": issuer.name}
    issuer.code, issuer.name = parsed.code, name.strip()
    issuer.seal_name = (seal_name or f"{issuer.name}电子证照专用章").strip()
    session.flush()
    audit.record(session, actor=actor, action="certs.set_issuer", entity_type="cert_issuer", entity_id=issuer.code,
                 before=before, after={"code": issuer.code, "name": issuer.name})
    rotate_keys(session, actor=actor)
    return issuer


def _key_purpose(kid: str) -> str:
    return f"certs.key:{kid}"


def _new_keys(session: Session, issuer: CertIssuer) -> tuple[CertKey, CertKey]:
    now = utcnow()
    until = now + timedelta(days=365 * KEY_YEARS)
    cipher = crypto.cipher()
    ed = signing.new_ed25519()
    ed_kid = signing.kid_for(signing.ED_ALG, ed.public_raw)
    ed_key = CertKey(kid=ed_kid, issuer_id=issuer.id, alg=signing.ED_ALG, public_key=signing.b64url(ed.public_raw),
                     private_key_encrypted=cipher.encrypt(signing.b64url(ed.private_raw), purpose=_key_purpose(ed_kid)),
                     status="active", not_before=now, not_after=until)
    sm = signing.new_sm2()
    sm_kid = signing.kid_for(signing.SM_ALG, bytes.fromhex(sm.public_hex))
    sm_key = CertKey(kid=sm_kid, issuer_id=issuer.id, alg=signing.SM_ALG, public_key=sm.public_hex,
                     private_key_encrypted=cipher.encrypt(sm.private_hex, purpose=_key_purpose(sm_kid)),
                     status="active", not_before=now, not_after=until,
                     seal=_new_seal(issuer, sm, now=now, until=until))
    session.add_all([ed_key, sm_key])
    session.flush()
    _new_pdf_key(session, issuer)
    return ed_key, sm_key


def _new_pdf_key(session: Session, issuer: CertIssuer) -> CertKey:
    """A P-256 document-signing key with its X.509 certificate, for signing PDFs as PDFs."""
    now = utcnow().replace(microsecond=0)
    until = now + timedelta(days=365 * KEY_YEARS)
    key_der, cert_der, point = pdfsign.new_key(issuer_name=issuer.name, issuer_code=issuer.code, not_before=now,
                                               not_after=until)
    kid = signing.kid_for(pdfsign.ALG, signing.unb64url(point))
    key = CertKey(kid=kid, issuer_id=issuer.id, alg=pdfsign.ALG, public_key=point,
                  private_key_encrypted=crypto.cipher().encrypt(base64.b64encode(key_der).decode(),
                                                                purpose=_key_purpose(kid)),
                  status="active", not_before=now, not_after=until,
                  seal={"certificate": base64.b64encode(cert_der).decode()})
    session.add(key)
    session.flush()
    return key


def pdf_key(session: Session, issuer: CertIssuer) -> CertKey:
    """The issuer's active PDF-signing key, made on first use (or when it lapsed)."""
    key = _active_key(session, issuer, pdfsign.ALG)
    if key is not None and key.not_after > utcnow():
        return key
    if key is not None:
        key.status, key.retired_at = "retired", utcnow()
    return _new_pdf_key(session, issuer)


def sign_pdf(session: Session, issuer: CertIssuer, pdf: bytes, *, reason: str) -> bytes:
    """The PDF signed as a PDF by the issuer's document-signing key (its certificate embedded)."""
    key = pdf_key(session, issuer)
    key_der = base64.b64decode(crypto.cipher().decrypt(key.private_key_encrypted, purpose=_key_purpose(key.kid)))
    cert_der = base64.b64decode((key.seal or {})["certificate"])
    return pdfsign.sign_pdf(pdf, key_der=key_der, cert_der=cert_der, signer=issuer.name, reason=reason,
                            location=divisions.full_name(issuer.division_code) or issuer.division_code,
                            signed_at=utcnow().astimezone(SHANGHAI).replace(microsecond=0))


def _new_seal(issuer: CertIssuer, sm: signing.Sm2KeyPair, *, now: datetime, until: datetime) -> dict[str, Any]:
    """The seal certificate (X.509, SM2/SM3, self-signed) and the SESeal (GB/T 38540 DER) of a new SM2 key."""
    moment = now.replace(microsecond=0)
    cert_der = gbseal.seal_certificate(keys=sm, common_name=issuer.seal_name, organisation=issuer.name,
                                       not_before=moment, not_after=until)
    seal_der = gbseal.make_seal(
        es_id=f"{issuer.code}{moment.astimezone(SHANGHAI):%Y%m%d%H%M%S}", seal_name=issuer.seal_name,
        picture_png=render.seal_png(issuer.name, issuer.code), picture_mm=42, cert_der=cert_der, keys=sm,
        created=moment, valid_start=moment, valid_end=until)
    return {"format": gbseal.FORMAT, "seal": base64.b64encode(seal_der).decode(),
            "certificate": base64.b64encode(cert_der).decode()}


def seal_der(key: CertKey) -> bytes | None:
    """The SESeal (DER) of an SM2 key, or None for a key sealed before the DER encoding (JSON seal)."""
    if not key.seal or key.seal.get("format") != gbseal.FORMAT:
        return None
    return base64.b64decode(key.seal["seal"])


def seal_certificate_der(key: CertKey) -> bytes | None:
    """The X.509 seal certificate (DER) of an SM2 key, or None for a key made before it existed."""
    if not key.seal or key.seal.get("format") != gbseal.FORMAT:
        return None
    return base64.b64decode(key.seal["certificate"])


def _active_key(session: Session, issuer: CertIssuer, alg: str) -> CertKey | None:
    return session.scalar(select(CertKey).where(CertKey.issuer_id == issuer.id, CertKey.alg == alg,
                                                CertKey.status == "active").order_by(CertKey.id.desc()))


def signing_keys(session: Session, issuer: CertIssuer) -> tuple[CertKey, CertKey]:
    """The issuer's active Ed25519 and SM2 keys, made on first use (or when the active ones lapsed)."""
    ed, sm = _active_key(session, issuer, signing.ED_ALG), _active_key(session, issuer, signing.SM_ALG)
    now = utcnow()
    # An SM2 key sealed before the DER encoding (JSON seal, no certificate) signs nothing new.
    if ed is None or sm is None or ed.not_after <= now or sm.not_after <= now or seal_der(sm) is None:
        for old in (ed, sm, _active_key(session, issuer, pdfsign.ALG)):
            if old is not None:
                old.status, old.retired_at = "retired", now
        return _new_keys(session, issuer)
    return ed, sm


def rotate_keys(session: Session, *, actor: Principal) -> tuple[CertKey, CertKey]:
    """Retire the active keys and make new ones; retired keys stay published, so every certificate
    signed before keeps verifying, and nothing new is signed with them."""
    policy.require(actor, "certs.configure")
    issuer = default_issuer(session)
    now = utcnow()
    retired = []
    for key in session.scalars(select(CertKey).where(CertKey.issuer_id == issuer.id, CertKey.status == "active")):
        key.status, key.retired_at = "retired", now
        retired.append(key.kid)
    session.flush()
    ed, sm = _new_keys(session, issuer)
    audit.record(session, actor=actor, action="certs.rotate_keys", entity_type="cert_issuer", entity_id=issuer.code,
                 before={"active": retired}, after={"active": [ed.kid, sm.kid]})
    record_event(session, "certs.keys_rotated", {"issuer": issuer.code, "retired": retired, "active": [ed.kid, sm.kid]})
    return ed, sm


def ed_private(key: CertKey) -> bytes:
    """The raw Ed25519 private key of `key` (decrypted; never leaves the process)."""
    return signing.unb64url(crypto.cipher().decrypt(key.private_key_encrypted, purpose=_key_purpose(key.kid)))


def sm_pair(key: CertKey) -> signing.Sm2KeyPair:
    """The SM2 key pair of `key` (decrypted; never leaves the process)."""
    return signing.Sm2KeyPair(crypto.cipher().decrypt(key.private_key_encrypted, purpose=_key_purpose(key.kid)),
                              key.public_key)


def jwk(key: CertKey, issuer: CertIssuer) -> dict[str, Any]:
    """A JOSE key (RFC 7517) for an Ed25519 or P-256 key; SM2 keys are published outside JOSE."""
    common: dict[str, Any] = {
        "kid": key.kid, "alg": key.alg, "use": "sig", "status": key.status,
        "nbf": int(key.not_before.timestamp()), "exp": int(key.not_after.timestamp()),
        "retired_at": int(key.retired_at.timestamp()) if key.retired_at else None,
        "issuer": issuer.code, "issuer_name": issuer.name,
    }
    if key.alg == signing.ED_ALG:
        return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, **common}
    return pdfsign.jwk(key.public_key, key.seal or {}) | common


def published_keys(session: Session) -> dict[str, Any]:
    """Every JOSE key a verifier may need (JWKS): active and retired ones, and revoked ones marked.
    SM2 keys are not in it (JOSE has no SM2 curve, and JOSE libraries reject the whole set)."""
    rows = session.execute(select(CertKey, CertIssuer).join(CertIssuer, CertIssuer.id == CertKey.issuer_id)
                           .where(CertKey.alg != signing.SM_ALG).order_by(CertKey.id))
    return {"keys": [jwk(key, issuer) for key, issuer in rows]}


def published_sm2_keys(session: Session) -> dict[str, Any]:
    """The SM2 seal keys as PEM SubjectPublicKeyInfo with their seal certificates and the user ID."""
    rows = session.execute(select(CertKey, CertIssuer).join(CertIssuer, CertIssuer.id == CertKey.issuer_id)
                           .where(CertKey.alg == signing.SM_ALG).order_by(CertKey.id))
    keys = []
    for key, issuer in rows:
        cert = seal_certificate_der(key)
        keys.append({
            "kid": key.kid, "status": key.status, "issuer": issuer.code, "issuer_name": issuer.name,
            "not_before": key.not_before.isoformat(), "not_after": key.not_after.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            "public_key_pem": signing.sm2_public_pem(key.public_key),
            "certificate_pem": gbseal.pem("CERTIFICATE", cert) if cert else None,
            "seal_format": gbseal.FORMAT if cert else "json-legacy",
        })
    return {"curve": signing.SM2_CURVE_OID, "signature_algorithm": signing.SM2_SIGN_ALG,
            "digest": "SM3", "signature_encoding": "DER SM2Signature (GB/T 35276)", "user_id": signing.SM2_USER_ID,
            "keys": keys}


def sm2_key_pem(session: Session, kid: str) -> str | None:
    key = session.scalar(select(CertKey).where(CertKey.kid == kid, CertKey.alg == signing.SM_ALG))
    return signing.sm2_public_pem(key.public_key) if key is not None else None
