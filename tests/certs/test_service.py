"""Issuing, status changes, keys and rotation, seals, data sharing: the service on the database."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import gbseal, identifiers, service, signing, statuslist, verifier
from renshe.certs.models import Certificate, CertVerification
from renshe.core import crypto
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, DomainError, Forbidden, ValidationFailed
from renshe.core.models import AuditEntry, OutboxEvent
from renshe.registry.models import Person
from renshe.sharing import service as sharing
from tests import factories
from tests.certs.conftest import SKILL_FIELDS, citizen


def _lists(session: Session) -> list[str]:
    return service.current_status_lists(session)


def test_issue_builds_identifier_metadata_and_both_signatures(session: Session, cert: Certificate,
                                                               holder: Person) -> None:
    parsed = identifiers.parse(cert.identifier)
    assert parsed.type_code == "11100000000013338W003"
    assert parsed.issuer_code == cert.issuer_code == service.default_issuer(session).code
    assert parsed.version == 1
    assert cert.holder_code_type == "111"
    assert cert.holder_code_masked == holder.id_number_masked
    assert cert.valid_until is None  # long-term type
    header, payload, _input, _sig = signing.jws_parts(cert.jws)
    assert header["alg"] == "EdDSA"
    meta = payload["metadata"]
    for key in ("holder", "holderCode", "holderCodeType", "issuer", "issuerCode", "issueDate", "validFrom",
                "validUntil", "signer", "signingTime", "sealName", "identifier", "typeCode"):
        assert meta[key], key
    assert meta["holderCode"] == holder.id_number_masked  # the full number never enters the token
    assert {s["statusPurpose"] for s in payload["credentialStatus"]} == {"revocation", "suspension"}
    assert service.verify_seal(session, cert) is None
    full = service.full_seal_signature(session, cert)
    assert full["format"] == gbseal.FORMAT
    assert gbseal.parse_signature(base64.b64decode(full["der"])).picture.startswith(b"\x89PNG")
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "certs.issue",
                                                   AuditEntry.entity_id == cert.public_id))
    assert session.scalar(select(OutboxEvent).where(OutboxEvent.topic == "certs.issued"))


def test_holder_code_digest_confirms_a_known_id_number(session: Session, cert: Certificate, holder: Person) -> None:
    number = crypto.cipher().decrypt(holder.id_number_encrypted, purpose="person.id_number")
    _h, payload, _i, _s = signing.jws_parts(cert.jws)
    assert payload["credentialSubject"]["holderCodeDigest"] == crypto.sm3_hex(f"{cert.identifier}|{number}".encode())


def test_seal_check_fails_when_the_document_changes(session: Session, cert: Certificate) -> None:
    _header, payload, _i, _s = signing.jws_parts(cert.jws)
    full = base64.b64decode(service.full_seal_signature(session, cert)["der"])
    key_hex = gbseal.certificate_public_hex(gbseal.parse_signature(full).signer_cert)
    assert gbseal.verify(full, signing.canonical(payload), key_hex) is None
    payload["metadata"]["holder"] = "李四"
    assert gbseal.verify(full, signing.canonical(payload), key_hex) == "签章保护的数据摘要与证照内容不一致"


def test_fields_are_checked_all_at_once(session: Session, clerk: Principal, holder: Person) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="vocational-skill-level",
                      fields={"level": "九级", "colour": "red"})
    fields = {e.field for e in caught.value.errors}
    assert fields == {"fields", "fields.occupation", "fields.level", "fields.evaluator"}
    with pytest.raises(ValidationFailed):
        service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="no-such-type", fields={})


def test_validity_from_the_type(session: Session, clerk: Principal, holder: Person) -> None:
    card = service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="social-security-card",
                         fields={"card_number": "A12345678", "issue_place": "北京市朝阳区"})
    assert card.valid_until is not None
    assert (card.valid_until - card.valid_from).days in (3652, 3651, 3650)


def test_issue_outside_jurisdiction_is_refused(session: Session, holder: Person) -> None:
    other = factories.staff_user(session, username="cert-clerk-haidian", division="110108")
    with pytest.raises(Forbidden):
        service.issue(session, actor=other, person_public_id=holder.public_id, type_key="vocational-skill-level",
                      fields=SKILL_FIELDS)
    reviewer = factories.staff_user(session, username="cert-reviewer", division="110105", roles=("reviewer",))
    with pytest.raises(Forbidden):
        service.issue(session, actor=reviewer, person_public_id=holder.public_id, type_key="vocational-skill-level",
                      fields=SKILL_FIELDS)


def test_serials_and_status_slots_are_unique(session: Session, clerk: Principal, holder: Person) -> None:
    made = [service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="vocational-skill-level",
                          fields=SKILL_FIELDS) for _ in range(3)]
    assert len({c.serial for c in made}) == 3
    assert len({(c.status_list_no, c.status_index) for c in made}) == 3
    assert len({c.number for c in made}) == 3


def test_suspend_resume_revoke_move_the_bits(session: Session, clerk: Principal, cert: Certificate) -> None:
    keys = service.published_keys(session)

    def offline() -> str:
        return verifier.verify_offline(cert.qr_payload, jwks=keys, status_lists=_lists(session)).result

    assert offline() == "valid"
    service.suspend(session, actor=clerk, cert=cert, reason="核查中")
    assert offline() == "suspended"
    with pytest.raises(Conflict):
        service.suspend(session, actor=clerk, cert=cert, reason="再次暂停")
    service.resume(session, actor=clerk, cert=cert, reason="核查无误")
    assert offline() == "valid"
    with pytest.raises(ValidationFailed):
        service.revoke(session, actor=clerk, cert=cert, reason=" ")
    service.revoke(session, actor=clerk, cert=cert, reason="以欺骗手段取得")
    assert offline() == "revoked"
    with pytest.raises(Conflict):
        service.resume(session, actor=clerk, cert=cert, reason="恢复")
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.entity_id == cert.public_id)))
    assert {"certs.issue", "certs.suspend", "certs.resume", "certs.revoke"} <= actions
    topics = set(session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic.startswith("certs."))))
    assert {"certs.suspended", "certs.resumed", "certs.revoked"} <= topics


def test_reissue_makes_a_new_version_and_revokes_the_old(session: Session, clerk: Principal,
                                                         cert: Certificate) -> None:
    new = service.reissue(session, actor=clerk, cert=cert, reason="等级信息更正",
                          fields={**SKILL_FIELDS, "level": "二级/技师"})
    assert new.serial == cert.serial
    assert identifiers.parse(new.identifier).version == 2
    assert new.number.endswith("-2")
    assert cert.status == "revoked"
    assert cert.superseded_by == new.identifier
    assert new.fields["level"] == "二级/技师"
    old = service.verify(session, value=cert.identifier)
    assert old.result == "revoked"
    assert "换发" in old.reason
    assert service.verify(session, value=new.identifier).result == "valid"
    with pytest.raises(Conflict):
        service.reissue(session, actor=clerk, cert=cert, reason="再换发")


def test_rotation_keeps_old_certificates_verifiable(session: Session, clerk: Principal, holder: Person,
                                                    cert: Certificate) -> None:
    admin = factories.staff_user(session, username="cert-admin", division="110000", roles=("admin",))
    with pytest.raises(Forbidden):
        service.rotate_keys(session, actor=clerk)
    ed, sm = service.rotate_keys(session, actor=admin)
    newer = service.issue(session, actor=clerk, person_public_id=holder.public_id, type_key="vocational-skill-level",
                          fields=SKILL_FIELDS)
    assert newer.jws_kid == ed.kid != cert.jws_kid
    assert newer.seal_kid == sm.kid != cert.seal_kid
    keys = service.published_keys(session)
    states = {k["kid"]: k["status"] for k in keys["keys"]}
    assert states[cert.jws_kid] == "retired"
    assert states[ed.kid] == "active"
    for c in (cert, newer):
        for value in (c.jws, c.qr_payload):
            assert verifier.verify_offline(value, jwks=keys, status_lists=_lists(session)).result == "valid"
        assert service.verify_seal(session, c) is None
    # A signature dated after its key was retired is not accepted.
    retired = next(k for k in keys["keys"] if k["kid"] == cert.jws_kid)
    late = datetime.now(UTC) + timedelta(hours=1)
    assert verifier._key_problem(retired, late) == "签名时间晚于密钥停用时间"


def test_keys_are_stored_encrypted(session: Session, cert: Certificate) -> None:
    from renshe.certs.models import CertKey

    key = session.scalar(select(CertKey).where(CertKey.kid == cert.jws_kid))
    assert key is not None
    raw = service.ed_private(key)
    assert signing.b64url(raw).encode() not in key.private_key_encrypted
    assert len(raw) == 32


def test_citizen_sees_only_own_certificates(session: Session, cert: Certificate, holder: Person) -> None:
    assert [c.id for c in service.my_certificates(session, actor=citizen(holder))] == [cert.id]
    stranger = factories.person(session, county="110105", name="司马建华")
    with pytest.raises(DomainError):
        service.get_certificate(session, actor=citizen(stranger), identifier=cert.identifier)


def test_links_expire_and_log_who_verified(session: Session, cert: Certificate, holder: Person) -> None:
    link, url = service.create_link(session, actor=citizen(holder), cert=cert, days=3, purpose="应聘")
    assert url.endswith(link.token)
    assert service.open_link(session, token=link.token, actor=None).result == "valid"
    link.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    session.flush()
    with pytest.raises(Conflict):
        service.open_link(session, token=link.token, actor=None)
    with pytest.raises(Forbidden):
        service.create_link(session, actor=SYSTEM, cert=cert, days=3)
    entries = service.verifications_of(session, cert)
    assert [(e.channel, e.verifier, e.result) for e in entries] == [("link", "匿名访问", "valid")]


def test_sharing_answers_certificate_validity(session: Session, cert: Certificate, holder: Person,
                                              clerk: Principal) -> None:
    number = crypto.cipher().decrypt(holder.id_number_encrypted, purpose="person.id_number")
    assert "certificate-validity" in sharing.answerable()
    answer = sharing.query_person(session, short_name="certificate-validity", id_number=number)
    assert answer["found"] is True
    assert answer["certificates"] == [{
        "identifier": cert.identifier, "name": "职业技能等级证书", "type": "vocational-skill-level",
        "issuer": cert.issuer_name, "issue_date": cert.issue_date.isoformat(), "valid_until": None,
        "status": "valid", "status_label": "有效"}]
    service.revoke(session, actor=clerk, cert=cert, reason="吊销测试")
    again = sharing.query_person(session, short_name="certificate-validity", id_number=number)
    assert again["certificates"][0]["status"] == "revoked"
    assert session.scalar(select(CertVerification.channel).where(CertVerification.certificate_id == cert.id)) \
        == "sharing"


def test_online_verify_catches_a_signed_but_different_payload(session: Session, cert: Certificate) -> None:
    # Re-signing with the issuer's own key is not tampering a verifier could see offline, but the
    # library knows what it issued.
    assert service.verify(session, value=cert.jws).result == "valid"
    assert service.verify(session, value=cert.qr_payload).result == "valid"
    assert service.verify(session, value="1.2.156.3005.2.nonsense").result == "unknown"


def test_status_list_credential_is_a_signed_vc(session: Session, cert: Certificate) -> None:
    token = service.status_list_credential(session, purpose="revocation", list_no=cert.status_list_no)
    header, payload = verifier.verify_jws(token, service.published_keys(session))
    assert header["typ"] == "vc+jwt"
    assert payload["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    subject = payload["credentialSubject"]
    assert subject["statusPurpose"] == "revocation"
    assert len(statuslist.decode(subject["encodedList"])) * 8 >= 131_072


def test_demo_issues_one_certificate(session: Session) -> None:
    from renshe import demo

    report = demo.seed(session, persons=30, province="110000")
    assert report.sample_person is not None
    person = session.scalar(select(Person).where(Person.name == report.sample_person[0]))
    assert person is not None
    certs = service.certificates_of(session, person=person)
    assert [c.type_key for c in certs] == ["vocational-skill-level"]
