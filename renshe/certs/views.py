"""How a certificate is shown: the public view (holder masked) and its fields and validity as text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from renshe.certs import schemas
from renshe.certs.models import Certificate
from renshe.certs.types.service import cert_types
from renshe.core import crypto

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def view(cert: Certificate) -> schemas.CertificateView:
    return schemas.CertificateView(
        identifier=cert.identifier, name=cert.name, type=cert.type_key, holder=crypto.mask_name(cert.holder_name),
        holder_code=cert.holder_code_masked, holder_code_type=cert.holder_code_type, issuer=cert.issuer_name,
        issuer_code=cert.issuer_code, issue_date=cert.issue_date, valid_from=cert.valid_from,
        valid_until=cert.valid_until, status=cert.status, status_label=schemas.STATUS_LABELS[cert.status])


def field_rows(cert: Certificate) -> list[tuple[str, str]]:
    kind = cert_types().get(cert.type_key)
    if kind is None:
        return [(k, str(v)) for k, v in cert.fields.items()]
    return [(spec.label, str(cert.fields[spec.name])) for spec in kind.fields if cert.fields.get(spec.name)]


def validity_text(cert: Certificate) -> str:
    return f"{cert.valid_from.isoformat()} 至 {cert.valid_until.isoformat() if cert.valid_until else '长期'}"
