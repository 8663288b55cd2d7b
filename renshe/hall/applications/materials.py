"""Materials of an application (申请材料): uploads checked by content and stored by SM3 digest, and the
certificates the electronic certificate library (电子证照库) supplies instead of an upload."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.core import crypto
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, ValidationFailed
from renshe.core.settings import get_settings
from renshe.hall import schemas
from renshe.hall.models import Application, ItemRevision, Material
from renshe.registry import service as registry

MAGIC = ((b"%PDF-", "application/pdf", "pdf"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
         (b"\xff\xd8\xff", "image/jpeg", "jpg"))


def upload_root() -> Path:
    """Where uploaded materials live: RENSHE_HALL_UPLOAD_DIR, else beside the batch directory."""
    settings = get_settings()
    return settings.hall_upload_dir or settings.batch_dir.parent / "hall-materials"


def max_upload_bytes() -> int:
    """RENSHE_HALL_MAX_UPLOAD_MB (default 10 MiB) per file."""
    return int(get_settings().hall_max_upload_mb * 1024 * 1024)


@dataclass(frozen=True)
class Upload:
    code: str
    filename: str
    content: bytes


def sniff(content: bytes) -> tuple[str, str] | None:
    """The content type and extension by magic bytes (PDF, PNG, JPEG), or None."""
    for magic, content_type, ext in MAGIC:
        if content.startswith(magic):
            return content_type, ext
    return None


def decode_uploads(materials: Iterable[schemas.MaterialIn]) -> list[Upload]:
    """The API's base64 materials as uploads; bad base64 names the material."""
    uploads = []
    for i, m in enumerate(materials):
        try:
            content = base64.b64decode(m.content_base64, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationFailed([FieldError(f"materials.{i}.content_base64", "renshe:hall/material-encoding",
                                               "材料内容不是有效的base64编码")]) from None
        uploads.append(Upload(m.code, m.filename, content))
    return uploads


@dataclass(frozen=True)
class CertificateMatch:
    """What the certificate library holds for one material that names certificate types: the certificate
    that satisfies it (`satisfied`), or the newest one that does not (revoked, suspended, expired)."""

    material_code: str
    material_name: str
    satisfied: bool
    identifier: str
    name: str
    number: str
    type_code: str
    issuer: str
    valid_until: str | None
    status: str  # the library's state today: valid | suspended | revoked | expired | unknown
    status_label: str
    reason: str
    jws_sm3: str

    def record(self) -> dict[str, Any]:
        """What an application keeps of the certificate (its state when it was taken)."""
        return {"identifier": self.identifier, "name": self.name, "number": self.number, "type_code": self.type_code,
                "issuer": self.issuer, "valid_until": self.valid_until, "status": self.status,
                "status_label": self.status_label, "checked_at": utcnow().isoformat(), "source": "电子证照库"}


def certificate_materials(
    session: Session, *, person: registry.Person, revision: ItemRevision,
) -> dict[str, CertificateMatch]:
    """For each material naming certificate types, the person's certificate for it, by material code.

    A valid certificate satisfies the material (taken from the library, nothing to upload); a suspended,
    revoked or expired one is returned unsatisfied, so the form can say why an upload is needed."""
    found: dict[str, CertificateMatch] = {}
    for spec in revision.materials:
        types = spec.get("certificate_types") or []
        if spec.get("shared") or not types:
            continue
        states = certs.holdings(session, person=person, type_codes=types)
        if not states or states[0].certificate is None:
            continue
        state, cert = states[0], states[0].certificate
        found[spec["code"]] = CertificateMatch(
            material_code=spec["code"], material_name=spec["name"], satisfied=state.result == "valid",
            identifier=cert.identifier, name=cert.name, number=cert.number, type_code=cert.type_code,
            issuer=cert.issuer_name, valid_until=cert.valid_until.isoformat() if cert.valid_until else None,
            status=state.result, status_label=state.label, reason=state.reason,
            jws_sm3=crypto.sm3_hex(cert.jws.encode()))
    return found


def check_uploads(revision: ItemRevision, uploads: Sequence[Upload], *, have: set[str],
                  require_all: bool, certified: Mapping[str, CertificateMatch] | None = None,
                  ) -> tuple[list[FieldError], list[tuple[Upload, str, str]]]:
    """Check uploads against the revision's materials: known, not supplied by a certificate, not empty,
    within the size limit, PDF/PNG/JPEG by content; with REQUIRE_ALL, every required material present."""
    known = {m["code"]: m for m in revision.materials}
    by_certificate = {code: match for code, match in (certified or {}).items() if match.satisfied}
    limit = max_upload_bytes()
    errors: list[FieldError] = []
    checked = []
    for upload in uploads:
        field = f"materials.{upload.code}"
        spec = known.get(upload.code)
        if spec is None or spec.get("shared"):
            errors.append(FieldError(field, "renshe:hall/material-unknown", f"本事项不需要提交材料“{upload.code}”"))
            continue
        if upload.code in by_certificate:
            match = by_certificate[upload.code]
            errors.append(FieldError(field, "renshe:hall/material-from-certificate",
                                     f"“{spec['name']}”已从电子证照库获取（{match.name}，证照标识{match.identifier}），"
                                     "无需上传"))
            continue
        if not upload.content:
            errors.append(FieldError(field, "renshe:hall/material-empty", f"“{spec['name']}”文件为空"))
            continue
        if len(upload.content) > limit:
            errors.append(FieldError(field, "renshe:hall/material-too-large",
                                     f"“{spec['name']}”超过{limit // (1024 * 1024)}MB，请压缩后再上传"))
            continue
        kind = sniff(upload.content)
        if kind is None:
            errors.append(FieldError(field, "renshe:hall/material-type",
                                     f"“{spec['name']}”只能是PDF、JPG或PNG文件（按文件内容识别，不看扩展名）"))
            continue
        checked.append((upload, *kind))
    if require_all:
        supplied = have | {u.code for u, _, _ in checked} | set(by_certificate)
        for spec in revision.materials:
            if spec.get("required") and not spec.get("shared") and spec["code"] not in supplied:
                unusable = (certified or {}).get(spec["code"])
                if unusable is not None:
                    errors.append(FieldError(
                        f"materials.{spec['code']}", "renshe:hall/material-certificate-not-valid",
                        f"电子证照库中的“{unusable.name}”（证照标识{unusable.identifier}）{unusable.status_label}，"
                        f"不能作为“{spec['name']}”，请上传“{spec['name']}”（必交材料）"))
                else:
                    errors.append(FieldError(f"materials.{spec['code']}", "renshe:hall/material-missing",
                                             f"请上传“{spec['name']}”（必交材料）"))
    return errors, checked


def store_certificates(session: Session, application: Application, matches: Iterable[CertificateMatch], *,
                       actor: Principal, round_no: int, extra: Mapping[str, Any] | None = None) -> list[Material]:
    """Record the certificates that satisfy materials: the identifier and its state, no file."""
    stored = []
    for match in matches:
        if not match.satisfied:
            continue
        material = Material(application_id=application.id, material_code=match.material_code,
                            name=match.material_name, filename=f"{match.name}（{match.number}）"[:200],
                            content_type="application/jose", size=0, sm3=match.jws_sm3, stored_as="",
                            round=round_no, uploaded_by=actor.subject, source="certificate",
                            certificate_identifier=match.identifier, certificate={**match.record(), **(extra or {})})
        session.add(material)
        stored.append(material)
    session.flush()
    return stored


def store_uploads(session: Session, application: Application, checked: Sequence[tuple[Upload, str, str]], *,
                  revision: ItemRevision, actor: Principal, round_no: int) -> list[Material]:
    """Write checked uploads under the upload root by SM3 digest and record them as round ROUND_NO."""
    names = {m["code"]: m["name"] for m in revision.materials}
    folder = upload_root() / application.public_id
    stored = []
    for upload, content_type, ext in checked:
        digest = crypto.sm3_hex(upload.content)
        relative = f"{application.public_id}/{digest}.{ext}"
        folder.mkdir(parents=True, exist_ok=True)
        target = upload_root() / relative
        if not target.exists():
            target.write_bytes(upload.content)
        material = Material(application_id=application.id, material_code=upload.code, name=names[upload.code],
                            filename=Path(upload.filename).name[:200] or f"{upload.code}.{ext}",
                            content_type=content_type, size=len(upload.content), sm3=digest, stored_as=relative,
                            round=round_no, uploaded_by=actor.subject)
        session.add(material)
        stored.append(material)
    session.flush()
    return stored


def materials_of(session: Session, application: Application) -> list[Material]:
    """The application's materials, by round then upload order."""
    return list(session.scalars(select(Material).where(Material.application_id == application.id)
                                .order_by(Material.round, Material.id)))


def material_path(material: Material) -> Path:
    """Where an uploaded material's file is stored."""
    return upload_root() / material.stored_as
