"""The public surface of the electronic certificate library (电子证照库).

Other domains (the hall's certificate materials), the routes and the commands use the library
through this module; the rules live in the sub-features, one subpackage each, and only they write
the certificate tables:

- `types`: the configured certificate types and the check of their fields;
- `issuers`: the province's issuing authority and its Ed25519 / SM2 keys;
- `status`: counters and the W3C bitstring status lists;
- `issuing`: issue, suspend, resume, revoke, reissue;
- `verification`: online verification, verification links, the verification log, holdings;
- `wallet`: the holder's wallet, the staff's search, the full record and the PDF.

Who may do what is decided in `renshe.certs.policy`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import signing
from renshe.certs.issuers.service import (
    base_url,
    default_issuer,
    derived_issuer_code,
    ed_private,
    jwk,
    published_keys,
    published_sm2_keys,
    rotate_keys,
    set_issuer,
    signing_keys,
    sm2_key_pem,
    verify_url,
)
from renshe.certs.issuers.service import sign_pdf as issuer_sign_pdf
from renshe.certs.issuing.service import (
    ACTION_LABELS,
    credential_payload,
    full_seal_signature,
    get_certificate,
    issue,
    reissue,
    resume,
    revoke,
    seal_signature_der,
    suspend,
    verify_seal,
)
from renshe.certs.models import Certificate, CertKey
from renshe.certs.status.service import current_status_lists, status_list_credential
from renshe.certs.types.service import CertType, FieldSpec, cert_type, cert_types, check_fields
from renshe.certs.verification.service import (
    Verification,
    create_link,
    holdings,
    links_of,
    log_verification,
    open_link,
    state_of,
    verifications_of,
    verify,
)
from renshe.certs.views import field_rows, validity_text, view
from renshe.certs.wallet.service import (
    certificate_out,
    certificates_of,
    my_certificates,
    pdf,
    seal_picture,
    search,
)
from renshe.core.auth import SYSTEM
from renshe.core.db import utcnow
from renshe.registry import service as registry
from renshe.sharing import service as sharing

__all__ = [
    "ACTION_LABELS", "CertType", "FieldSpec", "Verification", "base_url", "cert_type", "cert_types",
    "certificate_out", "certificate_validity", "certificates_of", "check_fields", "create_link",
    "credential_payload", "current_status_lists", "default_issuer", "derived_issuer_code", "ed_private",
    "field_rows", "full_seal_signature", "get_certificate", "holdings", "issue", "issue_demo", "jwk", "links_of",
    "log_verification", "my_certificates", "open_link", "pdf", "published_keys", "published_sm2_keys", "reissue",
    "resume", "revoke", "rotate_keys", "seal_picture", "seal_signature_der", "search", "set_issuer", "signing_keys",
    "sm2_key_pem", "state_of", "status_list_credential", "suspend", "validity_text", "verifications_of", "verify",
    "verify_seal", "verify_url", "view",
]
__all__ += ["Certificate", "check_time_statement", "platform_sign_pdf",  # the platform signature, below
            "time_statement"]


def certificate_validity(session: Session, person: registry.Person) -> dict[str, Any]:
    """The person's certificates and their status (catalog resource `certificate-validity`)."""
    items = []
    for cert in certificates_of(session, person=person):
        state = state_of(cert, "sharing")
        items.append({"identifier": cert.identifier, "name": cert.name, "type": cert.type_key,
                      "issuer": cert.issuer_name, "issue_date": cert.issue_date.isoformat(),
                      "valid_until": cert.valid_until.isoformat() if cert.valid_until else None,
                      "status": state.result, "status_label": state.label})
        log_verification(session, cert, channel="sharing", actor=None, result=state.result,
                         verifier_label="数据共享平台查询")
    return {"certificates": items}


sharing.register_answer("certificate-validity", certificate_validity)


def issue_demo(session: Session, *, id_number: str | None) -> Certificate | None:
    """Issue one vocational skill level certificate to the demo's sample person (demo seed)."""
    if not id_number:
        return None
    person = registry.find_by_id_number(session, id_number=id_number)
    if person is None:
        return None
    return issue(session, actor=SYSTEM, person_public_id=person.public_id, type_key="vocational-skill-level",
                 fields={"occupation": "电工", "level": "三级/高级工", "evaluator": "演示职业技能等级认定中心",
                         "score": "合格"})


# ---------------------------------------------------------------- the platform's signature and time statement
# Used by other domains' signed documents (labour contracts): the PDF signed as a PDF by the province's
# document-signing key, and a signed time statement (a JWS by the issuer's Ed25519 key over a digest and the
# platform's time) standing in for a trusted timestamp (RFC 3161) until a TSA is configured.

TIME_STATEMENT_TYP = "renshe-time+jwt"


def platform_sign_pdf(session: Session, *, pdf: bytes, reason: str) -> bytes:
    """PDF signed as a PDF (`pdfsign.sign_pdf`) by the province's document-signing key; `pdfsig` checks it."""
    return issuer_sign_pdf(session, default_issuer(session), pdf, reason=reason)


def time_statement(session: Session, *, digest: str) -> str:
    """A signed time statement over DIGEST (hex): compact JWS, EdDSA, by the issuer's active key."""
    issuer = default_issuer(session)
    ed, _ = signing_keys(session, issuer)
    payload = {"iss": issuer.code, "digest": digest, "time": utcnow().isoformat(timespec="seconds")}
    return signing.jws_sign(payload, private_raw=ed_private(ed), kid=ed.kid, typ=TIME_STATEMENT_TYP)


def check_time_statement(session: Session, *, token: str, digest: str) -> str | None:
    """The time a statement vouches for (ISO 8601) when it is signed by one of the issuer's keys (active or
    retired) over DIGEST, else None."""
    try:
        header, payload, signing_input, signature = signing.jws_parts(token)
    except signing.SignatureError:
        return None
    if header.get("typ") != TIME_STATEMENT_TYP or payload.get("digest") != digest:
        return None
    key = session.scalar(select(CertKey).where(CertKey.kid == str(header.get("kid")), CertKey.alg == signing.ED_ALG,
                                               CertKey.status != "revoked"))
    if key is None or not signing.ed25519_verify(signing.unb64url(key.public_key), signature, signing_input):
        return None
    return str(payload.get("time"))
