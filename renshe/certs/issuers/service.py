"""Rules of the province's issuing authority and its keys: made on first use, rotated on request or
when they lapse; retired keys stay published so that everything signed before keeps verifying."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import policy, render, signing
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
    local = now.astimezone(SHANGHAI)
    seal = signing.make_seal(
        es_id=f"{issuer.code}{local:%Y%m%d%H%M%S}", seal_name=issuer.seal_name,
        picture_png=render.seal_png(issuer.name, issuer.code), picture_mm=42, kid=sm_kid, keys=sm,
        valid_start=f"{local:%Y%m%d%H%M%S}", valid_end=f"{until.astimezone(SHANGHAI):%Y%m%d%H%M%S}",
        created=f"{local:%Y%m%d%H%M%S}")
    sm_key = CertKey(kid=sm_kid, issuer_id=issuer.id, alg=signing.SM_ALG, public_key=sm.public_hex,
                     private_key_encrypted=cipher.encrypt(sm.private_hex, purpose=_key_purpose(sm_kid)),
                     status="active", not_before=now, not_after=until, seal=seal)
    session.add_all([ed_key, sm_key])
    session.flush()
    return ed_key, sm_key


def _active_key(session: Session, issuer: CertIssuer, alg: str) -> CertKey | None:
    return session.scalar(select(CertKey).where(CertKey.issuer_id == issuer.id, CertKey.alg == alg,
                                                CertKey.status == "active").order_by(CertKey.id.desc()))


def signing_keys(session: Session, issuer: CertIssuer) -> tuple[CertKey, CertKey]:
    """The issuer's active Ed25519 and SM2 keys, made on first use (or when the active ones lapsed)."""
    ed, sm = _active_key(session, issuer, signing.ED_ALG), _active_key(session, issuer, signing.SM_ALG)
    now = utcnow()
    if ed is None or sm is None or ed.not_after <= now or sm.not_after <= now:
        for old in (ed, sm):
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
    common: dict[str, Any] = {
        "kid": key.kid, "alg": key.alg, "use": "sig", "status": key.status,
        "nbf": int(key.not_before.timestamp()), "exp": int(key.not_after.timestamp()),
        "retired_at": int(key.retired_at.timestamp()) if key.retired_at else None,
        "issuer": issuer.code, "issuer_name": issuer.name,
    }
    if key.alg == signing.ED_ALG:
        return {"kty": "OKP", "crv": "Ed25519", "x": key.public_key, **common}
    raw = bytes.fromhex(key.public_key)
    return {"kty": "EC", "crv": "SM2", "x": signing.b64url(raw[:32]), "y": signing.b64url(raw[32:]),
            "public_hex": key.public_key, **common}


def published_keys(session: Session) -> dict[str, Any]:
    """Every key a verifier may need (JWKS-like): active and retired ones, and revoked ones marked."""
    rows = session.execute(select(CertKey, CertIssuer).join(CertIssuer, CertIssuer.id == CertKey.issuer_id)
                           .order_by(CertKey.id))
    return {"keys": [jwk(key, issuer) for key, issuer in rows]}
