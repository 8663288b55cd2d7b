"""The contract document, without the database: the PDF both sides read (reportlab, the certificate library's
embedded CJK font), the signers' signatures attached to it as an embedded file (`contract-signatures.json`,
added as an incremental update so the signed document stays a byte-exact prefix), reading that attachment back
from an uploaded copy, and the statement each signer signs.

The document hash (SHA-256 of the PDF as drafted) is what both sides see and sign; the final file is that PDF,
then the attachment, then the platform's PDF signature (`certs.pdfsign`, checked by `pdfsig`)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]
from reportlab.lib.units import mm  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from renshe.certs import pdfsign, render
from renshe.certs.signing import canonical

ATTACHMENT = "contract-signatures.json"
FontMissing = render.FontMissing


class DocumentError(ValueError):
    """An uploaded file is not a contract PDF this platform produced."""


@dataclass(frozen=True)
class Content:
    number: str
    version: int
    title: str
    employer: Sequence[tuple[str, str]]
    worker: Sequence[tuple[str, str]]
    clauses: Sequence[tuple[str, str]]
    basis: str
    verify_hint: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for char in paragraph:
            if stringWidth(line + char, font, size) > width:
                lines.append(line)
                line = char
            else:
                line += char
        lines.append(line)
    return lines


def contract_pdf(content: Content) -> bytes:
    """A4 pages: title and number, the two parties, each clause of art. 17 with its value, the signing note."""
    out = io.BytesIO()
    width, height = A4
    font = render.pdf_font()
    canvas = Canvas(out, pagesize=A4, pageCompression=1, initialFontName=font)
    canvas.setTitle(f"{content.title} {content.number}")
    canvas.setSubject("电子劳动合同")
    left, right, top, bottom = 22 * mm, width - 22 * mm, height - 22 * mm, 22 * mm
    y = top

    def line(text: str, size: float, *, indent: float = 0, gap: float = 1.5) -> None:
        nonlocal y
        for part in _wrap(text, font, size, right - left - indent):
            if y < bottom + size:
                canvas.showPage()
                y = top
            canvas.setFont(font, size)
            canvas.drawString(left + indent, y - size, part)
            y -= size * gap

    canvas.setFont(font, 22)
    canvas.drawCentredString(width / 2, y - 22, content.title)
    y -= 36
    canvas.setFont(font, 10)
    canvas.drawCentredString(width / 2, y - 10, f"合同编号：{content.number}    版本：第{content.version}版")
    y -= 28
    for heading, rows in (("甲方（用人单位）", content.employer), ("乙方（劳动者）", content.worker)):
        line(heading, 14)
        for label, value in rows:
            line(f"{label}：{value}", 11, indent=8 * mm)
        y -= 6
    line("合同条款", 14)
    for number, (label, value) in enumerate(content.clauses, start=1):
        line(f"{number}. {label}：{value}", 11, indent=8 * mm)
    y -= 6
    line(f"依据：{content.basis}", 9)
    line("本合同以电子形式订立，双方经身份认证、意愿确认后以可靠电子签名签署，与纸质合同具有同等法律效力。", 9)
    line(content.verify_hint, 9)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def statement(*, number: str, version: int, document_sha256: str, role: str, signer: str, signer_name: str,
              signed_at: str) -> dict[str, Any]:
    """What a signer signs: the contract, its version, the document's hash and who signs in which role, when."""
    return {"contract": number, "version": version, "document_sha256": document_sha256, "role": role,
            "signer": signer, "signer_name": signer_name, "signed_at": signed_at}


def signed_bytes(value: dict[str, Any]) -> bytes:
    return canonical(value)


# ---------------------------------------------------------------- the signatures attached to the PDF


def _last_object(pdf: bytes, number: int) -> bytes:
    matches = list(re.finditer(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % number, pdf, re.DOTALL))
    if not matches:
        raise DocumentError(f"object {number} not found")
    return matches[-1].group(1)


def attach(pdf: bytes, payload: dict[str, Any]) -> bytes:
    """The PDF with PAYLOAD as an embedded JSON file (`contract-signatures.json`), in an incremental update: the
    original bytes stay a prefix, so the document hash still checks."""
    try:
        trailer = pdfsign.read_trailer(pdf)
    except pdfsign.PdfSignError as exc:
        raise DocumentError(str(exc)) from None
    root_no, size_no = trailer.root_no, trailer.size_no
    catalog = _last_object(pdf, root_no).rstrip()
    if b"/Names" in catalog or not catalog.endswith(b">>"):
        raise DocumentError("the catalog already has a name tree")
    data = json.dumps(payload, ensure_ascii=True, sort_keys=True, indent=1).encode()
    file_no, spec_no = size_no, size_no + 1
    objects = {
        file_no: b"<< /Type /EmbeddedFile /Subtype /application#2Fjson /Length %d >>\nstream\n" % len(data)
        + data + b"\nendstream",
        spec_no: b"<< /Type /Filespec /F (%s) /UF (%s) /AFRelationship /Data /Desc (signatures) "
                 b"/EF << /F %d 0 R >> >>" % (ATTACHMENT.encode(), ATTACHMENT.encode(), file_no),
        root_no: catalog[:-2].rstrip() + b" /Names << /EmbeddedFiles << /Names [(%s) %d 0 R] >> >> "
                 b"/AF [%d 0 R] >>" % (ATTACHMENT.encode(), spec_no, spec_no),
    }
    out, _offsets = pdfsign.incremental_update(pdf, trailer, objects, size=size_no + 2)
    return bytes(out)


def attached(pdf: bytes) -> dict[str, Any]:
    """The signatures attached by `attach` (the last one), or DocumentError."""
    found = list(re.finditer(rb"/Type /EmbeddedFile /Subtype /application#2Fjson /Length (\d+) >>\nstream\n", pdf))
    if not found:
        raise DocumentError("no contract signatures attached")
    match = found[-1]
    body = pdf[match.end():match.end() + int(match.group(1))]
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise DocumentError("the attached signatures are not JSON") from None
    if not isinstance(value, dict):
        raise DocumentError("the attached signatures are not an object")
    return value
