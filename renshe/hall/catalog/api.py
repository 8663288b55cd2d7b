"""JSON routes of the item catalog (事项目录): the catalog, one item, adaptation, national versions, export."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import clock, schemas
from renshe.hall.catalog import service

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/items", response_model=schemas.ItemList, summary="事项目录 The local item catalog")
def list_items(session: DbSession) -> schemas.ItemList:
    return schemas.ItemList(items=[summary for _, _, summary in service.catalog(session)])


@router.get("/items/{code}", response_model=schemas.ItemOut, summary="事项详情（办事指南、表单、材料、流程） One item")
def get_item(code: str, session: DbSession) -> schemas.ItemOut:
    return service.item_out(session, service.get_item(session, code))



class AdaptIn(BaseModel):
    note: str = Field(min_length=2, max_length=500, description="调整说明")
    promised_limit_days: int | None = Field(default=None, ge=0, description="承诺时限（工作日），不超过法定时限")
    guide: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    materials: list[dict[str, Any]] | None = None


@router.post("/items/{code}/adapt", response_model=schemas.ItemOut,
             summary="本地化调整 Adapt the local item to the latest national version")
def adapt_item(code: str, data: AdaptIn, session: DbSession, principal: CurrentPrincipal) -> schemas.ItemOut:
    service.adapt_item(session, actor=principal, code=code, note=data.note,
                       promised_limit_days=data.promised_limit_days, guide=data.guide, form=data.form,
                       materials=data.materials)
    return service.item_out(session, service.get_item(session, code))


class PublishIn(BaseModel):
    note: str = Field(min_length=2, max_length=500, description="变更说明")
    published_on: date | None = None
    changes: dict[str, Any] = Field(description="name / case_type / legal_limit_days / guide / form / materials")


class SpecOut(BaseModel):
    code: str
    version: int
    published_on: date
    adapt_by: date


@router.post("/national-specs/{code}", response_model=SpecOut, status_code=status.HTTP_201_CREATED,
             summary="发布国家统一规范新版本 Publish a new national version (flags local adaptations)")
def publish(code: str, data: PublishIn, session: DbSession, principal: CurrentPrincipal) -> SpecOut:
    spec = service.publish_national(session, actor=principal, code=code, changes=data.changes, note=data.note,
                                    published_on=data.published_on)
    return SpecOut(code=spec.code, version=spec.version, published_on=spec.published_on,
                  adapt_by=clock.add_months(spec.published_on, service.ADAPTATION_MONTHS))


@router.get("/catalog/export.json", summary="导出本地事项目录（JSON，供向上级报送） Export the local catalog")
def export_json(session: DbSession, principal: CurrentPrincipal) -> list[dict[str, Any]]:
    return service.export_catalog(session, actor=principal)


@router.get("/catalog/export.xlsx", response_class=FileResponse,
            responses={200: {"content": {XLSX: {}}, "description": "XLSX"}},
            summary="导出本地事项目录（XLSX） Export the local catalog as XLSX")
def export_xlsx(session: DbSession, principal: CurrentPrincipal) -> FileResponse:
    handle = tempfile.NamedTemporaryFile(prefix="renshe-catalog-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    try:
        service.export_xlsx(session, actor=principal, out=path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return FileResponse(path, media_type=XLSX, filename=f"hall-catalog-{date.today():%Y%m%d}.xlsx",
                        background=BackgroundTask(os.unlink, path))
