"""The service hall's JSON routes under /api/v1/hall, gathered from its sub-features.

Order matters where paths overlap: the sub-features with specific paths come before the generic
`/applications/{id}/{action}` (e.g. `/applications/{id}/rating`)."""

from __future__ import annotations

from fastapi import APIRouter

from renshe.hall.applications import api as applications
from renshe.hall.bundles import api as bundles
from renshe.hall.catalog import api as catalog
from renshe.hall.feedback import api as feedback
from renshe.hall.interprovince import api as interprovince
from renshe.hall.oversight import api as oversight
from renshe.hall.reviews import api as reviews
from renshe.hall.window import api as window

router = APIRouter(prefix="/api/v1/hall", tags=["hall 一网通办"])
for part in (oversight, reviews, feedback, interprovince, bundles, catalog, window, applications):
    router.include_router(part.router)
