"""One typed settings object, read from `RENSHE_` environment variables (or a `.env` file)."""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path(os.environ.get("RENSHE_VAR_DIR", "var"))
KEY_NAMES = ("data", "index", "token", "audit")


class Settings(BaseSettings):
    """Deployment configuration; every field maps to `RENSHE_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="RENSHE_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=lambda: f"sqlite:///{VAR_DIR / 'renshe.db'}")
    # 32-byte keys, base64. Empty means: generate once under var/ (demo and development only).
    data_key: str = ""
    index_key: str = ""
    token_key: str = ""
    key_file: Path = Field(default_factory=lambda: VAR_DIR / "keys.json")
    demo_mode: bool = False
    province_code: str = "110000"
    site_name: str = "人社信息化便民服务平台"
    site_domain: str = "renshe.example.gov.cn"
    site_id_code: str = "0000000000"
    host_org: str = "省人力资源和社会保障厅"
    host_address: str = "（部署时配置）"
    host_phone: str = "12333"
    icp_number: str = "（部署时配置）"
    psb_number: str = "（部署时配置）"
    staff_token_minutes: int = 480
    citizen_token_minutes: int = 30
    otp_ttl_seconds: int = 180
    otp_max_attempts: int = 5
    sms_sender: str = "outbox"
    db_pool_size: int = 40
    search_counts_seconds: float = 30.0  # job search: a query's total and facets are kept this long per process
    sqlite_mmap_mb: int = 1024  # SQLite: read the database file through a memory map of at most this size
    # Federation: with a NATS URL a province relays its outbox to JetStream; `role=ministry` runs the hub.
    nats_url: str = ""
    nats_subject_prefix: str = "renshe"
    role: str = "province"
    batch_worker: bool = True  # run batch-verification jobs in the web process
    batch_dir: Path = Field(default_factory=lambda: VAR_DIR / "batch")  # batch files; hall materials beside it
    # Data sharing: the call log is kept this long (《网络安全法》第二十一条: network logs at least six
    # months), a batch's result file this long after the batch finished.
    call_log_retention_days: int = Field(default=180, ge=1)
    batch_result_days: int = Field(default=7, ge=1)
    # Shared state across worker processes (rate limits, daily quotas, cache invalidation). Empty: each
    # process keeps them in memory and reads the database (correct, but a rate limit is then per process).
    redis_url: str = ""
    redis_prefix: str = "renshe:"
    # The gateway's call log is written by a background thread in groups every this many milliseconds
    # (0: each call in a transaction of its own). A crash loses at most the last interval's calls.
    call_log_flush_ms: int = Field(default=200, ge=0, le=60_000)
    log_json: bool = True
    log_level: str = "INFO"
    # security
    # HMAC-SM3 key of the audit chain (32 bytes, base64), held outside the database like the PII keys.
    audit_key: str = ""
    # Signed audit checkpoints (row count, last hash, time) go here; empty: `audit-checkpoints` beside
    # the key file. Keep it on storage the database administrators cannot rewrite.
    audit_checkpoint_dir: Path | None = None
    audit_checkpoint_minutes: int = Field(default=10, ge=0)  # by the web process; 0: only the command
    # Sign-in sessions end after this long without a request (the token lifetimes above are the
    # absolute limits: staff_token_minutes, citizen_token_minutes).
    session_idle_minutes: int = Field(default=30, ge=1)
    # Cookies carry `Secure` and answers carry HSTS; None: on unless demo mode (local development).
    cookie_secure: bool | None = None
    hsts_seconds: int = Field(default=31_536_000, ge=0)  # 0: no Strict-Transport-Security header
    # Further origins allowed to post to this site (comma-separated, e.g. a front door on another name).
    allowed_origins: str = ""
    # Sign-in abuse limits (renshe.core.throttle); 0 turns one off. One-time codes: per resident ID number
    # (and per phone) a cooldown and a daily cap (24 h from the first), per client address a rate per minute
    # and a daily cap; wrong codes per ID number across codes, then code sign-in is refused for a while.
    otp_cooldown_seconds: int = Field(default=60, ge=0)
    otp_daily_per_number: int = Field(default=10, ge=0)
    otp_address_per_minute: int = Field(default=10, ge=0)
    otp_address_daily: int = Field(default=200, ge=0)
    otp_failure_limit: int = Field(default=10, ge=0)
    otp_failure_window_minutes: int = Field(default=60, ge=1)
    otp_lockout_minutes: int = Field(default=60, ge=1)
    # Wrong staff or employer passwords per account name and per client address within the window, then a
    # lockout (the right password is refused too until it ends).
    password_failure_limit: int = Field(default=10, ge=0)
    password_address_failure_limit: int = Field(default=50, ge=0)
    password_failure_window_minutes: int = Field(default=15, ge=1)
    password_lockout_minutes: int = Field(default=15, ge=1)
    # Ended or expired sign-in sessions are deleted this long after they ended (`renshe auth purge-sessions`).
    session_retention_days: int = Field(default=180, ge=1)

    @field_validator("province_code")
    @classmethod
    def _province(cls, value: str) -> str:
        if len(value) != 6 or not value.isdigit() or not value.endswith("0000"):
            raise ValueError("province_code must be a GB/T 2260 province code such as 110000")
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def key_bytes(self, name: str) -> bytes:
        """Return one of the keys (data, index, token, audit), loading or creating the development key
        file if unset."""
        return _decoded_key(name, getattr(self, f"{name}_key"), self.key_file)

    # card ------------------------------------------------------------------------------------------
    # How long one dynamic e-SSC QR code is valid, and how often the citizen's page refreshes it
    # (`RENSHE_ESSC_CODE_SECONDS`).
    essc_code_seconds: int = Field(default=60, ge=1)

    # certs: a TrueType (.ttf/.ttc) font with Chinese glyphs embedded (subset) in certificate PDFs
    # (`RENSHE_PDF_FONT`); empty: the first of the known system fonts (fonts-wqy-zenhei, ...) found.
    pdf_font: str = ""

    @property
    def checkpoint_dir(self) -> Path:
        return self.audit_checkpoint_dir or self.key_file.parent / "audit-checkpoints"

    @property
    def secure_transport(self) -> bool:
        """Cookies marked `Secure` and HSTS sent: on in production, off in demo mode unless set."""
        return (not self.demo_mode) if self.cookie_secure is None else self.cookie_secure

    # ---------------------------------------------------------------- hall (一网通办): RENSHE_HALL_*
    hall_upload_dir: Path | None = None  # uploaded materials; default: beside the batch directory
    hall_max_upload_mb: float = Field(default=10.0, gt=0, le=200)  # per file
    hall_near_due_days: int = Field(default=2, ge=0, le=30)  # working days left at which an application is near due
    hall_rectify_days: int = Field(default=15, ge=1, le=60)  # rectification deadline after a bad review
    hall_feedback_days: int = Field(default=10, ge=1, le=60)  # working days a division has to answer a ticket
    hall_escalate_after_days: int = Field(default=3, ge=1, le=60)  # still overdue this long after a notice
    hall_auto_notice: bool = True  # the overdue scan issues a notice for each newly overdue application
    hall_peer_delivery: Literal["thread", "manual"] = "thread"  # manual: `renshe hall peer-relay` sends
    # ---------------------------------------------------------------- end of hall
    # ---------------------------------------------------------------- request bodies and uploads
    max_body_kb: int = Field(default=1024, ge=16)  # JSON and form bodies (413 past it, before parsing)
    max_upload_mb: int = Field(default=64, ge=1)  # multipart file uploads (imports, batches, materials)
    max_material_body_mb: int = Field(default=48, ge=1)  # JSON routes carrying base64 materials (hall)
    max_bulk_body_mb: int = Field(default=16, ge=1)  # JSON routes of up to 20,000 rows (insurance)
    upload_max_unzipped_mb: int = Field(default=256, ge=1)  # an XLSX unpacked (zip-bomb guard)
    upload_max_rows: int = Field(default=1_000_000, ge=1)  # data rows of one import file
    # ---------------------------------------------------------------- end of request bodies and uploads


@lru_cache(maxsize=16)
def _decoded_key(name: str, value: str, key_file: Path) -> bytes:
    # Cached: the token key is read on every request.
    raw = base64.b64decode(value or _development_keys(key_file)[name])
    if len(raw) != 32:
        raise ValueError(f"RENSHE_{name.upper()}_KEY must be 32 bytes, base64-encoded")
    return raw


def _development_keys(path: Path) -> dict[str, str]:
    import json

    keys: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in KEY_NAMES if name not in keys]
    if not missing:
        return keys
    # A key file written before a key existed (the audit key) gains it; the others are kept as they are.
    keys.update({name: base64.b64encode(secrets.token_bytes(32)).decode() for name in missing})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cleared by tests through `get_settings.cache_clear()`)."""
    return Settings()
