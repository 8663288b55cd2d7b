"""Rules of issuing (发证) and of a certificate's status (暂停、恢复、吊销、换发): GB/T 36904 identifier,
GB/T 36903 metadata, a status slot, the JWS (W3C VC 2.0), the SM2 seal signature (GB/T 38540) and
the QR payload; every change audited, evented and reflected in the status lists."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import gbseal, identifiers, policy, schemas, signing, statuslist, verifier
from renshe.certs.issuers import service as issuers
from renshe.certs.models import Certificate, CertIssuer, CertKey
from renshe.certs.status import service as status
from renshe.certs.types.service import CertType, cert_type, check_fields
from renshe.certs.views import SHANGHAI, local
from renshe.core import audit, crypto, labels
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry

HOLDER_PURPOSE = "certs.holder_code"
ACTION_LABELS = labels.register(
    "certs.action", {"suspend": "暂停", "resume": "恢复", "revoke": "吊销", "reissue": "换发"})


def _holder_code(cert: Certificate) -> str:
    return crypto.cipher().decrypt(cert.holder_code_encrypted, purpose=HOLDER_PURPOSE)


def credential_payload(cert: Certificate, kind: CertType) -> dict[str, Any]:
    """The signed document: a W3C VC 2.0 credential carrying the GB/T 36903 metadata."""
    base = issuers.base_url()
    entries = [{"id": f"{verifier.status_list_url(base, p, cert.status_list_no)}#{cert.status_index}",
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
        "credentialStatus": entries,
        "metadata": {
            "name": cert.name, "typeCode": cert.type_code, "number": cert.number, "identifier": cert.identifier,
            "issuer": cert.issuer_name, "issuerCode": cert.issuer_code, "issueDate": cert.issue_date.isoformat(),
            "holder": cert.holder_name, "holderCode": cert.holder_code_masked, "holderCodeType": cert.holder_code_type,
            "validFrom": cert.valid_from.isoformat(),
            "validUntil": cert.valid_until.isoformat() if cert.valid_until else "长期",
            "signer": cert.signer, "signingTime": local(cert.signed_at).isoformat(timespec="seconds"),
            "sealName": cert.seal_name,
        },
        "iat": int(cert.signed_at.timestamp()),
        "jti": cert.identifier,
    }
    if cert.valid_until:
        payload["validUntil"] = f"{cert.valid_until.isoformat()}T23:59:59+08:00"
    return payload


def _sign(session: Session, cert: Certificate, kind: CertType, issuer: CertIssuer) -> None:
    ed, sm = issuers.signing_keys(session, issuer)
    cert.signed_at = utcnow().replace(microsecond=0)
    payload = credential_payload(cert, kind)
    cert.jws = signing.jws_sign(payload, private_raw=issuers.ed_private(ed), kid=ed.kid)
    cert.jws_kid = ed.kid
    seal_der, cert_der = issuers.seal_der(sm), issuers.seal_certificate_der(sm)
    if seal_der is None or cert_der is None:  # signing_keys never hands out a key sealed the old way
        raise RuntimeError(f"SM2 key {sm.kid} has no DER seal")
    full = gbseal.sign(seal_der=seal_der, data=signing.canonical(payload), property_info=cert.identifier,
                       time_info=cert.signed_at, cert_der=cert_der, keys=issuers.sm_pair(sm))
    parts = gbseal.parse_signature(full)
    # Stored with the seal and certificate by reference (they live once, with the key); the whole
    # SES_Signature is put together again, byte for byte, by `seal_signature_der`.
    cert.seal_signature = {"format": gbseal.FORMAT, "timeInfo": f"{cert.signed_at:%Y%m%d%H%M%SZ}",
                           "dataHash": parts.data_hash.hex(), "propertyInfo": parts.property_info,
                           "signature": base64.b64encode(parts.signature).decode()}
    cert.seal_kid = sm.kid
    claims = verifier.Claims(
        identifier=cert.identifier, type_key=kind.key, name=cert.name, holder_masked=crypto.mask_name(cert.holder_name),
        holder_code_masked=cert.holder_code_masked, issuer_name=cert.issuer_name, issuer_code=cert.issuer_code,
        issue_date=cert.issue_date, valid_from=cert.valid_from, valid_until=cert.valid_until,
        signed_at=cert.signed_at,
        status=(verifier.StatusRef("revocation", "", cert.status_list_no, cert.status_index),))
    cert.qr_payload = signing.qr_encode(verifier.qr_claims(claims), kid=ed.kid, private_raw=issuers.ed_private(ed))


def _seal_key(session: Session, cert: Certificate) -> CertKey:
    key = session.scalar(select(CertKey).where(CertKey.kid == cert.seal_kid))
    if key is None or key.seal is None:
        raise NotFound("该证照的电子印章", code="renshe:certs/seal")
    return key


def seal_signature_der(session: Session, cert: Certificate) -> bytes | None:
    """The certificate's SES_Signature (GB/T 38540-2020 DER), or None for one sealed before the DER
    encoding (its seal is the older JSON structure)."""
    stored = cert.seal_signature
    if stored.get("format") != gbseal.FORMAT:
        return None
    key = _seal_key(session, cert)
    seal_der, cert_der = issuers.seal_der(key), issuers.seal_certificate_der(key)
    if seal_der is None or cert_der is None:
        raise NotFound("该证照的电子印章", code="renshe:certs/seal")
    return gbseal.assemble(seal_der=seal_der, cert_der=cert_der,
                           time_info=datetime.strptime(stored["timeInfo"], "%Y%m%d%H%M%SZ").replace(tzinfo=UTC),
                           data_hash=bytes.fromhex(stored["dataHash"]), property_info=stored["propertyInfo"],
                           signature=base64.b64decode(stored["signature"]))


def full_seal_signature(session: Session, cert: Certificate) -> dict[str, Any]:
    """The SES_Signature with its seal inlined, as GB/T 38540 has it: DER (base64) with its format
    marked; a signature made before the DER encoding keeps its JSON structure."""
    found = seal_signature_der(session, cert)
    if found is not None:
        key = _seal_key(session, cert)
        return {"format": gbseal.FORMAT, "signatureAlgID": signing.SM2_SIGN_ALG, "kid": key.kid,
                "userId": signing.SM2_USER_ID, "der": base64.b64encode(found).decode(),
                "sealCertificate": gbseal.pem("CERTIFICATE", issuers.seal_certificate_der(key) or b"")}
    full: dict[str, Any] = json.loads(json.dumps(cert.seal_signature))
    full["toSign"]["eseal"] = _seal_key(session, cert).seal
    return full


def verify_seal(session: Session, cert: Certificate) -> str | None:
    """None when the certificate's SM2 seal signature verifies over its signed document, else why."""
    key = session.scalar(select(CertKey).where(CertKey.kid == cert.seal_kid))
    if key is None:
        return "签章密钥不存在"
    _header, payload, _input, _sig = signing.jws_parts(cert.jws)
    found = seal_signature_der(session, cert)
    if found is not None:
        return gbseal.verify(found, signing.canonical(payload), key.public_key)
    return signing.verify_seal_signature(full_seal_signature(session, cert), signing.canonical(payload), key.public_key)


def _audit_view(cert: Certificate) -> dict[str, Any]:
    return {"identifier": cert.identifier, "type": cert.type_key, "status": cert.status,
            "holder": crypto.mask_name(cert.holder_name), "id_number": cert.holder_code_masked}


def issue(session: Session, *, actor: Principal, person_public_id: str, type_key: str, fields: dict[str, str],
          valid_from: date | None = None) -> Certificate:
    """Issue a certificate: identifier, GB/T 36903 metadata, status slot, JWS, SM2 seal and QR payload."""
    kind = cert_type(type_key)
    clean = check_fields(kind, fields)
    person = registry.get_person(session, actor=actor, public_id=person_public_id)
    policy.require(actor, "certs.issue_to", person)
    if person.status != "normal":
        raise Conflict("该人员状态不是“正常”，不能发证", code="renshe:certs/person-status")
    return _create(session, actor=actor, person=person, kind=kind, fields=clean, valid_from=valid_from,
                   serial=None, version=1)


def _create(session: Session, *, actor: Principal, person: registry.Person, kind: CertType, fields: dict[str, str],
            valid_from: date | None, serial: str | None, version: int) -> Certificate:
    issuer = issuers.default_issuer(session)
    today = datetime.now(SHANGHAI).date()
    start = valid_from or today
    if start < today - timedelta(days=3650):
        raise ValidationFailed([FieldError("valid_from", "renshe:certs/valid-from", "有效期起始日不合理")])
    if serial is None:
        serial = f"{today.year}{status.next_number(session, f'serial:{kind.code}:{issuer.code}:{today.year}'):08d}"
    ident = identifiers.build(kind.code, issuer.code, serial, version)
    holder = crypto.cipher().decrypt(person.id_number_encrypted, purpose=registry.ID_PURPOSE)
    list_no, index = status.allocate_status_slot(session)
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
    if cert is None:
        raise NotFound("该证照", code="renshe:certs/not-found")
    policy.require(actor, "certs.read", cert)
    return cert


def _change(session: Session, *, actor: Principal, cert: Certificate, action: str, allowed: set[str],
            new_status: str, reason: str) -> Certificate:
    policy.require(actor, "certs.write", cert)
    session.flush()
    if cert.status not in allowed:
        raise Conflict(f"证照当前状态为“{schemas.STATUS_LABELS[cert.status]}”，不能{ACTION_LABELS[action]}",
                       code=f"renshe:certs/{action}-state")
    if len(reason.strip()) < 2:
        raise ValidationFailed([FieldError("reason", "renshe:certs/reason", "请填写原因（至少2个字）")])
    before = _audit_view(cert)
    old = cert.status
    cert.status, cert.status_reason = new_status, reason.strip()
    if new_status == "revoked":
        status.set_status_bit(session, cert, "revocation", True)
        if old == "suspended":
            status.set_status_bit(session, cert, "suspension", False)
    else:
        status.set_status_bit(session, cert, "suspension", new_status == "suspended")
    session.flush()
    audit.record(session, actor=actor, action=f"certs.{action}", entity_type="certificate", entity_id=cert.public_id,
                 before=before, after={**_audit_view(cert), "reason": cert.status_reason})
    record_event(session, f"certs.{action}d" if action.endswith("e") else f"certs.{action}ed",
                 {"identifier": cert.identifier, "status": cert.status, "reason": cert.status_reason})
    return cert


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
    policy.require(actor, "certs.write", cert)
    session.flush()
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
