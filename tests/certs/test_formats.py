"""The published formats (docs/formats.md, served at /certs/formats): a verifier written here from the
specification alone (base45, the byte layouts, the key sets, the status lists; `cryptography` for
Ed25519, nothing of renshe's) decodes and checks a live certificate QR and a live e-SSC code. renshe is
used only to obtain the codes."""

from __future__ import annotations

import base64
import gzip
import json
import struct
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.certs.models import Certificate
from renshe.core.auth import issue_token
from tests import factories
from tests.card import kit

ROOT = Path(__file__).resolve().parents[2]
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


# ---------------------------------------------------------------- a third party's verifier, from the spec


def b45decode(text: str) -> bytes:
    values = [ALPHABET.index(ch) for ch in text]
    out = bytearray()
    for i in range(0, len(values), 3):
        chunk = values[i:i + 3]
        n = sum(v * 45 ** k for k, v in enumerate(chunk))
        out += n.to_bytes(2 if len(chunk) == 3 else 1, "big")
    return bytes(out)


def b45encode(data: bytes) -> str:
    out = []
    for i in range(0, len(data), 2):
        pair = data[i:i + 2]
        n = int.from_bytes(pair, "big")
        out += [ALPHABET[(n // 45 ** k) % 45] for k in range(3 if len(pair) == 2 else 2)]
    return "".join(out)


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ed25519_ok(x: str, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(unb64url(x)).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def check_qr(text: str, fetch: Any) -> dict[str, Any]:
    """§1 of the specification: prefix, base45, layout, key lookup, signature, status, dates."""
    assert text.startswith("RS1:")
    raw = b45decode(text[4:])
    assert raw[0] == 1
    kid_length = raw[1]
    kid = raw[2:2 + kid_length].decode()
    claims = json.loads(raw[2 + kid_length:-64])
    signature = raw[-64:]
    keys = fetch("/.well-known/renshe/keys").json()["keys"]
    key = next(k for k in keys if k["kid"] == kid)
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["status"] != "revoked"
    signed_at = claims[11]
    assert key["nbf"] - 300 <= signed_at <= (key["retired_at"] or key["exp"]) + 300
    signature_ok = ed25519_ok(key["x"], signature, raw[:-64])
    flags = {}
    for purpose in ("revocation", "suspension"):
        token = fetch(f"/certs/status/{purpose}/{claims[9]}").text
        header_b64, payload_b64, sig_b64 = token.split(".")
        header = json.loads(unb64url(header_b64))
        list_key = next(k for k in keys if k["kid"] == header["kid"])
        assert header["alg"] == "EdDSA"
        assert ed25519_ok(list_key["x"], unb64url(sig_b64), f"{header_b64}.{payload_b64}".encode())
        encoded = json.loads(unb64url(payload_b64))["credentialSubject"]["encodedList"]
        assert encoded.startswith("u")
        bits = gzip.decompress(unb64url(encoded[1:]))
        assert len(bits) * 8 >= 131_072
        index = claims[10]
        flags[purpose] = bool(bits[index // 8] & (0x80 >> (index % 8)))
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    in_force = date.fromisoformat(claims[7]) <= today and (not claims[8] or today <= date.fromisoformat(claims[8]))
    return {"signature_ok": signature_ok, "claims": claims, "issuer_code": claims[0].split(".")[6],
            "revoked": flags["revocation"], "suspended": flags["suspension"], "in_force": in_force}


def check_essc(text: str, fetch: Any, now: datetime) -> dict[str, Any]:
    """§2 of the specification: prefix, base64url, the 99-byte layout, key lookup, signature, expiry."""
    assert text.startswith("SSC1")
    raw = unb64url(text[4:])
    assert len(raw) == 99
    assert raw[0] == 2
    _version, key_id, reference, issued, expires, _nonce = struct.unpack(">BH16sII8s", raw[:35])
    keys = fetch("/api/v1/card/keys").json()["keys"]
    key = next(k for k in keys if k["kid"] == str(key_id))
    moment = now.timestamp()
    return {"signature_ok": ed25519_ok(key["x"], raw[35:], raw[:35]), "reference": reference.hex(),
            "issued": issued, "expires": expires, "fresh": issued - 5 <= moment < expires}


# ---------------------------------------------------------------- against a live node


def test_a_verifier_from_the_spec_checks_a_live_certificate_qr(client: TestClient, session: Session,
                                                               cert: Certificate) -> None:
    session.commit()
    result = check_qr(cert.qr_payload, client.get)
    assert result["signature_ok"]
    assert result["claims"][0] == cert.identifier
    assert result["issuer_code"] == cert.issuer_code
    assert result["claims"][2] == "职业技能等级证书"
    assert not result["revoked"]
    assert not result["suspended"]
    assert result["in_force"]
    # a changed claim breaks the signature
    raw = b45decode(cert.qr_payload[4:]).replace("职业技能".encode(), "职业资格".encode())
    forged = "RS1:" + b45encode(raw)
    assert check_qr(forged, client.get)["signature_ok"] is False
    # revocation shows in the published status list
    clerk = factories.staff_user(session, username="formats-clerk", division="110105")
    session.commit()
    revoked = client.post(f"/api/v1/certs/{cert.identifier}/revoke", headers=factories.bearer(clerk),
                          json={"reason": "测试吊销"})
    assert revoked.status_code == 200, revoked.text
    assert check_qr(cert.qr_payload, client.get)["revoked"] is True


def test_a_verifier_from_the_spec_checks_a_live_essc_code(client: TestClient, session: Session) -> None:
    admin = kit.admin(session)
    person = factories.person(session, county="110105", name="王格式")
    kit.active_card(session, admin, person)
    session.commit()
    me = {"Authorization": f"Bearer {issue_token(kit.citizen(person), minutes=10)}"}
    assert client.post("/api/v1/card/me/essc", headers=me).status_code == 201
    answer = client.get("/api/v1/card/me/essc/code", headers=me).json()
    now = datetime.now(UTC)
    result = check_essc(answer["code"], client.get, now)
    assert result["signature_ok"]
    assert result["expires"] - result["issued"] == answer["valid_seconds"] == 60  # the expiry travels in the code
    assert result["fresh"]
    assert datetime.fromisoformat(answer["expires_at"]).timestamp() == result["expires"]
    assert not check_essc(answer["code"], client.get, now + timedelta(seconds=61))["fresh"]
    raw = bytearray(unb64url(answer["code"][4:]))
    raw[26] ^= 0x01  # push the expiry: the signature no longer holds
    tampered = "SSC1" + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    assert check_essc(tampered, client.get, now)["signature_ok"] is False


def test_the_specification_is_published_in_docs_and_served(client: TestClient) -> None:
    packaged = (ROOT / "renshe" / "certs" / "data" / "formats.md").read_text(encoding="utf-8")
    assert (ROOT / "docs" / "formats.md").read_text(encoding="utf-8") == packaged
    assert "docs/formats.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    page = client.get("/certs/formats")
    assert page.status_code == 200
    assert "公开格式规范" in page.text
    assert "RS1:" in page.text
    assert "SSC1" in page.text
    raw = client.get("/certs/formats.md")
    assert raw.headers["content-type"].startswith("text/markdown")
    assert raw.text == packaged
    assert 'href="/certs/formats"' in client.get("/certs/verify").text
