"""Settings of the service hall only (`RENSHE_HALL_*`), typed and checked like the kernel's.

Read afresh on every call (a few microseconds), so a changed environment applies without a restart of
the settings cache; the values are small and validated: a bad one fails loudly, naming the variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class HallSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RENSHE_HALL_", env_file=".env", extra="ignore")

    upload_dir: Path | None = None  # uploaded materials; default: beside the batch directory
    max_upload_mb: float = Field(default=10.0, gt=0, le=200)  # per file
    near_due_days: int = Field(default=2, ge=0, le=30)  # working days left at which an application is near due
    rectify_days: int = Field(default=15, ge=1, le=60)  # rectification deadline after a bad review
    feedback_days: int = Field(default=10, ge=1, le=60)  # working days a division has to answer a ticket
    escalate_after_days: int = Field(default=3, ge=1, le=60)  # still overdue this long after a notice: escalate
    auto_notice: bool = True  # the overdue scan issues a notice for each newly overdue application
    peer_delivery: Literal["thread", "manual"] = "thread"  # manual: `renshe hall peer-relay` sends


def hall_settings() -> HallSettings:
    return HallSettings()
