"""JSON API of the key-group labour database (`/api/v1/keygroups/...`): the clerk enters records (checked
against the person base), reads the worklist of people not served lately and not employed (cursor paging,
XLSX export), imports records from CSV or XLSX (whole file or nothing), records services and states; a
citizen reads their own record and services. A broken rule is problem+json with `renshe:keygroups/<rule>`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel
from starlette.responses import Response

from renshe.core import tabular
from renshe.core.auth import Principal
from renshe.core.http import DbSession, WriteSession, require_kind
from renshe.keygroups import schemas, service

router = APIRouter(prefix="/api/v1/keygroups", tags=["keygroups 重点群体劳动者信息库"])
WRITE: dict[int | str, dict[str, Any]] = {
    422: {"description": "输入不符合规则（problem+json，type 为 renshe:keygroups/<rule>，errors 逐项列出字段）"},
    404: {"description": "未找到或不在辖区内"}, 409: {"description": "该人员已在库中"}}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Citizen = Annotated[Principal, require_kind("citizen")]
Staff = Annotated[Principal, require_kind("staff")]
Days = Annotated[int | None, Query(ge=1, le=366, description="未服务天数（默认30天，省级配置）")]
Group = Annotated[str | None, Query(pattern="^[a-z_]{1,32}$", description="重点群体代码")]


def _json(model: BaseModel, status_code: int = 200) -> Response:
    return Response(model.model_dump_json(), media_type="application/json", status_code=status_code)


@router.post("/records", response_model=schemas.RecordOut, status_code=201, responses=WRITE,
             summary="录入重点群体人员 Enter a person into the key-group database")
def create(data: schemas.RecordIn, session: DbSession, principal: Staff) -> Response:
    row = service.create_record(session, actor=principal, data=data)
    return _json(service.outs(session, [row])[0], 201)


@router.get("/records", response_model=schemas.RecordPage,
            summary="待服务名单：辖区内近期未服务且未就业的人员 The worklist of people not served lately")
def worklist(session: DbSession, principal: Staff, days: Days = None, group: Group = None,
             cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 20) -> Response:
    rows, next_cursor = service.worklist(session, actor=principal, days=days, group=group, cursor=cursor,
                                         limit=limit)
    return _json(schemas.RecordPage(items=service.outs(session, rows), next_cursor=next_cursor))


@router.get("/records.xlsx", summary="导出待服务名单（XLSX） Export the worklist",
            responses={200: {"content": {XLSX: {}}, "description": "XLSX 工作簿"}})
def export(session: WriteSession, principal: Staff, days: Days = None, group: Group = None) -> Response:
    content = service.export_worklist(session, actor=principal, days=days, group=group)
    return Response(content, media_type=XLSX,
                    headers={"Content-Disposition": 'attachment; filename="keygroups-worklist.xlsx"'})


@router.post("/imports", response_model=schemas.ImportOut, status_code=201,
             responses={422: {"description": "有不符合要求的行，全部未导入；errors 逐行列出（row N.字段）"},
                        413: {"description": "文件过大"}},
             summary="导入重点群体人员（CSV/XLSX，整批导入或全部不导入） Import records")
def import_records(session: DbSession, principal: Staff, file: Annotated[UploadFile, File()]) -> Response:
    with tabular.saved_upload(file.file, filename=file.filename) as path:
        done = service.import_file(session, actor=principal, path=path, filename=file.filename)
    return _json(done, 201)


@router.get("/records/{public_id}", response_model=schemas.RecordOut, responses={404: WRITE[404]},
            summary="重点群体人员记录及服务记录 A record with its services")
def record(public_id: str, session: DbSession, principal: Staff) -> Response:
    row = service.get_record(session, actor=principal, public_id=public_id)
    return _json(service.outs(session, [row], services=True)[0])


@router.post("/records/{public_id}/state", response_model=schemas.RecordOut, responses=WRITE,
             summary="记录就业状态（灵活就业、升学、参军等） Record a state")
def state(public_id: str, data: schemas.StateIn, session: DbSession, principal: Staff) -> Response:
    row = service.set_state(session, actor=principal, public_id=public_id, state=data.state)
    return _json(service.outs(session, [row], services=True)[0])


@router.post("/records/{public_id}/services", response_model=schemas.ServiceOut, status_code=201,
             responses=WRITE, summary="记录服务 Record a service the person received")
def serve(public_id: str, data: schemas.ServiceIn, session: DbSession, principal: Staff) -> Response:
    return _json(service.service_out(service.add_service(session, actor=principal, public_id=public_id, data=data)),
                 201)


@router.get("/me", response_model=schemas.RecordOut | None,
            summary="我的重点群体身份和服务记录 My memberships and services")
def me(session: DbSession, principal: Citizen) -> Response:
    row = service.mine(session, actor=principal)
    if row is None:
        return Response("null", media_type="application/json")
    return _json(service.outs(session, [row], services=True)[0])
