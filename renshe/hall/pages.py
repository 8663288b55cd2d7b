"""The service hall's pages, gathered from its sub-features.

Order matters where paths overlap: the sub-features with specific paths come before the generic ones
(e.g. `/citizen/applications/{id}/rating` is in the desk before `/citizen/applications/{id}/{action}`)."""

from __future__ import annotations

from fastapi import APIRouter

from renshe.hall.applications import pages as applications
from renshe.hall.bundles import pages as bundles
from renshe.hall.catalog import pages as catalog
from renshe.hall.desk import pages as desk
from renshe.hall.feedback import pages as feedback
from renshe.hall.interprovince import pages as interprovince
from renshe.hall.oversight import pages as oversight
from renshe.hall.reviews import pages as reviews
from renshe.hall.window import pages as window

router = APIRouter(include_in_schema=False)
for part in (oversight, reviews, feedback, bundles, catalog, desk, applications, interprovince, window):
    router.include_router(part.router)
