"""Rules of verification (核验): a JWS, QR payload or identifier checked online against the keys, the
status lists and the library; verification links; the log of who verified what (核验记录)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import identifiers, policy, schemas, verifier
from renshe.certs.issuers import service as issuers
from renshe.certs.models import Certificate, CertLink, CertVerification
from renshe.certs.status import service as status
from renshe.certs.views import SHANGHAI, view
from renshe.core import audit, ids
from renshe.core.auth import Principal
from renshe.core.context import current
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from renshe.registry import service as registry


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


def state_of(cert: Certificate, form: str) -> Verification:
    """The certificate's state today as the library records it."""
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


def log_verification(session: Session, cert: Certificate, *, channel: str, actor: Principal | None, result: str,
                     link: CertLink | None = None, verifier_label: str | None = None) -> None:
    """Add one row to the certificate's verification log (the holder sees who checked it)."""
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
        result = state_of(cert, form)
    else:
        outcome = verifier.verify_offline(text, jwks=issuers.published_keys(session),
                                          status_lists=status.current_status_lists(session))
        if outcome.claims is None or outcome.result == "tampered":
            return Verification(outcome.result, outcome.reason, form, None)
        cert = session.scalar(select(Certificate).where(Certificate.identifier == outcome.claims.identifier))
        if cert is None:
            return Verification("unknown", "签名有效，但证照库中没有该证照", form, None)
        if form == "jws" and text != cert.jws:
            return Verification("tampered", "签名有效，但与证照库中登记的签发内容不一致", form, cert)
        if form == "qr" and text != cert.qr_payload:
            return Verification("tampered", "签名有效，但与证照库中登记的二维码内容不一致", form, cert)
        result = state_of(cert, form)
    log_verification(session, cert, channel=channel, actor=actor, result=result.result)
    return result


def create_link(session: Session, *, actor: Principal, cert: Certificate, days: int, purpose: str = ""
                ) -> tuple[CertLink, str]:
    """A verification link for the holder to share; anyone with it sees the masked result until it expires."""
    policy.require(actor, "certs.link", cert)
    if not 1 <= days <= 90:
        raise ValidationFailed([FieldError("days", "renshe:certs/link-days", "有效天数应为1至90天")])
    link = CertLink(token=secrets.token_urlsafe(18), certificate_id=cert.id, purpose=purpose.strip()[:100],
                    expires_at=utcnow() + timedelta(days=days))
    session.add(link)
    session.flush()
    audit.record(session, actor=actor, action="certs.create_link", entity_type="certificate", entity_id=cert.public_id,
                 after={"days": days, "purpose": link.purpose})
    return link, f"{issuers.base_url()}/certs/v/{link.token}"


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
    result = state_of(cert, "link")
    log_verification(session, cert, channel="link", actor=actor, result=result.result, link=link)
    return result


def verifications_of(session: Session, cert: Certificate, limit: int = 200) -> list[CertVerification]:
    return list(session.scalars(select(CertVerification).where(CertVerification.certificate_id == cert.id)
                                .order_by(CertVerification.id.desc()).limit(limit)))


def holdings(session: Session, *, person: registry.Person, type_codes: Sequence[str]) -> list[Verification]:
    """The person's certificates of the given GB/T 36904 type codes with their state today (valid,
    suspended, revoked, expired, not yet in force), valid ones first, newest first within each.
    A read for other capabilities (一网通办 materials); nothing is logged or changed."""
    if not type_codes:
        return []
    rows = session.scalars(select(Certificate).where(Certificate.person_id == person.id,
                                                     Certificate.type_code.in_(list(type_codes)))
                           .order_by(Certificate.id.desc()))
    states = [state_of(cert, "library") for cert in rows]
    return sorted(states, key=lambda s: s.result != "valid")
