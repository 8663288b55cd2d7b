"""Counters (serials, status slots) and the W3C bitstring status lists, published signed (vc+jwt)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.certs import signing, statuslist, verifier
from renshe.certs.issuers import service as issuers
from renshe.certs.models import CertCounter, Certificate, CertStatusList
from renshe.core.db import utcnow
from renshe.core.errors import NotFound


def next_number(session: Session, scope: str) -> int:
    """The next number in a scope (serials, status slots); the row is locked until commit."""
    row = session.scalar(select(CertCounter).where(CertCounter.scope == scope).with_for_update())
    if row is None:
        try:
            with session.begin_nested():
                session.add(CertCounter(scope=scope, last=0))
        except IntegrityError:
            pass
        row = session.scalar(select(CertCounter).where(CertCounter.scope == scope).with_for_update())
        if row is None:
            raise RuntimeError(f"counter {scope} could not be created")
    row.last += 1
    session.flush()
    return row.last


def _status_list(session: Session, purpose: str, list_no: int, *, lock: bool = False) -> CertStatusList:
    stmt = select(CertStatusList).where(CertStatusList.purpose == purpose, CertStatusList.list_no == list_no)
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        found = CertStatusList(purpose=purpose, list_no=list_no, bits=statuslist.empty())
        session.add(found)
        session.flush()
    return found


def allocate_status_slot(session: Session) -> tuple[int, int]:
    """A fresh (list number, index) in every status list for a new certificate."""
    n = next_number(session, "status-slot") - 1
    list_no, index = divmod(n, statuslist.SIZE)
    for purpose in statuslist.PURPOSES:
        _status_list(session, purpose, list_no)
    return list_no, index


def set_status_bit(session: Session, cert: Certificate, purpose: str, value: bool) -> None:
    row = _status_list(session, purpose, cert.status_list_no, lock=True)
    row.bits = statuslist.set_bit(row.bits, cert.status_index, value)
    row.updated_at = utcnow()
    session.flush()


def status_list_credential(session: Session, *, purpose: str, list_no: int = 0) -> str:
    """The list as a W3C BitstringStatusListCredential, signed (vc+jwt) by the province's issuer."""
    if purpose not in statuslist.PURPOSES:
        raise NotFound("该状态列表", code="renshe:certs/status-list")
    row = session.scalar(select(CertStatusList).where(CertStatusList.purpose == purpose,
                                                      CertStatusList.list_no == list_no))
    if row is None:
        if list_no != 0:
            raise NotFound("该状态列表", code="renshe:certs/status-list")
        bits, updated = statuslist.empty(), utcnow()
    else:
        bits, updated = row.bits, row.updated_at
    issuer = issuers.default_issuer(session)
    ed, _sm = issuers.signing_keys(session, issuer)
    url = verifier.status_list_url(issuers.base_url(), purpose, list_no)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": {"id": f"urn:uscc:{issuer.code}", "name": issuer.name},
        "validFrom": updated.isoformat(timespec="seconds"),
        "credentialSubject": {"id": f"{url}#list", "type": "BitstringStatusList", "statusPurpose": purpose,
                              "encodedList": statuslist.encode(bits)},
        "iat": int(utcnow().timestamp()),
    }
    return signing.jws_sign(payload, private_raw=issuers.ed_private(ed), kid=ed.kid)


def current_status_lists(session: Session) -> list[str]:
    slots = {(str(p), int(n)) for p, n in session.execute(select(CertStatusList.purpose, CertStatusList.list_no))}
    slots = slots or {(p, 0) for p in statuslist.PURPOSES}
    return [status_list_credential(session, purpose=p, list_no=n) for p, n in sorted(slots)]
