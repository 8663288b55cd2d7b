"""Pages of the certificate library: public verification, the citizen's wallet, the staff pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from PIL import Image
from starlette.responses import Response

from renshe.certs import policy, render, service
from renshe.certs.models import Certificate
from renshe.core import labels
from renshe.core.auth import Principal
from renshe.core.db import utcnow
from renshe.core.errors import DomainError, FieldError
from renshe.core.http import DbSession, MaybePrincipal, WriteSession, attempt, require_kind, templates
from renshe.registry import service as registry

router = APIRouter(include_in_schema=False)
Staff = Annotated[Principal, require_kind("staff")]
Citizen = Annotated[Principal, require_kind("citizen")]
MAX_UPLOAD = 10 * 1024 * 1024
CHANNEL_LABELS = labels.register(
    "certs.channel", {"api": "接口核验", "page": "核验页面", "link": "核验链接", "sharing": "数据共享",
                      "cli": "命令行"})


# ---------------------------------------------------------------- verification for everyone


def _verify_page(request: Request, *, value: str = "", result: service.Verification | None = None,
                 errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return templates.render(request, "certs_verify.html", status_code=status_code, page_title="电子证照核验",
                            value=value, result=result, errors=errors or [])


FORMATS = Path(__file__).parent / "data" / "formats.md"


@router.get("/certs/formats")
def formats_page(request: Request) -> Response:
    """The published formats (QR, e-SSC code, seal, PDF) for third-party verifiers."""
    return templates.render(request, "certs_formats.html", page_title="公开格式规范",
                            text=FORMATS.read_text(encoding="utf-8"))


@router.get("/certs/formats.md")
def formats_markdown() -> Response:
    return Response(FORMATS.read_text(encoding="utf-8"), media_type="text/markdown; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/certs/verify")
def verify_form(request: Request, session: WriteSession, principal: MaybePrincipal,
                v: Annotated[str, Query(max_length=20000)] = "", id: Annotated[str, Query(max_length=100)] = "",
                ) -> Response:
    value = v or id
    if not value:
        return _verify_page(request)
    result = service.verify(session, value=value, channel="page", actor=principal)
    return _verify_page(request, value=value, result=result)


@router.post("/certs/verify")
async def verify_submit(request: Request, session: DbSession, principal: MaybePrincipal,
                        value: Annotated[str, Form(max_length=20000)] = "",
                        upload: Annotated[UploadFile | None, File()] = None) -> Response:
    text = value.strip()
    if upload is not None and upload.filename:
        data = await upload.read(MAX_UPLOAD + 1)
        if len(data) > MAX_UPLOAD:
            return _verify_page(request, errors=[FieldError("upload", "renshe:certs/upload-size",
                                                            "文件不能超过10MB")], status_code=422)
        try:
            codes = render.read_qr(data)
        except (OSError, ValueError, RuntimeError, Image.DecompressionBombError):
            codes = []
        if not codes:
            return _verify_page(request, errors=[FieldError(
                "upload", "renshe:certs/no-qr", "没有在上传的文件中识别到二维码，请上传清晰的图片或证照PDF")],
                status_code=422)
        text = codes[0]
    if not text:
        return _verify_page(request, errors=[FieldError("value", "renshe:certs/empty",
                                                        "请粘贴证照内容或证照标识，或上传图片、PDF")], status_code=422)
    from starlette.concurrency import run_in_threadpool

    def work() -> service.Verification:
        return service.verify(session, value=text, channel="page", actor=principal)

    result = await run_in_threadpool(work)
    return _verify_page(request, value=text if len(text) < 2000 else "", result=result)


@router.get("/certs/v/{token}")
def open_link(request: Request, token: str, session: WriteSession, principal: MaybePrincipal) -> Response:
    try:
        result = service.open_link(session, token=token, actor=principal)
    except DomainError as exc:
        if exc.status == 403:
            raise
        return templates.render(request, "error.html", status_code=exc.status, page_title="核验链接无效",
                                title="核验链接无效", detail=exc.detail, errors=[])
    return _verify_page(request, result=result)


# ---------------------------------------------------------------- the citizen's wallet


@router.get("/citizen/certs")
def my_certs(request: Request, session: DbSession, principal: Citizen) -> Response:
    certs = service.my_certificates(session, actor=principal)
    return templates.render(request, "certs_mine.html", page_title="我的电子证照",
                            certs=[service.view(c).model_dump() | {"public_id": c.public_id} for c in certs])


@router.get("/citizen/certs/{public_id}")
def my_cert(request: Request, public_id: str, session: DbSession, principal: Citizen,
            link: Annotated[str, Query(max_length=300)] = "") -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    return _my_cert_page(request, session, principal, cert, new_link=link)


def _my_cert_page(request: Request, session: DbSession, principal: Principal, cert: Certificate,
                  *, new_link: str = "", errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return templates.render(
        request, "certs_mine_detail.html", status_code=status_code, page_title=cert.name,
        cert=service.certificate_out(session, cert, actor=principal), rows=service.field_rows(cert),
        validity=service.validity_text(cert), qr=render.qr_svg_data_uri(cert.qr_payload),
        seal=service.seal_picture(session, cert), links=service.links_of(session, cert),
        verifications=service.verifications_of(session, cert), channels=CHANNEL_LABELS, new_link=new_link,
        errors=errors or [], now=utcnow())


@router.get("/citizen/certs/{public_id}/pdf")
def my_cert_pdf(public_id: str, session: WriteSession, principal: Citizen) -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    return Response(service.pdf(session, cert), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})


@router.post("/citizen/certs/{public_id}/links")
def my_cert_link(request: Request, public_id: str, session: DbSession, principal: Citizen,
                 days: Annotated[str, Form()] = "7", purpose: Annotated[str, Form(max_length=100)] = "") -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    made, errors = attempt(lambda: service.create_link(
        session, actor=principal, cert=cert, days=int(days) if days.isdigit() else 0, purpose=purpose),
        field="days", session=session)
    if made is None:
        return _my_cert_page(request, session, principal, cert, errors=errors, status_code=422)
    return RedirectResponse(f"/citizen/certs/{cert.public_id}?link={made[1]}", status_code=303)


# ---------------------------------------------------------------- staff


@router.get("/staff/certs")
def staff_certs(request: Request, session: DbSession, principal: Staff,
                q: Annotated[str, Query(max_length=100)] = "", cursor: str | None = None) -> Response:
    rows, next_cursor = service.search(session, actor=principal, q=q or None, cursor=cursor)
    return templates.render(request, "certs_staff.html", page_title="电子证照", q=q,
                            certs=[service.view(c).model_dump() | {"public_id": c.public_id} for c in rows],
                            next_cursor=next_cursor, can_write=policy.can(principal, "certs.issue"),
                            can_rotate=policy.can(principal, "certs.configure"))


def _issue_page(request: Request, principal: Principal, *, values: dict[str, str], errors: list[FieldError],
                status_code: int = 200) -> Response:
    kinds = service.cert_types()
    chosen = kinds.get(values.get("type", "")) or next(iter(kinds.values()))
    return templates.render(request, "certs_staff_issue.html", status_code=status_code, page_title="发放电子证照",
                            kinds=list(kinds.values()), kind=chosen, values=values, errors=errors,
                            principal=principal)


@router.get("/staff/certs/issue")
def issue_form(request: Request, principal: Staff, type: str = "", id_number: str = "") -> Response:
    policy.require(principal, "certs.issue")
    return _issue_page(request, principal, values={"type": type, "id_number": id_number}, errors=[])


@router.post("/staff/certs/issue")
async def issue_submit(request: Request, session: DbSession, principal: Staff) -> Response:
    policy.require(principal, "certs.issue")
    form = await request.form()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    kind = service.cert_types().get(values.get("type", ""))
    fields = {f.name: values.get(f"field_{f.name}", "") for f in kind.fields} if kind else {}

    def run() -> Certificate:
        person = registry.find_person(session, actor=principal, id_number=values.get("id_number", ""))
        return service.issue(session, actor=principal, person_public_id=person.public_id,
                             type_key=values.get("type", ""), fields=fields)

    from starlette.concurrency import run_in_threadpool

    def work() -> tuple[Certificate | None, list[FieldError]]:
        return attempt(run, field="id_number", session=session)

    cert, errors = await run_in_threadpool(work)
    if cert is not None:
        return RedirectResponse(f"/staff/certs/{cert.public_id}?done=issue", status_code=303)
    return _issue_page(request, principal, values=values, errors=errors, status_code=422)


@router.get("/staff/certs/{public_id}")
def staff_cert(request: Request, public_id: str, session: DbSession, principal: Staff, done: str = "") -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    return _staff_cert_page(request, session, principal, cert, done=done)


def _staff_cert_page(request: Request, session: DbSession, principal: Principal, cert: Certificate, *,
                     done: str = "", errors: list[FieldError] | None = None, status_code: int = 200) -> Response:
    return templates.render(
        request, "certs_staff_detail.html", status_code=status_code, page_title=cert.name,
        cert=service.certificate_out(session, cert, actor=principal), rows=service.field_rows(cert),
        validity=service.validity_text(cert), qr=render.qr_svg_data_uri(cert.qr_payload),
        seal=service.seal_picture(session, cert), verifications=service.verifications_of(session, cert, limit=50),
        channels=CHANNEL_LABELS, can_write=policy.can(principal, "certs.issue"), done=done, errors=errors or [],
        seal_problem=service.verify_seal(session, cert))


@router.post("/staff/certs/{public_id}/{action}")
def staff_change(request: Request, public_id: str, action: str, session: DbSession, principal: Staff,
                 reason: Annotated[str, Form(max_length=200)] = "") -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    actions = {"suspend": service.suspend, "resume": service.resume, "revoke": service.revoke}
    if action == "reissue":
        new, errors = attempt(lambda: service.reissue(session, actor=principal, cert=cert, reason=reason),
                              field="reason", session=session)
        if new is not None:
            return RedirectResponse(f"/staff/certs/{new.public_id}?done=reissue", status_code=303)
    elif action in actions:
        changed, errors = attempt(lambda: actions[action](session, actor=principal, cert=cert, reason=reason),
                                  field="reason", session=session)
        if changed is not None:
            return RedirectResponse(f"/staff/certs/{cert.public_id}?done={action}", status_code=303)
    else:
        return templates.render(request, "error.html", status_code=404, page_title="页面不存在", title="页面不存在",
                                detail="没有这个操作", errors=[])
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    return _staff_cert_page(request, session, principal, cert, errors=errors, status_code=422)


@router.get("/staff/certs/{public_id}/pdf")
def staff_cert_pdf(public_id: str, session: WriteSession, principal: Staff) -> Response:
    cert = service.get_certificate(session, actor=principal, identifier=public_id)
    return Response(service.pdf(session, cert), media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{cert.number}.pdf"'})

