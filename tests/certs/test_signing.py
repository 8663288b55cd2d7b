"""The pure parts: base45, JWS, SM2/SM3 and the seal structures, status lists, the QR payload."""

from __future__ import annotations

import gzip

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.certs import signing, statuslist
from renshe.core.crypto import sm3_hex


def test_base45_rfc9285_vectors() -> None:
    assert signing.b45encode(b"AB") == "BB8"
    assert signing.b45encode(b"Hello!!") == "%69 VD92EX0"
    assert signing.b45encode(b"base-45") == "UJCLQE7W581"
    assert signing.b45decode("QED8WEX0") == b"ietf!"
    with pytest.raises(signing.SignatureError):
        signing.b45decode("GGW")  # 65535 < value: out of range


@settings(deadline=None)
@given(st.binary(max_size=300))
def test_base45_round_trip(data: bytes) -> None:
    assert signing.b45decode(signing.b45encode(data)) == data


def test_jws_round_trip_and_tamper() -> None:
    pair = signing.new_ed25519()
    kid = signing.kid_for(signing.ED_ALG, pair.public_raw)
    token = signing.jws_sign({"a": "证照"}, private_raw=pair.private_raw, kid=kid)
    header, payload, signing_input, signature = signing.jws_parts(token)
    assert header == {"alg": "EdDSA", "kid": kid, "typ": "vc+jwt"}
    assert payload == {"a": "证照"}
    assert signing.ed25519_verify(pair.public_raw, signature, signing_input)
    assert not signing.ed25519_verify(pair.public_raw, signature, signing_input + b"x")


def test_sm2_with_sm3_sign_and_verify() -> None:
    keys = signing.new_sm2()
    assert len(keys.public_hex) == 128
    signature = signing.sm2_sign(b"renshe", private_hex=keys.private_hex, public_hex=keys.public_hex)
    assert signing.sm2_verify(b"renshe", signature, public_hex=keys.public_hex)
    assert not signing.sm2_verify(b"renshf", signature, public_hex=keys.public_hex)
    other = signing.new_sm2()
    assert not signing.sm2_verify(b"renshe", signature, public_hex=other.public_hex)
    assert not signing.sm2_verify(b"renshe", "zz" * 64, public_hex=keys.public_hex)


def test_public_keys_starting_with_0_or_4_survive() -> None:
    # gmssl's constructor strips every leading 0 and 4 after "04"; the key is set after construction.
    for _ in range(200):
        keys = signing.new_sm2()
        if keys.public_hex[0] in "04":
            signature = signing.sm2_sign(b"x", private_hex=keys.private_hex, public_hex=keys.public_hex)
            assert signing.sm2_verify(b"x", signature, public_hex=keys.public_hex)
            return
    pytest.fail("no key starting with 0 or 4 in 200 tries")


def test_seal_structure_and_signature() -> None:
    keys = signing.new_sm2()
    seal = signing.make_seal(es_id="S1", seal_name="某局电子证照专用章", picture_png=b"\x89PNG", picture_mm=42,
                             kid="sm2-k", keys=keys, valid_start="20260101000000", valid_end="20310101000000",
                             created="20260101000000")
    assert seal["esealInfo"]["header"] == {"ID": "ES", "version": 4, "Vid": "renshe"}
    assert seal["signAlgID"] == "1.2.156.10197.1.501"
    signed = signing.sign_with_seal(seal=seal, data=b"document", identifier="1.2.156.3005.2.x", time_info="20260101",
                                    kid="sm2-k", keys=keys)
    assert signed["toSign"]["dataHash"] == sm3_hex(b"document")
    assert signing.verify_seal_signature(signed, b"document", keys.public_hex) is None
    assert signing.verify_seal_signature(signed, b"documenT", keys.public_hex) == "签章保护的数据摘要与证照内容不一致"
    forged = {**signed, "toSign": {**signed["toSign"], "propertyInfo": "other"}}
    assert signing.verify_seal_signature(forged, b"document", keys.public_hex) == "电子签章的签名无效"


def test_status_list_encoding() -> None:
    bits = statuslist.empty()
    assert len(bits) * 8 == 131_072
    bits = statuslist.set_bit(statuslist.set_bit(bits, 0, True), 131_071, True)
    assert bits[0] == 0x80  # index 0 is the left-most bit
    encoded = statuslist.encode(bits)
    assert encoded.startswith("u")
    assert "=" not in encoded
    assert statuslist.decode(encoded) == bits
    assert statuslist.get_bit(bits, 131_071)
    assert not statuslist.get_bit(bits, 1)
    with pytest.raises(ValueError, match="at least"):
        statuslist.decode("u" + signing.b64url(gzip.compress(bytes(10))))


@settings(max_examples=50, deadline=None)
@given(st.sets(st.integers(0, statuslist.SIZE - 1), max_size=50))
def test_status_list_bits_round_trip(indexes: set[int]) -> None:
    bits = statuslist.empty()
    for index in indexes:
        bits = statuslist.set_bit(bits, index, True)
    decoded = statuslist.decode(statuslist.encode(bits))
    assert {i for i in range(statuslist.SIZE) if statuslist.get_bit(decoded, i)} == indexes


def test_a_thousand_revocations_compress_small() -> None:
    bits = statuslist.empty()
    for index in range(0, 131_000, 131):
        bits = statuslist.set_bit(bits, index, True)
    assert len(statuslist.encode(bits)) < 4000


def test_qr_payload_round_trip() -> None:
    pair = signing.new_ed25519()
    text = signing.qr_encode(["a", 1], kid="ed-k", private_raw=pair.private_raw)
    parts = signing.qr_parts(text)
    assert parts.kid == "ed-k"
    assert parts.claims == ["a", 1]
    assert signing.ed25519_verify(pair.public_raw, parts.signature, parts.body)
    with pytest.raises(signing.SignatureError):
        signing.qr_parts("HC1:xyz")


def test_sm2_signatures_use_fresh_nonces() -> None:
    keys = signing.new_sm2()
    first = signing.sm2_sign(b"d", private_hex=keys.private_hex, public_hex=keys.public_hex)
    second = signing.sm2_sign(b"d", private_hex=keys.private_hex, public_hex=keys.public_hex)
    assert first != second
    assert first[:64] != second[:64]  # r differs: a repeated nonce would leak the private key


def test_sm2_interoperates_with_gmssl_sign_with_sm3() -> None:
    from gmssl import sm2

    keys = signing.new_sm2()
    data = "电子证照".encode() * 500
    gm = sm2.CryptSM2(private_key=keys.private_hex, public_key="")
    gm.public_key = keys.public_hex
    ours = signing.sm2_sign(data, private_hex=keys.private_hex, public_hex=keys.public_hex)
    assert gm.verify_with_sm3(ours, data)
    theirs = gm.sign_with_sm3(data, "1" * 64)
    assert signing.sm2_verify(data, theirs, public_hex=keys.public_hex)
