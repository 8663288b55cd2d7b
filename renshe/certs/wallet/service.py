"""Certificates as people see them: the holder's wallet (我的电子证照), the staff's search over their
jurisdiction, the full record with its seal, and the PDF."""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import der, identifiers, policy, render, schemas
from renshe.certs.issuers import service as issuers
from renshe.certs.issuing import service as issuing
from renshe.certs.models import Certificate, CertIssuer, CertKey
from renshe.certs.views import field_rows, local, validity_text, view
from renshe.core import divisions, paging
from renshe.core.auth import Principal
from renshe.core.errors import DomainError
from renshe.registry import service as registry


def certificate_out(session: Session, cert: Certificate, *, actor: Principal) -> schemas.CertificateOut:
    base = view(cert).model_dump()
    if policy.can(actor, "certs.holder_name", cert):
        base["holder"] = cert.holder_name  # the holder; staff see names in their jurisdiction, as in the person base
    return schemas.CertificateOut(
        **base, public_id=cert.public_id, number=cert.number, version=cert.cert_version, fields=cert.fields,
        signer=cert.signer, signed_at=cert.signed_at, seal_name=cert.seal_name, status_reason=cert.status_reason,
        superseded_by=cert.superseded_by, jws=cert.jws, qr_payload=cert.qr_payload,
        seal_signature=issuing.full_seal_signature(session, cert))


def pdf(session: Session, cert: Certificate) -> bytes:
    """The certificate as a PDF with its seal and QR code (holder code masked: PDFs travel), its
    Chinese font embedded, signed as a PDF by the issuer's document-signing key.

    May create that key on first use: callers hold a writing session."""
    note = {"revoked": "本证照已吊销，仅供查阅", "suspended": "本证照已暂停使用"}.get(cert.status, "")
    try:
        document = _render(cert, note)
    except render.FontMissing as exc:
        raise DomainError("renshe:certs/pdf-font", str(exc), 503, "暂时无法生成PDF") from None
    issuer = session.get(CertIssuer, cert.issuer_id) or issuers.default_issuer(session)
    return issuers.sign_pdf(session, issuer, document, reason=f"{cert.name} {cert.identifier}")


def _render(cert: Certificate, note: str) -> bytes:
    return render.certificate_pdf(render.PdfContent(
        title=cert.name, identifier=cert.identifier, number=cert.number, holder=cert.holder_name,
        holder_code=cert.holder_code_masked, rows=field_rows(cert), issuer_name=cert.issuer_name,
        issue_date=cert.issue_date.isoformat(), validity=validity_text(cert), seal_name=cert.seal_name,
        signer=cert.signer, signed_at=local(cert.signed_at).strftime("%Y-%m-%d %H:%M"), qr_payload=cert.qr_payload,
        verify_url=issuers.verify_url(), status_note=note))


def seal_picture(session: Session, cert: Certificate) -> str:
    """The seal picture of the key that sealed this certificate, base64 PNG."""
    key = session.scalar(select(CertKey).where(CertKey.kid == cert.seal_kid))
    if key is None or not key.seal:
        return ""
    found = issuers.seal_der(key)
    if found is None:  # sealed before the DER encoding
        return str(key.seal["esealInfo"]["picture"]["data"])
    picture = der.parse(found).children()[0].children()[3].children()[1].value
    return base64.b64encode(picture).decode()


def search(session: Session, *, actor: Principal, q: str | None = None, status: str | None = None,
           limit: int = 20, cursor: str | None = None) -> tuple[list[Certificate], str | None]:
    """Certificates whose holders live in the caller's jurisdiction, oldest first, paged."""
    policy.require(actor, "certs.search")
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
