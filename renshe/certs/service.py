"""Rules of the electronic certificate library (电子证照库): issuing authorities and their keys,
issuing, suspending, resuming, revoking and reissuing certificates, status lists, verification,
verification links and the verification log. The only code that writes these tables.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.certs import identifiers, render, schemas, signing, statuslist, verifier
from renshe.certs.models import (
    CertCounter,
    Certificate,
    CertIssuer,
    CertKey,
    CertLink,
    CertStatusList,
    CertVerification,
)
from renshe.core import audit, crypto, divisions, ids, paging
from renshe.core.auth import SYSTEM, Principal, deny
from renshe.core.context import current
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.core.settings import get_settings
from renshe.registry import service as registry
from renshe.sharing import service as sharing

SHANGHAI = ZoneInfo("Asia/Shanghai")
KEY_YEARS = 5
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}
HOLDER_PURPOSE = "certs.holder_code"


# ---------------------------------------------------------------- certificate types (data)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    type: str  # text | choice | date
    required: bool
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    hint: str = ""


@dataclass(frozen=True)
class CertType:
    key: str
    code: str
    name: str
    name_en: str
    holder_code_type: str
    validity_years: int | None
    issuer_level: str
    number_prefix: str
    fields: tuple[FieldSpec, ...]


@cache
def cert_types() -> dict[str, CertType]:
    """The configured certificate types (renshe/certs/data/types.json), checked once."""
    text = resources.files("renshe.certs").joinpath("data/types.json").read_text(encoding="utf-8")
    data = json.loads(text)
    found: dict[str, CertType] = {}
    for item in data["types"]:
        code = str(item["code"])
        if len(code) != 21 or not identifiers._credit_code_ok(code[:18]) or not code[18:].isdigit():
            raise ValueError(f"certificate type {item['key']}: {code} is not a GB/T 36904 type code")
        found[item["key"]] = CertType(
            key=item["key"], code=code, name=item["name"], name_en=item["name_en"],
            holder_code_type=item["holder_code_type"], validity_years=item["validity_years"],
            issuer_level=item["issuer_level"], number_prefix=item["number_prefix"],
            fields=tuple(FieldSpec(f["name"], f["label"], f["type"], bool(f["required"]),
                                   tuple(f.get("choices", ())), f.get("pattern"), f.get("hint", ""))
                         for f in item["fields"]))
    return found


def cert_type(key: str) -> CertType:
    found = cert_types().get(key)
    if found is None:
        raise ValidationFailed([FieldError("type", "renshe:certs/unknown-type", f"没有证照类型“{key}”")])
    return found


def check_fields(kind: CertType, values: dict[str, str]) -> dict[str, str]:
    """The type's fields from `values`, trimmed; every broken rule reported at once."""
    import re

    errors: list[FieldError] = []
    clean: dict[str, str] = {}
    unknown = sorted(set(values) - {f.name for f in kind.fields})
    if unknown:
        errors.append(FieldError("fields", "renshe:certs/unknown-field",
                                 f"{kind.name}没有信息项：{'、'.join(unknown)}"))
    for spec in kind.fields:
        value = (values.get(spec.name) or "").strip()
        where = f"fields.{spec.name}"
        if not value:
            if spec.required:
                errors.append(FieldError(where, "renshe:certs/required", f"请填写{spec.label}"))
            continue
        if len(value) > 100:
            errors.append(FieldError(where, "renshe:certs/too-long", f"{spec.label}不能超过100个字"))
        elif spec.type == "choice" and value not in spec.choices:
            errors.append(FieldError(where, "renshe:certs/choice", f"{spec.label}应为：{'、'.join(spec.choices)}"))
        elif spec.type == "date":
            try:
                date.fromisoformat(value)
            except ValueError:
                errors.append(FieldError(where, "renshe:certs/date", f"{spec.label}应为日期，格式YYYY-MM-DD"))
        elif spec.pattern and not re.match(spec.pattern, value):
            errors.append(FieldError(where, "renshe:certs/pattern", f"{spec.label}格式不正确：{spec.hint}"))
        clean[spec.name] = value
    if errors:
        raise ValidationFailed(errors)
    return clean


# ---------------------------------------------------------------- issuers and keys


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
    actor.require("user.manage")
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
    actor.require("user.manage")
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


def _ed_private(key: CertKey) -> bytes:
    return signing.unb64url(crypto.cipher().decrypt(key.private_key_encrypted, purpose=_key_purpose(key.kid)))


def _sm_pair(key: CertKey) -> signing.Sm2KeyPair:
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


# ---------------------------------------------------------------- counters and status lists


def _next(session: Session, scope: str) -> int:
    """The next number in a scope (serials, status slots); the row is locked until commit."""
    row = session.scalar(select(CertCounter).where(CertCounter.scope == scope).with_for_update())
    if row is None:
        try:
            with session.begin_nested():
                session.add(CertCounter(scope=scope, last=0))
        except IntegrityError:
            pass
        row = session.scalar(select(CertCounter).where(CertCounter.scope == scope).with_for_update())
        if row is None:
            raise RuntimeError(f"counter {scope} could not be created")
    row.last += 1
    session.flush()
    return row.last


def _status_list(session: Session, purpose: str, list_no: int, *, lock: bool = False) -> CertStatusList:
    stmt = select(CertStatusList).where(CertStatusList.purpose == purpose, CertStatusList.list_no == list_no)
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        found = CertStatusList(purpose=purpose, list_no=list_no, bits=statuslist.empty())
        session.add(found)
        session.flush()
    return found


def _allocate_status_slot(session: Session) -> tuple[int, int]:
    n = _next(session, "status-slot") - 1
    list_no, index = divmod(n, statuslist.SIZE)
    for purpose in statuslist.PURPOSES:
        _status_list(session, purpose, list_no)
    return list_no, index


def _set_status_bit(session: Session, cert: Certificate, purpose: str, value: bool) -> None:
    row = _status_list(session, purpose, cert.status_list_no, lock=True)
    row.bits = statuslist.set_bit(row.bits, cert.status_index, value)
    row.updated_at = utcnow()
    session.flush()


def status_list_credential(session: Session, *, purpose: str, list_no: int = 0) -> str:
    """The list as a W3C BitstringStatusListCredential, signed (vc+jwt) by the province's issuer."""
    if purpose not in statuslist.PURPOSES:
        raise NotFound("该状态列表", code="renshe:certs/status-list")
    row = session.scalar(select(CertStatusList).where(CertStatusList.purpose == purpose,
                                                      CertStatusList.list_no == list_no))
    if row is None:
        if list_no != 0:
            raise NotFound("该状态列表", code="renshe:certs/status-list")
        bits, updated = statuslist.empty(), utcnow()
    else:
        bits, updated = row.bits, row.updated_at
    issuer = default_issuer(session)
    ed, _sm = signing_keys(session, issuer)
    url = verifier.status_list_url(base_url(), purpose, list_no)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": f"urn:uscc:{issuer.code}", "name": issuer.name},
        "validFrom": updated.isoformat(timespec="seconds"),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": purpose,
                              "encodedList": statuslist.encode(bits)},
        "iat": int(utcnow().timestamp()),
    }
    return signing.jws_sign(payload, private_raw=_ed_private(ed), kid=ed.kid)


def current_status_lists(session: Session) -> list[str]:
    slots = {(str(p), int(n)) for p, n in session.execute(select(CertStatusList.purpose, CertStatusList.list_no))}
    slots = slots or {(p, 0) for p in statuslist.PURPOSES}
    return [status_list_credential(session, purpose=p, list_no=n) for p, n in sorted(slots)]


# ---------------------------------------------------------------- issuing and signing


def _holder_code(cert: Certificate) -> str:
    return crypto.cipher().decrypt(cert.holder_code_encrypted, purpose=HOLDER_PURPOSE)


def _local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def credential_payload(cert: Certificate, kind: CertType) -> dict[str, Any]:
    """The signed document: a W3C VC 2.0 credential carrying the GB/T 36903 metadata."""
    base = base_url()
    status = [{"id": f"{verifier.status_list_url(base, p, cert.status_list_no)}#{cert.status_index}",
               "type": "BitstringStatusListEntry", "statusPurpose": p, "statusListIndex": str(cert.status_index),
               "statusListCredential": verifier.status_list_url(base, p, cert.status_list_no)}
              for p in statuslist.PURPOSES]
    payload: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"{base}/certs/verify?id={cert.identifier}",
        "type": ["VerifiableCredential", "ElectronicCertificate"],
        "issuer": {"id": f"urn:uscc:{cert.issuer_code}", "name": cert.issuer_name},
        "validFrom": f"{cert.valid_from.isoformat()}T00:00:00+08:00",
        "credentialSubject": {
            "certificateType": kind.key, "holderMasked": crypto.mask_name(cert.holder_name),
            # Lets a verifier who already knows the holder's ID number confirm it, without revealing it.
            "holderCodeDigest": crypto.sm3_hex(f"{cert.identifier}|{_holder_code(cert)}".encode()),
            "fields": cert.fields,
        },
        "credentialStatus": status,
        "metadata": {
            "name": cert.name, "typeCode": cert.type_code, "number": cert.number, "identifier": cert.identifier,
            "issuer": cert.issuer_name, "issuerCode": cert.issuer_code, "issueDate": cert.issue_date.isoformat(),
            "holder": cert.holder_name, "holderCode": cert.holder_code_masked, "holderCodeType": cert.holder_code_type,
            "validFrom": cert.valid_from.isoformat(),
            "validUntil": cert.valid_until.isoformat() if cert.valid_until else "长期",
            "signer": cert.signer, "signingTime": _local(cert.signed_at).isoformat(timespec="seconds"),
            "sealName": cert.seal_name,
        },
        "iat": int(cert.signed_at.timestamp()),
        "jti": cert.identifier,
    }
    if cert.valid_until:
        payload["validUntil"] = f"{cert.valid_until.isoformat()}T23:59:59+08:00"
    return payload


def _sign(session: Session, cert: Certificate, kind: CertType, issuer: CertIssuer) -> None:
    ed, sm = signing_keys(session, issuer)
    cert.signed_at = utcnow().replace(microsecond=0)
    payload = credential_payload(cert, kind)
    cert.jws = signing.jws_sign(payload, private_raw=_ed_private(ed), kid=ed.kid)
    cert.jws_kid = ed.kid
    seal = dict(sm.seal or {})
    full = signing.sign_with_seal(seal=seal, data=signing.canonical(payload), identifier=cert.identifier,
                                  time_info=f"{_local(cert.signed_at):%Y%m%d%H%M%S}", kid=sm.kid, keys=_sm_pair(sm))
    # Stored with the seal by reference (the seal and its picture live once, with the key).
    stored = json.loads(json.dumps(full))
    stored["toSign"]["eseal"] = {"esID": seal["esealInfo"]["esID"], "sm3": signing.seal_digest(seal)}
    cert.seal_signature = stored
    cert.seal_kid = sm.kid
    claims = verifier.Claims(
        identifier=cert.identifier, type_key=kind.key, name=cert.name, holder_masked=crypto.mask_name(cert.holder_name),
        holder_code_masked=cert.holder_code_masked, issuer_name=cert.issuer_name, issuer_code=cert.issuer_code,
        issue_date=cert.issue_date, valid_from=cert.valid_from, valid_until=cert.valid_until,
        signed_at=cert.signed_at,
        status=(verifier.StatusRef("revocation", "", cert.status_list_no, cert.status_index),))
    cert.qr_payload = signing.qr_encode(verifier.qr_claims(claims), kid=ed.kid, private_raw=_ed_private(ed))


def full_seal_signature(session: Session, cert: Certificate) -> dict[str, Any]:
    """The SES_Signature with its seal inlined, as GB/T 38540 has it."""
    key = session.scalar(select(CertKey).where(CertKey.kid == cert.seal_kid))
    if key is None or key.seal is None:
        raise NotFound("该证照的电子印章", code="renshe:certs/seal")
    full: dict[str, Any] = json.loads(json.dumps(cert.seal_signature))
    full["toSign"]["eseal"] = key.seal
    return full


def verify_seal(session: Session, cert: Certificate) -> str | None:
    """None when the certificate's SM2 seal signature verifies over its signed document, else why."""
    key = session.scalar(select(CertKey).where(CertKey.kid == cert.seal_kid))
    if key is None:
        return "签章密钥不存在"
    _header, payload, _input, _sig = signing.jws_parts(cert.jws)
    return signing.verify_seal_signature(full_seal_signature(session, cert), signing.canonical(payload), key.public_key)


def _check_can_manage(actor: Principal, person: registry.Person) -> None:
    actor.require("person.write")
    if not actor.can_reach(person.residence_division):
        raise deny(actor, entity_type="person", entity_id=person.public_id, action="certs.write",
                            detail="该人员不在您的辖区内，不能办理证照")


def _audit_view(cert: Certificate) -> dict[str, Any]:
    return {"identifier": cert.identifier, "type": cert.type_key, "status": cert.status,
            "holder": crypto.mask_name(cert.holder_name), "id_number": cert.holder_code_masked}


def issue(session: Session, *, actor: Principal, person_public_id: str, type_key: str, fields: dict[str, str],
          valid_from: date | None = None) -> Certificate:
    """Issue a certificate: identifier, GB/T 36903 metadata, status slot, JWS, SM2 seal and QR payload."""
    kind = cert_type(type_key)
    clean = check_fields(kind, fields)
    person = registry.get_person(session, actor=actor, public_id=person_public_id)
    _check_can_manage(actor, person)
    if person.status != "normal":
        raise Conflict("该人员状态不是“正常”，不能发证", code="renshe:certs/person-status")
    return _create(session, actor=actor, person=person, kind=kind, fields=clean, valid_from=valid_from,
                   serial=None, version=1)


def _create(session: Session, *, actor: Principal, person: registry.Person, kind: CertType, fields: dict[str, str],
            valid_from: date | None, serial: str | None, version: int) -> Certificate:
    issuer = default_issuer(session)
    today = datetime.now(SHANGHAI).date()
    start = valid_from or today
    if start < today - timedelta(days=3650):
        raise ValidationFailed([FieldError("valid_from", "renshe:certs/valid-from", "有效期起始日不合理")])
    if serial is None:
        serial = f"{today.year}{_next(session, f'serial:{kind.code}:{issuer.code}:{today.year}'):08d}"
    ident = identifiers.build(kind.code, issuer.code, serial, version)
    holder = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    list_no, index = _allocate_status_slot(session)
    until = None
    if kind.validity_years:
        try:
            until = start.replace(year=start.year + kind.validity_years) - timedelta(days=1)
        except ValueError:  # 29 February
            until = start.replace(year=start.year + kind.validity_years, day=28)
    cert = Certificate(
        identifier=ident.value, type_key=kind.key, type_code=kind.code, name=kind.name,
        number=f"{kind.number_prefix}{serial}{'' if version == 1 else f'-{version}'}", issuer_id=issuer.id,
        issuer_code=issuer.code, issuer_name=issuer.name, serial=serial, cert_version=version, person_id=person.id,
        holder_name=person.name, holder_code_type=kind.holder_code_type,
        holder_code_encrypted=crypto.cipher().encrypt(holder, purpose=HOLDER_PURPOSE),
        holder_code_masked=crypto.mask_id_number(holder), holder_division=person.residence_division, fields=fields,
        issue_date=today, valid_from=start, valid_until=until, signer=actor.display_name, signed_at=utcnow(),
        seal_name=issuer.seal_name, status="valid", status_list_no=list_no, status_index=index, jws="",
        jws_kid="", seal_signature={}, seal_kid="", qr_payload="", issued_by=actor.subject,
    )
    _sign(session, cert, kind, issuer)
    session.add(cert)
    session.flush()
    audit.record(session, actor=actor, action="certs.issue", entity_type="certificate", entity_id=cert.public_id,
                 after=_audit_view(cert))
    record_event(session, "certs.issued", {"identifier": cert.identifier, "type": kind.key, "person": person.public_id,
                                           "issuer": issuer.code, "version": version})
    return cert


def get_certificate(session: Session, *, actor: Principal, identifier: str) -> Certificate:
    """A certificate the caller may manage or hold (staff: jurisdiction; citizen: their own)."""
    cert = session.scalar(select(Certificate).where(Certificate.identifier == identifier.strip().upper()))
    if cert is None:
        cert = session.scalar(select(Certificate).where(Certificate.public_id == identifier.strip()))
    if cert is None or not _can_see(actor, cert):
        if cert is not None and actor.kind == "staff":
            raise deny(actor, entity_type="certificate", entity_id=cert.public_id, action="certs.read",
                                detail="该证照持证人不在您的辖区内，无权查看")
        raise NotFound("该证照", code="renshe:certs/not-found")
    return cert


def _can_see(actor: Principal, cert: Certificate) -> bool:
    if actor.kind in {"staff", "system"}:
        return actor.has("person.read") and actor.can_reach(cert.holder_division)
    if actor.kind == "citizen":
        return cert.person_id == _person_id_of(actor, cert)
    return False


def _person_id_of(actor: Principal, cert: Certificate) -> int | None:
    session = Session.object_session(cert)
    if session is None:
        return None
    return registry.person_pk(session, public_id=actor.subject)


def _manage(session: Session, actor: Principal, cert: Certificate) -> None:
    actor.require("person.write")
    if actor.kind not in {"staff", "system"} or not actor.can_reach(cert.holder_division):
        raise deny(actor, entity_type="certificate", entity_id=cert.public_id, action="certs.write",
                            detail="该证照持证人不在您的辖区内，不能办理")
    session.flush()


def _change(session: Session, *, actor: Principal, cert: Certificate, action: str, allowed: set[str],
            new_status: str, reason: str) -> Certificate:
    _manage(session, actor, cert)
    if cert.status not in allowed:
        raise Conflict(f"证照当前状态为“{schemas.STATUS_LABELS[cert.status]}”，不能{ACTION_LABELS[action]}",
                       code=f"renshe:certs/{action}-state")
    if len(reason.strip()) < 2:
        raise ValidationFailed([FieldError("reason", "renshe:certs/reason", "请填写原因（至少2个字）")])
    before = _audit_view(cert)
    old = cert.status
    cert.status, cert.status_reason = new_status, reason.strip()
    if new_status == "revoked":
        _set_status_bit(session, cert, "revocation", True)
        if old == "suspended":
            _set_status_bit(session, cert, "suspension", False)
    else:
        _set_status_bit(session, cert, "suspension", new_status == "suspended")
    session.flush()
    audit.record(session, actor=actor, action=f"certs.{action}", entity_type="certificate", entity_id=cert.public_id,
                 before=before, after={**_audit_view(cert), "reason": cert.status_reason})
    record_event(session, f"certs.{action}d" if action.endswith("e") else f"certs.{action}ed",
                 {"identifier": cert.identifier, "status": cert.status, "reason": cert.status_reason})
    return cert


ACTION_LABELS = {"suspend": "暂停", "resume": "恢复", "revoke": "吊销", "reissue": "换发"}


def suspend(session: Session, *, actor: Principal, cert: Certificate, reason: str) -> Certificate:
    return _change(session, actor=actor, cert=cert, action="suspend", allowed={"valid"}, new_status="suspended",
                   reason=reason)


def resume(session: Session, *, actor: Principal, cert: Certificate, reason: str) -> Certificate:
    return _change(session, actor=actor, cert=cert, action="resume", allowed={"suspended"}, new_status="valid",
                   reason=reason)


def revoke(session: Session, *, actor: Principal, cert: Certificate, reason: str) -> Certificate:
    return _change(session, actor=actor, cert=cert, action="revoke", allowed={"valid", "suspended"},
                   new_status="revoked", reason=reason)


def reissue(session: Session, *, actor: Principal, cert: Certificate, reason: str,
            fields: dict[str, str] | None = None) -> Certificate:
    """A new version under the same serial; the old one is revoked as superseded (已换发)."""
    _manage(session, actor, cert)
    if cert.status == "revoked":
        raise Conflict("已吊销的证照不能换发，请重新发证", code="renshe:certs/reissue-state")
    kind = cert_type(cert.type_key)
    clean = check_fields(kind, fields if fields is not None else dict(cert.fields))
    person = registry.person_by_pk(session, cert.person_id)
    if person is None:
        raise NotFound("持证人", code="renshe:person/not-found")
    if cert.cert_version >= 999:
        raise Conflict("版本号已用尽", code="renshe:certs/version")
    revoke(session, actor=actor, cert=cert, reason=f"已换发：{reason.strip()}")
    new = _create(session, actor=actor, person=person, kind=kind, fields=clean, valid_from=None, serial=cert.serial,
                  version=cert.cert_version + 1)
    cert.superseded_by = new.identifier
    session.flush()
    return new


# ---------------------------------------------------------------- views


def view(cert: Certificate) -> schemas.CertificateView:
    return schemas.CertificateView(
        identifier=cert.identifier, name=cert.name, type=cert.type_key, holder=crypto.mask_name(cert.holder_name),
        holder_code=cert.holder_code_masked, holder_code_type=cert.holder_code_type, issuer=cert.issuer_name,
        issuer_code=cert.issuer_code, issue_date=cert.issue_date, valid_from=cert.valid_from,
        valid_until=cert.valid_until, status=cert.status, status_label=schemas.STATUS_LABELS[cert.status])


def certificate_out(session: Session, cert: Certificate, *, actor: Principal) -> schemas.CertificateOut:
    own = actor.kind == "citizen"
    base = view(cert).model_dump()
    if own:
        base["holder"] = cert.holder_name
    elif actor.kind in {"staff", "system"}:
        base["holder"] = cert.holder_name  # staff see names in their jurisdiction, as in the person base
    return schemas.CertificateOut(
        **base, public_id=cert.public_id, number=cert.number, version=cert.cert_version, fields=cert.fields,
        signer=cert.signer, signed_at=cert.signed_at, seal_name=cert.seal_name, status_reason=cert.status_reason,
        superseded_by=cert.superseded_by, jws=cert.jws, qr_payload=cert.qr_payload,
        seal_signature=full_seal_signature(session, cert))


def field_rows(cert: Certificate) -> list[tuple[str, str]]:
    kind = cert_types().get(cert.type_key)
    if kind is None:
        return [(k, str(v)) for k, v in cert.fields.items()]
    return [(spec.label, str(cert.fields[spec.name])) for spec in kind.fields if cert.fields.get(spec.name)]


def validity_text(cert: Certificate) -> str:
    return f"{cert.valid_from.isoformat()} 至 {cert.valid_until.isoformat() if cert.valid_until else '长期'}"


def pdf(session: Session, cert: Certificate) -> bytes:
    """The certificate as a PDF with its seal and QR code (holder code masked: PDFs travel)."""
    note = {"revoked": "本证照已吊销，仅供查阅", "suspended": "本证照已暂停使用"}.get(cert.status, "")
    del session
    return render.certificate_pdf(render.PdfContent(
        title=cert.name, identifier=cert.identifier, number=cert.number, holder=cert.holder_name,
        holder_code=cert.holder_code_masked, rows=field_rows(cert), issuer_name=cert.issuer_name,
        issue_date=cert.issue_date.isoformat(), validity=validity_text(cert), seal_name=cert.seal_name,
        signer=cert.signer, signed_at=_local(cert.signed_at).strftime("%Y-%m-%d %H:%M"), qr_payload=cert.qr_payload,
        verify_url=verify_url(), status_note=note))


def seal_picture(session: Session, cert: Certificate) -> str:
    """The seal picture of the key that sealed this certificate, base64 PNG."""
    key = session.scalar(select(CertKey).where(CertKey.kid == cert.seal_kid))
    return str(key.seal["esealInfo"]["picture"]["data"]) if key is not None and key.seal else ""


def search(session: Session, *, actor: Principal, q: str | None = None, status: str | None = None,
           limit: int = 20, cursor: str | None = None) -> tuple[list[Certificate], str | None]:
    """Certificates whose holders live in the caller's jurisdiction, oldest first, paged."""
    actor.require("person.read")
    limit = max(1, min(limit, 200))
    stmt = select(Certificate).where(Certificate.id > paging.decode_cursor(cursor))
    prefix = divisions.scope_prefix(actor.division_code)
    if prefix:
        stmt = stmt.where(Certificate.holder_division.startswith(prefix))
    text = (q or "").strip()
    if text:
        if text.upper().startswith(identifiers.PREFIX):
            stmt = stmt.where(Certificate.identifier == text.upper())
        elif len(text) == 18 and text[:17].isdigit():
            holder = registry.find_by_id_number(session, id_number=text.upper())
            stmt = stmt.where(Certificate.person_id == (holder.id if holder is not None else -1))
        else:
            stmt = stmt.where(Certificate.holder_name == text)
    if status:
        stmt = stmt.where(Certificate.status == status)
    rows = list(session.scalars(stmt.order_by(Certificate.id).limit(limit + 1)))
    next_cursor = paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def certificates_of(session: Session, *, person: registry.Person) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.person_id == person.id)
                                .order_by(Certificate.id.desc())))


def my_certificates(session: Session, *, actor: Principal) -> list[Certificate]:
    person = registry.get_person(session, actor=actor, public_id=actor.subject)
    return certificates_of(session, person=person)


def holdings(session: Session, *, person: registry.Person, type_codes: Sequence[str]) -> list[Verification]:
    """The person's certificates of the given GB/T 36904 type codes with their state today (valid,
    suspended, revoked, expired, not yet in force), valid ones first, newest first within each.
    A read for other capabilities (一网通办 materials); nothing is logged or changed."""
    if not type_codes:
        return []
    rows = session.scalars(select(Certificate).where(Certificate.person_id == person.id,
                                                     Certificate.type_code.in_(list(type_codes)))
                           .order_by(Certificate.id.desc()))
    states = [_db_state(cert, "library") for cert in rows]
    return sorted(states, key=lambda s: s.result != "valid")


# ---------------------------------------------------------------- verification


@dataclass(frozen=True)
class Verification:
    result: str
    reason: str
    form: str
    certificate: Certificate | None

    @property
    def label(self) -> str:
        return verifier.RESULT_LABELS[self.result]

    def out(self) -> schemas.VerifyOut:
        return schemas.VerifyOut(result=self.result,
                                 result_label=self.label, reason=self.reason, form=self.form,
                                 certificate=view(self.certificate) if self.certificate else None,
                                 checked_at=utcnow())


def _db_state(cert: Certificate, form: str) -> Verification:
    if cert.status == "revoked":
        why = cert.status_reason or ""
        if cert.superseded_by:
            return Verification("revoked", f"该证照已换发新版本（{cert.superseded_by}），本版本已作废", form, cert)
        return Verification("revoked", f"该证照已被发证机关吊销：{why}", form, cert)
    if cert.status == "suspended":
        return Verification("suspended", f"该证照已被发证机关暂停使用：{cert.status_reason or ''}", form, cert)
    today = datetime.now(SHANGHAI).date()
    if cert.valid_until and today > cert.valid_until:
        return Verification("expired", f"该证照有效期至{cert.valid_until.isoformat()}，已过期", form, cert)
    if today < cert.valid_from:
        return Verification("unknown", f"该证照自{cert.valid_from.isoformat()}起生效，尚未生效", form, cert)
    return Verification("valid", "证照有效：签名正确，发证机关登记的状态为有效", form, cert)


def _describe(actor: Principal | None) -> str:
    if actor is None:
        return "匿名访问"
    kinds = {"staff": "经办人员", "citizen": "持证人本人" , "consumer": "共享应用", "employer": "单位",
             "system": "系统"}
    return f"{kinds.get(actor.kind, actor.kind)}：{actor.display_name or actor.subject}"


def _log(session: Session, cert: Certificate, *, channel: str, actor: Principal | None, result: str,
         link: CertLink | None = None, verifier_label: str | None = None) -> None:
    addr = current.get().client_addr
    masked = addr.rsplit(".", 1)[0] + ".*" if addr.count(".") == 3 else addr
    session.add(CertVerification(certificate_id=cert.id, link_id=link.id if link else None, channel=channel,
                                 verifier=(verifier_label or _describe(actor))[:200], client_addr=masked[:64],
                                 result=result))
    session.flush()


def verify(session: Session, *, value: str, channel: str = "api", actor: Principal | None = None) -> Verification:
    """Verify a JWS, QR payload or identifier online: signature, keys, status lists, then the library."""
    form = verifier.detect(value)
    text = value.strip()
    if form == "identifier":
        try:
            ident = identifiers.parse(text)
        except ids.IdentifierError as exc:
            return Verification("unknown", f"证照标识不正确：{exc.detail}", form, None)
        cert = session.scalar(select(Certificate).where(Certificate.identifier == ident.value))
        if cert is None:
            return Verification("unknown", "证照库中没有该证照标识", form, None)
        result = _db_state(cert, form)
    else:
        outcome = verifier.verify_offline(text, jwks=published_keys(session),
                                          status_lists=current_status_lists(session))
        if outcome.claims is None or outcome.result == "tampered":
            return Verification(outcome.result, outcome.reason, form, None)
        cert = session.scalar(select(Certificate).where(Certificate.identifier == outcome.claims.identifier))
        if cert is None:
            return Verification("unknown", "签名有效，但证照库中没有该证照", form, None)
        if form == "jws" and text != cert.jws:
            return Verification("tampered", "签名有效，但与证照库中登记的签发内容不一致", form, cert)
        if form == "qr" and text != cert.qr_payload:
            return Verification("tampered", "签名有效，但与证照库中登记的二维码内容不一致", form, cert)
        result = _db_state(cert, form)
    _log(session, cert, channel=channel, actor=actor, result=result.result)
    return result


def create_link(session: Session, *, actor: Principal, cert: Certificate, days: int, purpose: str = ""
                ) -> tuple[CertLink, str]:
    """A verification link for the holder to share; anyone with it sees the masked result until it expires."""
    if actor.kind != "citizen" or not _can_see(actor, cert):
        raise Forbidden("只有持证人本人可以生成核验链接", code="renshe:certs/link-owner")
    if not 1 <= days <= 90:
        raise ValidationFailed([FieldError("days", "renshe:certs/link-days", "有效天数应为1至90天")])
    link = CertLink(token=secrets.token_urlsafe(18), certificate_id=cert.id, purpose=purpose.strip()[:100],
                    expires_at=utcnow() + timedelta(days=days))
    session.add(link)
    session.flush()
    audit.record(session, actor=actor, action="certs.create_link", entity_type="certificate", entity_id=cert.public_id,
                 after={"days": days, "purpose": link.purpose})
    return link, f"{base_url()}/certs/v/{link.token}"


def links_of(session: Session, cert: Certificate) -> list[CertLink]:
    return list(session.scalars(select(CertLink).where(CertLink.certificate_id == cert.id)
                                .order_by(CertLink.id.desc())))


def open_link(session: Session, *, token: str, actor: Principal | None) -> Verification:
    """Verify the certificate behind a link (logged against the link); expired links answer nothing."""
    link = session.scalar(select(CertLink).where(CertLink.token == token))
    if link is None or link.revoked_at is not None:
        raise NotFound("该核验链接", code="renshe:certs/link")
    if link.expires_at <= utcnow():
        raise Conflict("该核验链接已过期，请向持证人索取新的链接", code="renshe:certs/link-expired")
    cert = session.get(Certificate, link.certificate_id)
    if cert is None:
        raise NotFound("该证照", code="renshe:certs/not-found")
    result = _db_state(cert, "link")
    _log(session, cert, channel="link", actor=actor, result=result.result, link=link)
    return result


def verifications_of(session: Session, cert: Certificate, limit: int = 200) -> list[CertVerification]:
    return list(session.scalars(select(CertVerification).where(CertVerification.certificate_id == cert.id)
                                .order_by(CertVerification.id.desc()).limit(limit)))


# ---------------------------------------------------------------- data sharing and demo


def _certificate_validity(session: Session, person: registry.Person) -> dict[str, Any]:
    """The person's certificates and their status (catalog resource `certificate-validity`)."""
    items = []
    for cert in certificates_of(session, person=person):
        state = _db_state(cert, "sharing")
        items.append({"identifier": cert.identifier, "name": cert.name, "type": cert.type_key,
                      "issuer": cert.issuer_name, "issue_date": cert.issue_date.isoformat(),
                      "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
                      "status": state.result, "status_label": state.label})
        _log(session, cert, channel="sharing", actor=None, result=state.result, verifier_label="数据共享平台查询")
    return {"certificates": items}


sharing.register_answer("certificate-validity", _certificate_validity)


def issue_demo(session: Session, *, id_number: str | None) -> Certificate | None:
    """Issue one vocational skill level certificate to the demo's sample person (demo seed)."""
    if not id_number:
        return None
    person = registry.find_by_id_number(session, id_number=id_number)
    if person is None:
        return None
    return issue(session, actor=SYSTEM, person_public_id=person.public_id, type_key="vocational-skill-level",
                 fields={"occupation": "电工", "level": "三级/高级工", "evaluator": "演示职业技能等级认定中心",
                         "score": "合格"})
