"""The electronic seal in the national encoding: the seal's X.509 certificate (SM2 key, signed with
SM2/SM3), `SESeal` and `SES_Signature` as GB/T 38540-2020 (version 4) ASN.1 DER, every signature a DER
`SM2Signature` (GB/T 35276) computed with the default user ID `1234567812345678`.

    SESeal ::= SEQUENCE { eSealInfo SES_SealInfo, cert OCTET STRING, signAlgID OBJECT IDENTIFIER,
                          signedValue BIT STRING }
    SES_SealInfo ::= SEQUENCE { header SES_Header, esID IA5String, property SES_ESPropertyInfo,
                                picture SES_ESPictrueInfo, extDatas ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4), Vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE { type INTEGER, name UTF8String, certListType INTEGER (1),
                                      certList SEQUENCE OF OCTET STRING, createDate GeneralizedTime,
                                      validStart GeneralizedTime, validEnd GeneralizedTime }
    SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }
    SES_Signature ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING, signatureAlgID OBJECT IDENTIFIER,
                                 signature BIT STRING, timeStamp [0] EXPLICIT BIT STRING OPTIONAL }
    TBS_Sign ::= SEQUENCE { version INTEGER (4), eseal SESeal, timeInfo GeneralizedTime,
                            dataHash BIT STRING, propertyInfo IA5String }

The seal maker's signature covers `SEQUENCE { eSealInfo, cert, signAlgID }` (as ofdrw does for v4);
the signer's covers the DER of `TBS_Sign`. The issuing authority is both seal maker and signer, with
one self-signed seal certificate.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from renshe.certs import der, signing
from renshe.core.crypto import sm3_hex

SM2_SM3 = signing.SM2_SIGN_ALG
SEAL_VERSION = 4
FORMAT = "gbt38540-2020-der"  # marks seals and signatures in this encoding (older ones are JSON)


def _name(common_name: str, organisation: str) -> bytes:
    def rdn(attr: str, value: bytes) -> bytes:
        return der.set_of(der.sequence(der.oid(attr), value))

    return der.sequence(rdn("2.5.4.6", der.printable("CN")), rdn("2.5.4.10", der.utf8(organisation)),
                        rdn("2.5.4.3", der.utf8(common_name)))


def seal_certificate(*, keys: signing.Sm2KeyPair, common_name: str, organisation: str, not_before: datetime,
                     not_after: datetime) -> bytes:
    """A self-signed X.509 v3 certificate (DER) for the issuer's SM2 seal key, signed with SM2/SM3."""
    spki = signing.sm2_public_der(keys.public_hex)
    key_id = hashlib.sha1(b"\x04" + bytes.fromhex(keys.public_hex), usedforsecurity=False).digest()
    name = _name(common_name, organisation)
    algorithm = der.sequence(der.oid(SM2_SM3))
    extensions = der.sequence(
        der.sequence(der.oid("2.5.29.14"), der.octet_string(der.octet_string(key_id))),  # subjectKeyIdentifier
        der.sequence(der.oid("2.5.29.35"),  # authorityKeyIdentifier: itself
                     der.octet_string(der.sequence(der.tlv(0x80, key_id)))),
    )
    tbs = der.sequence(der.explicit(0, der.integer(2)), der.integer(secrets.randbits(63) + 1), algorithm, name,
                       der.sequence(der.x509_time(not_before), der.x509_time(not_after)), name, spki,
                       der.explicit(3, extensions))
    signature = signing.sm2_sign_der(tbs, private_hex=keys.private_hex, public_hex=keys.public_hex)
    return der.sequence(tbs, algorithm, der.bit_string(signature))


def certificate_public_hex(cert_der: bytes) -> str:
    """The SM2 public key (x || y hex) of a certificate made by `seal_certificate`."""
    tbs = der.parse(cert_der).children()[0].children()
    spki = tbs[6].children()
    point = spki[1].bits()
    if len(point) != 65 or point[0] != 4:
        raise der.DerError("not an uncompressed SM2 point")
    return point[1:].hex()


def verify_certificate(cert_der: bytes) -> bool:
    """The certificate's own SM2/SM3 signature holds (self-signed)."""
    try:
        tbs, algorithm, signature = der.parse(cert_der).children()
        if algorithm.children()[0].oid() != SM2_SM3:
            return False
        return signing.sm2_verify_der(tbs.raw, signature.bits(), public_hex=certificate_public_hex(cert_der))
    except (der.DerError, IndexError, ValueError):
        return False


def make_seal(*, es_id: str, seal_name: str, picture_png: bytes, picture_mm: int, cert_der: bytes,
              keys: signing.Sm2KeyPair, created: datetime, valid_start: datetime, valid_end: datetime) -> bytes:
    """An electronic seal (SESeal v4, DER) with its picture, signed by the seal maker."""
    info = der.sequence(
        der.sequence(der.ia5("ES"), der.integer(SEAL_VERSION), der.ia5("renshe")),
        der.ia5(es_id),
        der.sequence(der.integer(1), der.utf8(seal_name), der.integer(1), der.sequence(der.octet_string(cert_der)),
                     der.generalized_time(created), der.generalized_time(valid_start),
                     der.generalized_time(valid_end)),
        der.sequence(der.ia5("PNG"), der.octet_string(picture_png), der.integer(picture_mm), der.integer(picture_mm)),
    )
    maker = der.octet_string(cert_der)
    alg = der.oid(SM2_SM3)
    signed = signing.sm2_sign_der(der.sequence(info, maker, alg), private_hex=keys.private_hex,
                                  public_hex=keys.public_hex)
    return der.sequence(info, maker, alg, der.bit_string(signed))


def _to_sign(seal_der: bytes, time_info: datetime, data_hash: bytes, property_info: str) -> bytes:
    return der.sequence(der.integer(SEAL_VERSION), seal_der, der.generalized_time(time_info),
                        der.bit_string(data_hash), der.ia5(property_info))


def sign(*, seal_der: bytes, data: bytes, property_info: str, time_info: datetime, cert_der: bytes,
         keys: signing.Sm2KeyPair) -> bytes:
    """An electronic signature (SES_Signature v4, DER) over SM3(data)."""
    to_sign = _to_sign(seal_der, time_info, _sm3(data), property_info)
    signature = signing.sm2_sign_der(to_sign, private_hex=keys.private_hex, public_hex=keys.public_hex)
    return der.sequence(to_sign, der.octet_string(cert_der), der.oid(SM2_SM3), der.bit_string(signature))


def assemble(*, seal_der: bytes, cert_der: bytes, time_info: datetime, data_hash: bytes, property_info: str,
             signature: bytes) -> bytes:
    """The SES_Signature again from its stored parts (the same bytes `sign` returned)."""
    return der.sequence(_to_sign(seal_der, time_info, data_hash, property_info), der.octet_string(cert_der),
                        der.oid(SM2_SM3), der.bit_string(signature))


def _sm3(data: bytes) -> bytes:
    return bytes.fromhex(sm3_hex(data))


@dataclass(frozen=True)
class SealParts:
    """What a verifier reads out of an SES_Signature."""

    to_sign: bytes  # DER of TBS_Sign: what `signature` signs
    signature: bytes  # DER SM2Signature
    signer_cert: bytes
    seal: bytes  # DER of the SESeal
    seal_signed: bytes  # DER of SEQUENCE { eSealInfo, cert, signAlgID }: what the seal maker signed
    seal_signature: bytes
    maker_cert: bytes
    seal_name: str
    es_id: str
    data_hash: bytes
    property_info: str
    time_info: datetime
    valid_start: datetime
    valid_end: datetime
    picture: bytes


def parse_signature(signature_der: bytes) -> SealParts:
    """Take an SES_Signature apart (signatures not checked); raises `der.DerError` on bad DER."""
    try:
        outer = der.parse(signature_der).children()
        to_sign, cert, alg, value = outer[:4]
        if alg.oid() != SM2_SM3:
            raise der.DerError("signature algorithm is not SM2/SM3")
        version, seal, time_info, data_hash, prop = to_sign.children()[:5]
        if version.integer() != SEAL_VERSION:
            raise der.DerError("not a version 4 seal signature")
        info, maker, seal_alg, seal_value = seal.children()
        if seal_alg.oid() != SM2_SM3:
            raise der.DerError("seal algorithm is not SM2/SM3")
        _header, es_id, prop_info, picture = info.children()[:4]
        props = prop_info.children()
        return SealParts(
            to_sign=to_sign.raw, signature=value.bits(), signer_cert=cert.expect(der.OCTET_STRING).value,
            seal=seal.raw, seal_signed=der.sequence(info.raw, maker.raw, seal_alg.raw),
            seal_signature=seal_value.bits(), maker_cert=maker.expect(der.OCTET_STRING).value,
            seal_name=props[1].text(), es_id=es_id.text(), data_hash=data_hash.bits(),
            property_info=prop.text(), time_info=time_info.time(), valid_start=props[5].time(),
            valid_end=props[6].time(), picture=picture.children()[1].expect(der.OCTET_STRING).value)
    except (ValueError, IndexError) as exc:
        raise der.DerError(f"not a GB/T 38540 SES_Signature: {exc}") from None


def verify(signature_der: bytes, data: bytes, public_hex: str) -> str | None:
    """None when the SES_Signature is sound for `data` under the seal key `public_hex`, else why (Chinese)."""
    try:
        parts = parse_signature(signature_der)
        maker_key = certificate_public_hex(parts.maker_cert)
        signer_key = certificate_public_hex(parts.signer_cert)
    except der.DerError:
        return "电子签章结构不完整（不是GB/T 38540 DER）"
    if parts.data_hash != _sm3(data):
        return "签章保护的数据摘要与证照内容不一致"
    if maker_key != public_hex or signer_key != public_hex:
        return "签章所用证书与发布的密钥不一致"
    if not verify_certificate(parts.signer_cert):
        return "印章证书的签名无效"
    if not signing.sm2_verify_der(parts.seal_signed, parts.seal_signature, public_hex=public_hex):
        return "电子印章本身的签名无效"
    if not signing.sm2_verify_der(parts.to_sign, parts.signature, public_hex=public_hex):
        return "电子签章的签名无效"
    if not parts.valid_start <= parts.time_info <= parts.valid_end:
        return "签章时间不在印章有效期内"
    return None


def pem(kind: str, data: bytes) -> str:
    body = base64.b64encode(data).decode()
    return (f"-----BEGIN {kind}-----\n" + "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
            + f"\n-----END {kind}-----\n")
