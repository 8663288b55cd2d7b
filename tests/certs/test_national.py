"""SM2 in the national encoding, checked with OpenSSL 3's command line (an outside implementation): the
seal signature is GB/T 38540-2020 DER whose SM2 signature is a DER SM2Signature (GB/T 35276) that
`openssl pkeyutl -verify ... -pkeyopt distid:1234567812345678` accepts under the published PEM key; the
seal certificate is an X.509 certificate OpenSSL reads and verifies; the JOSE key set holds no SM2 key;
seals made before the DER encoding still verify."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from joserfc.jwk import KeySet
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import service, signing
from renshe.certs.issuers import service as issuers
from renshe.certs.models import Certificate, CertKey
from renshe.core.auth import Principal
from renshe.registry.models import Person
from tests import factories
from tests.certs.conftest import SKILL_FIELDS

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="OpenSSL's command line is needed")  # Debian has it


def _openssl(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(OPENSSL), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def _top_level(path: Path) -> list[tuple[int, str]]:
    """(offset, type) of each element one level inside the outer SEQUENCE, as `openssl asn1parse` sees them."""
    listing = _openssl("asn1parse", "-inform", "DER", "-in", path.name, cwd=path.parent)
    assert listing.returncode == 0, listing.stderr
    found = []
    for line in listing.stdout.splitlines():
        match = re.match(r"\s*(\d+):d=1\s+hl=\s*\d+\s+l=\s*\d+\s+(?:cons|prim):\s+(\S+(?: \S+)?)", line)
        if match:
            found.append((int(match.group(1)), match.group(2).strip()))
    return found


def _extract(path: Path, offset: int, out: str) -> Path:
    done = _openssl("asn1parse", "-inform", "DER", "-in", path.name, "-strparse", str(offset), "-noout", "-out", out,
                    cwd=path.parent)
    assert done.returncode == 0, done.stderr
    return path.parent / out


def _verify(folder: Path, pem: str, data: Path, sig: Path, user_id: str) -> subprocess.CompletedProcess[str]:
    (folder / "pub.pem").write_text(pem)
    return _openssl("pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin", "-in", data.name, "-sigfile",
                    sig.name, "-digest", "sm3", "-pkeyopt", f"distid:{user_id}", cwd=folder)


def test_openssl_is_version_3_with_sm2() -> None:
    assert _openssl("version", cwd=Path.cwd()).stdout.startswith("OpenSSL 3")


def test_seal_signature_is_gbt38540_der_verified_by_openssl(client: TestClient, session: Session, cert: Certificate,
                                                            clerk: Principal, tmp_path: Path) -> None:
    session.commit()
    body = client.get(f"/api/v1/certs/{cert.identifier}", headers=factories.bearer(clerk)).json()
    seal = body["seal_signature"]
    assert seal["format"] == "gbt38540-2020-der"
    published = client.get("/.well-known/renshe-sm2-keys").json()
    assert published["user_id"] == "1234567812345678"
    key = next(k for k in published["keys"] if k["kid"] == seal["kid"])
    assert "BEGIN PUBLIC KEY" in key["public_key_pem"]
    assert client.get(f"/.well-known/renshe-sm2-keys/{seal['kid']}.pem").text == key["public_key_pem"]
    (tmp_path / "pub.pem").write_text(key["public_key_pem"])
    text = _openssl("pkey", "-pubin", "-in", "pub.pem", "-text", "-noout", cwd=tmp_path).stdout
    assert "ASN1 OID: SM2" in text  # SubjectPublicKeyInfo on the SM2 curve (1.2.156.10197.1.301)

    ses = tmp_path / "ses.der"
    ses.write_bytes(base64.b64decode(seal["der"]))
    elements = _top_level(ses)
    # SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING, signatureAlgID OID, signature BIT STRING }
    assert [kind for _offset, kind in elements] == ["SEQUENCE", "OCTET STRING", "OBJECT", "BIT STRING"]
    listing = _openssl("asn1parse", "-inform", "DER", "-in", "ses.der", cwd=tmp_path).stdout
    assert ":SM2-with-SM3" in listing
    assert ":ES" in listing
    tbs = _extract(ses, elements[0][0], "tbs.der")
    signature = _extract(ses, elements[3][0], "sig.der")
    # the signature value is a DER SM2Signature: SEQUENCE { r INTEGER, s INTEGER }
    sig_listing = _openssl("asn1parse", "-inform", "DER", "-in", "sig.der", cwd=tmp_path).stdout
    assert sig_listing.count("INTEGER") == 2
    verified = _verify(tmp_path, key["public_key_pem"], tbs, signature, published["user_id"])
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "Verified Successfully" in verified.stdout

    # the data hash inside TBS_Sign is OpenSSL's SM3 of the signed credential (the JWS payload)
    (tmp_path / "payload.json").write_bytes(signing.unb64url(cert.jws.split(".")[1]))
    digest = _openssl("dgst", "-sm3", "-r", "payload.json", cwd=tmp_path).stdout.split()[0]
    assert b"\x03\x21\x00" + bytes.fromhex(digest) in tbs.read_bytes()  # dataHash BIT STRING

    # a changed document no longer verifies, for OpenSSL too
    tampered = bytearray(tbs.read_bytes())
    tampered[-3] ^= 0x01
    (tmp_path / "bad.der").write_bytes(bytes(tampered))
    assert _verify(tmp_path, key["public_key_pem"], tmp_path / "bad.der", signature,
                   published["user_id"]).returncode != 0


def test_seal_certificate_is_x509_that_openssl_verifies(client: TestClient, session: Session, cert: Certificate,
                                                        clerk: Principal, tmp_path: Path) -> None:
    session.commit()
    seal = client.get(f"/api/v1/certs/{cert.identifier}", headers=factories.bearer(clerk)).json()["seal_signature"]
    ses = tmp_path / "ses.der"
    ses.write_bytes(base64.b64decode(seal["der"]))
    cert_der = _extract(ses, _top_level(ses)[1][0], "seal-cert.der")
    assert _openssl("x509", "-inform", "DER", "-in", "seal-cert.der", "-out", "seal.pem", cwd=tmp_path).returncode == 0
    assert (tmp_path / "seal.pem").read_text() == seal["sealCertificate"]
    text = _openssl("x509", "-in", "seal.pem", "-noout", "-text", cwd=tmp_path).stdout
    assert "Signature Algorithm: SM2-with-SM3" in text
    assert "ASN1 OID: SM2" in text
    verified = _openssl("verify", "-CAfile", "seal.pem", "seal.pem", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert "OK" in verified.stdout
    # the certificate's own signature, checked by OpenSSL under the key it certifies
    elements = _top_level(cert_der)
    tbs = _extract(cert_der, elements[0][0], "cert-tbs.der")
    signature = _extract(cert_der, elements[2][0], "cert-sig.der")
    pem = _openssl("x509", "-in", "seal.pem", "-pubkey", "-noout", cwd=tmp_path).stdout
    assert _verify(tmp_path, pem, tbs, signature, "1234567812345678").returncode == 0
    published = client.get("/.well-known/renshe-sm2-keys").json()
    assert pem == next(k for k in published["keys"] if k["kid"] == seal["kid"])["public_key_pem"]


def test_the_jose_key_set_holds_no_sm2_key_and_a_jose_library_reads_it(client: TestClient, session: Session,
                                                                        cert: Certificate) -> None:
    session.commit()
    jwks: dict[str, Any] = client.get("/.well-known/renshe/keys").json()
    assert all(k.get("crv") != "SM2" for k in jwks["keys"])
    imported = KeySet.import_key_set({"keys": [{k: v for k, v in key.items() if v is not None}
                                               for key in jwks["keys"]]})
    assert {key.kid for key in imported.keys} == {k["kid"] for k in jwks["keys"]}


def test_certificates_sealed_before_the_der_encoding_still_verify(session: Session, clerk: Principal,
                                                                  holder: Person) -> None:
    """A deployment upgraded with certificates sealed as JSON: they keep verifying, and the next issue
    retires that key and seals with a DER seal and certificate."""
    old = service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="vocational-skill-level",
                        fields=SKILL_FIELDS)
    key = session.scalar(select(CertKey).where(CertKey.kid == old.seal_kid))
    assert key is not None
    pair = issuers.sm_pair(key)
    legacy_seal = signing.make_seal(es_id="legacy", seal_name=old.seal_name, picture_png=b"\x89PNG-legacy",
                                    picture_mm=42, kid=key.kid, keys=pair, valid_start="20240101000000",
                                    valid_end="20290101000000", created="20240101000000")
    _h, payload, _i, _s = signing.jws_parts(old.jws)
    full = signing.sign_with_seal(seal=legacy_seal, data=signing.canonical(payload), identifier=old.identifier,
                                  time_info="20240101000000", kid=key.kid, keys=pair)
    full["toSign"]["eseal"] = {"esID": "legacy", "sm3": signing.seal_digest(legacy_seal)}
    key.seal, old.seal_signature = legacy_seal, full  # as the JSON encoding stored them
    session.flush()
    assert service.verify_seal(session, old) is None
    assert "toSign" in service.full_seal_signature(session, old)  # shown in its own (JSON) format
    assert service.seal_picture(session, old) == base64.b64encode(b"\x89PNG-legacy").decode()
    new = service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="vocational-skill-level",
                        fields=SKILL_FIELDS)
    assert new.seal_kid != old.seal_kid
    assert new.seal_signature["format"] == "gbt38540-2020-der"
    assert service.verify_seal(session, new) is None
    assert service.verify_seal(session, old) is None  # the retired key still verifies
    session.refresh(key)
    assert key.status == "retired"
