"""One typed settings object, read from `RENSHE_` environment variables (or a `.env` file)."""

from __future__ import annotations

import base64
import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path(os.environ.get("RENSHE_VAR_DIR", "var"))


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
        """Return one of the three keys, loading or creating the development key file if unset."""
        return _decoded_key(name, getattr(self, f"{name}_key"), self.key_file)


@lru_cache(maxsize=16)
def _decoded_key(name: str, value: str, key_file: Path) -> bytes:
    # Cached: the token key is read on every request.
    raw = base64.b64decode(value or _development_keys(key_file)[name])
    if len(raw) != 32:
        raise ValueError(f"RENSHE_{name.upper()}_KEY must be 32 bytes, base64-encoded")
    return raw


def _development_keys(path: Path) -> dict[str, str]:
    import json

    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = {name: base64.b64encode(secrets.token_bytes(32)).decode() for name in ("data", "index", "token")}
    path.write_text(json.dumps(keys))
    path.chmod(0o600)
    return keys


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (cleared by tests through `get_settings.cache_clear()`)."""
    return Settings()
