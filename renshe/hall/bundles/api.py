"""JSON routes of 一件事: one form for several items, and the joint progress."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from renshe.core.http import CurrentPrincipal, DbSession
from renshe.hall import schemas
from renshe.hall.applications import materials, reading
from renshe.hall.bundles import service as bundles

router = APIRouter(tags=["hall 一网通办"])  # included under /api/v1/hall by renshe.hall.api


class BundleIn(BaseModel):
    data: dict[str, Any] = Field(default_factory=dict, description="合并表单的数据（各子事项共用）")
    materials: list[schemas.MaterialIn] = Field(default_factory=list)


@router.post("/bundles/{code}/applications", status_code=status.HTTP_201_CREATED,
             summary="一件事：一表申请，分发到各子事项 Apply for a one-thing bundle")
def bundle_apply(code: str, data: BundleIn, session: DbSession,
                 principal: CurrentPrincipal) -> dict[str, Any]:
    record = bundles.submit(session, actor=principal, code=code, data=data.data,
                            uploads=materials.decode_uploads(data.materials))
    subs = bundles.sub_applications(session, record)
    return {"public_id": record.public_id, "bundle": record.bundle_code, "name": record.bundle_name,
           "applications": [s.model_dump(mode="json") for s in reading.summaries(session, subs)]}


@router.get("/bundles/applications/{public_id}", summary="一件事办理进度 Joint progress of a bundle")
def bundle_progress(public_id: str, session: DbSession, principal: CurrentPrincipal) -> dict[str, Any]:
    record = bundles.get_record(session, actor=principal, public_id=public_id)
    subs = bundles.sub_applications(session, record)
    return {"public_id": record.public_id, "bundle": record.bundle_code, "name": record.bundle_name,
            "joint_state": bundles.joint_state(subs),
            "applications": [s.model_dump(mode="json") for s in reading.summaries(session, subs)]}
