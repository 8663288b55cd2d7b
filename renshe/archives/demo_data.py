"""The demo citizen's personnel file, received at the demo's public talent service institution. Called with one
line from `renshe/demo.py`, after Employment Online's institutions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from renshe.archives import service
from renshe.core.auth import SYSTEM


def seed(session: Session, *, id_number: str | None, today: date) -> int:
    keepers = service.keepers(session)
    if not keepers or not id_number:
        return 0
    service.receive(session, actor=SYSTEM, id_number=id_number, keeper=keepers[0].public_id,
                    location="1号库房A柜2层", received_on=today - timedelta(days=400), source="原工作单位转来")
    return 1
