"""The certificate PDF signed as a PDF (ISO 32000-1 §12.8): an invisible signature field whose value is
a detached CMS SignedData (`adbe.pkcs7.detached`) over the whole file but the signature itself, made
with the issuer's ECDSA P-256 document-signing key and its X.509 certificate (both from `cryptography`),
added as an incremental update, so a PDF reader (Acrobat, poppler's `pdfsig`, pyHanko) lists and checks it.

Pure: the key and certificate come in, the signed PDF goes out.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat, pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ALG = "ES256"
SIGNATURE_SPACE = 8192  # bytes reserved for the CMS value (about 1 KB is used)
_RANGE_PLACEHOLDER = b"/ByteRange [0 0000000000 0000000000 0000000000]"


class PdfSignError(ValueError):
    """The PDF is not one this module can add a signature to."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def new_key(*, issuer_name: str, issuer_code: str, not_before: datetime, not_after: datetime
            ) -> tuple[bytes, bytes, str]:
    """A P-256 key (PKCS#8 DER), its self-signed X.509 certificate (DER) and the public point (base64url)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer_name),
        x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, issuer_code),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{issuer_name}电子证照文件签名"),
    ])
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before - timedelta(minutes=5)).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return (key.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption()), cert.public_bytes(Encoding.DER),
            _b64url(point))


def jwk(public_point: str, meta: dict[str, Any]) -> dict[str, Any]:
    """The P-256 key as a JWK, with its certificate in `x5c`."""
    raw = base64.urlsafe_b64decode(public_point + "=" * (-len(public_point) % 4))
    found: dict[str, Any] = {"kty": "EC", "crv": "P-256", "x": _b64url(raw[1:33]), "y": _b64url(raw[33:65])}
    if meta.get("certificate"):
        found["x5c"] = [meta["certificate"]]
    return found


def _pdf_text(text: str) -> bytes:
    """A PDF text string: UTF-16BE with its byte order mark, as a hex string."""
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode() + b">"


def _object(pdf: bytes, number: int) -> bytes:
    matches = list(re.finditer(rb"(?<![0-9])%d 0 obj\s*(.*?)\s*endobj" % number, pdf, re.DOTALL))
    found = matches[-1] if matches else None  # the last definition wins (incremental updates)
    if found is None:
        raise PdfSignError(f"object {number} not found")
    return found.group(1)


def _with(dictionary: bytes, entry: bytes) -> bytes:
    body = dictionary.rstrip()
    if not body.endswith(b">>"):
        raise PdfSignError("not a dictionary")
    return body[:-2].rstrip() + b" " + entry + b" >>"


@dataclass(frozen=True)
class Trailer:
    """A classic PDF trailer: its dictionary, the catalog's and the next object's numbers, the last xref."""

    fields: bytes
    root_no: int
    size_no: int
    prev: int


def read_trailer(pdf: bytes) -> Trailer:
    trailer = re.search(rb"trailer\s*<<(.*?)>>\s*startxref\s*(\d+)\s*%%EOF\s*$", pdf, re.DOTALL)
    if trailer is None:
        raise PdfSignError("no classic trailer")
    fields = trailer.group(1)
    root = re.search(rb"/Root (\d+) 0 R", fields)
    size = re.search(rb"/Size (\d+)", fields)
    if root is None or size is None:
        raise PdfSignError("trailer without /Root or /Size")
    return Trailer(fields, int(root.group(1)), int(size.group(1)), int(trailer.group(2)))


def incremental_update(pdf: bytes, trailer: Trailer, objects: dict[int, bytes], *, size: int
                       ) -> tuple[bytearray, dict[int, int]]:
    """PDF with OBJECTS appended as an incremental update (their xref section and a trailer of SIZE objects
    keeping /Info and /ID): the original bytes stay a prefix. Returns the bytes and each object's offset."""
    out = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number, body in objects.items():
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n"
    for number in sorted(offsets):
        out += b"%d 1\n%010d 00000 n \n" % (number, offsets[number])
    kept = b"".join(re.findall(rb"(/Info \d+ 0 R|/ID\s*\[[^\]]*\])", trailer.fields))
    out += (b"trailer\n<< /Size %d /Root %d 0 R " % (size, trailer.root_no) + kept
            + b" /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (trailer.prev, xref_at))
    return out, offsets


def sign_pdf(pdf: bytes, *, key_der: bytes, cert_der: bytes, signer: str, reason: str, location: str,
             signed_at: datetime) -> bytes:
    """The PDF with an invisible signature field on its first page signing the whole file."""
    trailer = read_trailer(pdf)
    root_no, size_no = trailer.root_no, trailer.size_no
    catalog = _object(pdf, root_no)
    if b"/AcroForm" in catalog:
        raise PdfSignError("the PDF already has a form")
    pages = re.search(rb"/Pages (\d+) 0 R", catalog)
    if pages is None:
        raise PdfSignError("catalog without /Pages")
    kids = re.search(rb"/Kids \[\s*(\d+) 0 R", _object(pdf, int(pages.group(1))))
    if kids is None:
        raise PdfSignError("no page")
    page_no = int(kids.group(1))
    page = _object(pdf, page_no)
    if b"/Annots" in page:
        raise PdfSignError("the first page already has annotations")
    sig_no, widget_no = size_no, size_no + 1
    offset = signed_at.strftime("%z")
    moment = f"{signed_at:D:%Y%m%d%H%M%S}{offset[:3]}'{offset[3:]}'"
    objects = {
        root_no: _with(catalog, b"/AcroForm << /Fields [%d 0 R] /SigFlags 3 >>" % widget_no),
        page_no: _with(page, b"/Annots [%d 0 R]" % widget_no),
        sig_no: b"<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached " + _RANGE_PLACEHOLDER
        + b" /M (" + moment.encode() + b") /Name " + _pdf_text(signer) + b" /Reason " + _pdf_text(reason)
        + b" /Location " + _pdf_text(location) + b" /Contents <" + b"0" * (2 * SIGNATURE_SPACE) + b"> >>",
        widget_no: b"<< /Type /Annot /Subtype /Widget /FT /Sig /T (renshe-issuer-signature) /V %d 0 R /F 132 "
                   b"/Rect [0 0 0 0] /P %d 0 R >>" % (sig_no, page_no),
    }
    out, offsets = incremental_update(pdf, trailer, objects, size=size_no + 2)
    contents_at = out.index(b"/Contents <", offsets[sig_no]) + len(b"/Contents ")
    contents_end = contents_at + 2 * SIGNATURE_SPACE + 2
    ranges = b"/ByteRange [0 %d %d %d]" % (contents_at, contents_end, len(out) - contents_end)
    range_at = out.index(_RANGE_PLACEHOLDER, offsets[sig_no])
    out[range_at:range_at + len(_RANGE_PLACEHOLDER)] = ranges.ljust(len(_RANGE_PLACEHOLDER))
    signed = bytes(out[:contents_at]) + bytes(out[contents_end:])
    private = load_key(key_der)
    cms = (pkcs7.PKCS7SignatureBuilder().set_data(signed)
           .add_signer(x509.load_der_x509_certificate(cert_der), private, hashes.SHA256())
           .sign(Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.NoCapabilities,
                                    pkcs7.PKCS7Options.Binary]))
    if len(cms) > SIGNATURE_SPACE:
        raise PdfSignError("signature larger than the space reserved")
    out[contents_at + 1:contents_at + 1 + 2 * len(cms)] = cms.hex().upper().encode()
    return bytes(out)


def load_key(key_der: bytes) -> ec.EllipticCurvePrivateKey:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    key = load_der_private_key(key_der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise PdfSignError("the document-signing key is not an EC key")
    return key
