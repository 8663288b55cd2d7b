"""JSON API of the certificate library: published keys and status lists, verification for everyone,
staff issuing and status changes, the holder's wallet."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from starlette.responses import JSONResponse, Response

from renshe.certs import schemas, service
from renshe.core.auth import Principal
from renshe.core.errors import NotFound
from renshe.core.http import CurrentPrincipal, DbSession, MaybePrincipal, WriteSession, require_kind

router = APIRouter(tags=["certs 电子证照"])
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]


@router.get("/.well-known/renshe/keys", summary="发证密钥（JWKS）Published certificate keys")
def keys(session: WriteSession) -> JSONResponse:
    found = service.published_keys(session)
    if not found["keys"]:
        service.signing_keys(session, service.default_issuer(session))
        found = service.published_keys(session)
    return JSONResponse(found, headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/renshe-sm2-keys", summary="SM2印章公钥与印章证书 SM2 seal keys (PEM) and certificates")
def sm2_keys(session: WriteSession) -> JSONResponse:
    """SM2 is not a JOSE curve, so the seal keys are published here, outside the JWKS: each as a PEM
    SubjectPublicKeyInfo (curve 1.2.156.10197.1.301) with its X.509 seal certificate, and the SM2 user
    ID (distinguishing ID) every signature is computed with."""
    service.signing_keys(session, service.default_issuer(session))  # made on first use, as the JWKS
    return JSONResponse(service.published_sm2_keys(session), headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/renshe-sm2-keys/{kid}.pem", summary="一个SM2公钥（PEM）One SM2 public key as PEM",
            response_class=Response, responses={200: {"content": {"application/x-pem-file": {}}}})
def sm2_key_pem(kid: str, session: DbSession) -> Response:
    found = service.sm2_key_pem(session, kid)
    if found is None:
        raise NotFound("该SM2公钥", code="renshe:certs/key-not-found")
    return Response(found, media_type="application/x-pem-file", headers={"Cache-Control": "public, max-age=300"})


@router.get("/certs/status/{purpose}/{list_no}", summary="证照状态列表 Bitstring status list (vc+jwt)",
            response_class=Response, responses={200: {"content": {"application/vc+jwt": {}}}})
def status_list(purpose: str, list_no: int, session: WriteSession) -> Response:
    token = service.status_list_credential(session, purpose=purpose, list_no=list_no)  # may create keys
    return Response(token, media_type="application/vc+jwt", headers={"Cache-Control": "public, max-age=60"})


@router.get("/api/v1/certs/types", summary="证照类型 Certificate types")
def types() -> list[dict[str, Any]]:
    return [{"key": t.key, "code": t.code, "name": t.name, "name_en": t.name_en,
             "validity_years": t.validity_years,
             "fields": [{"name": f.name, "label": f.label, "type": f.type, "required": f.required,
                         "choices": list(f.choices)} for f in t.fields]}
            for t in service.cert_types().values()]


@router.post("/api/v1/certs/verify", response_model=schemas.VerifyOut,
             summary="核验电子证照 Verify a certificate (JWS, QR payload or identifier)")
def verify(data: schemas.VerifyIn, session: DbSession, principal: MaybePrincipal) -> schemas.VerifyOut:
    result = service.verify(session, value=data.value, channel="api", actor=principal)
    return result.out()


@router.post("/api/v1/certs", status_code=status.HTTP_201_CREATED, response_model=schemas.CertificateOut,
             summary="发证 Issue a certificate")
def issue(data: schemas.IssueIn, session: DbSession, principal: CurrentPrincipal) -> schemas.CertificateOut:
    cert = service.issue(session, actor=principal, person_public_id=data.person_id, type_key=data.type,
                         fields=data.fields, valid_from=data.valid_from)
    return service.certificate_out(session, cert, actor=principal)


@router.get("/api/v1/certs", response_model=schemas.CertificatePage, summary="辖区内证照 Certificates in jurisdiction")
def search(session: DbSession, principal: CurrentPrincipal,
           q: Annotated[str | None, Query(description="证照标识、公民身份号码或姓名", max_length=100)] = None,
           status_: Annotated[str | None, Query(alias="status", pattern="^(valid|suspended|revoked)$")] = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 20, cursor: str | None = None) -> schemas.CertificatePage:
    rows, next_cursor = service.search(session, actor=principal, q=q, status=status_, limit=limit, cursor=cursor)
    return schemas.CertificatePage(items=[service.view(c) for c in rows], next_cursor=next_cursor)


@router.get("/api/v1/certs/{identifier}", response_model=schemas.CertificateOut, summary="查看证照 Get a certificate")
def get(identifier: str, session: DbSession, principal: CurrentPrincipal) -> schemas.CertificateOut:
    cert = service.get_certificate(session, actor=principal, identifier=identifier)
    return service.certificate_out(session, cert, actor=principal)


@router.get("/api/v1/certs/{identifier}/pdf", summary="下载证照PDF Download the PDF",
            response_class=Response, responses={200: {"content": {"application/pdf": {}}}})
def pdf(identifier: str, session: WriteSession, principal: CurrentPrincipal) -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=identifier)
    return Response(service.pdf(session, cert), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})


def _change(action: str, identifier: str, data: schemas.ReasonIn, session: Any, principal: Principal
            ) -> schemas.CertificateOut:
    cert = service.get_certificate(session, actor=principal, identifier=identifier)
    changed = {"suspend": service.suspend, "resume": service.resume, "revoke": service.revoke}[action](
        session, actor=principal, cert=cert, reason=data.reason)
    return service.certificate_out(session, changed, actor=principal)


@router.post("/api/v1/certs/{identifier}/suspend", response_model=schemas.CertificateOut, summary="暂停 Suspend")
def suspend(identifier: str, data: schemas.ReasonIn, session: DbSession, principal: Staff) -> schemas.CertificateOut:
    return _change("suspend", identifier, data, session, principal)


@router.post("/api/v1/certs/{identifier}/resume", response_model=schemas.CertificateOut, summary="恢复 Resume")
def resume(identifier: str, data: schemas.ReasonIn, session: DbSession, principal: Staff) -> schemas.CertificateOut:
    return _change("resume", identifier, data, session, principal)


@router.post("/api/v1/certs/{identifier}/revoke", response_model=schemas.CertificateOut, summary="吊销 Revoke")
def revoke(identifier: str, data: schemas.ReasonIn, session: DbSession, principal: Staff) -> schemas.CertificateOut:
    return _change("revoke", identifier, data, session, principal)


@router.post("/api/v1/certs/{identifier}/reissue", status_code=status.HTTP_201_CREATED,
             response_model=schemas.CertificateOut, summary="换发新版本 Reissue (the old version is revoked)")
def reissue(identifier: str, data: schemas.ReissueIn, session: DbSession, principal: Staff) -> schemas.CertificateOut:
    cert = service.get_certificate(session, actor=principal, identifier=identifier)
    new = service.reissue(session, actor=principal, cert=cert, reason=data.reason, fields=data.fields)
    return service.certificate_out(session, new, actor=principal)


@router.post("/api/v1/certs/keys/rotate", summary="轮换发证密钥 Rotate the issuer's keys")
def rotate(session: DbSession, principal: Staff) -> dict[str, str]:
    ed, sm = service.rotate_keys(session, actor=principal)
    return {"ed25519": ed.kid, "sm2": sm.kid}


@router.get("/api/v1/me/certificates", response_model=list[schemas.CertificateView], summary="我的证照 My certificates")
def mine(session: DbSession, principal: Citizen) -> list[schemas.CertificateView]:
    return [service.view(c) for c in service.my_certificates(session, actor=principal)]


@router.post("/api/v1/me/certificates/{identifier}/links", status_code=status.HTTP_201_CREATED,
             response_model=schemas.LinkOut, summary="生成核验链接 Create a verification link")
def create_link(identifier: str, data: schemas.LinkIn, session: DbSession, principal: Citizen) -> schemas.LinkOut:
    cert = service.get_certificate(session, actor=principal, identifier=identifier)
    link, url = service.create_link(session, actor=principal, cert=cert, days=data.days, purpose=data.purpose)
    return schemas.LinkOut(url=url, expires_at=link.expires_at)


@router.get("/api/v1/me/certificates/{identifier}/verifications", response_model=list[schemas.VerificationEntry],
            summary="谁核验了我的证照 Who verified my certificate")
def verifications(identifier: str, session: DbSession, principal: Citizen) -> list[schemas.VerificationEntry]:
    cert = service.get_certificate(session, actor=principal, identifier=identifier)
    return [schemas.VerificationEntry(at=v.at, channel=v.channel, verifier=v.verifier, result=v.result)
            for v in service.verifications_of(session, cert)]
