"""Domain exceptions. Services raise them; the web layer turns them into RFC 9457 problems."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    """One broken rule on one input field (or row of an import file)."""

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class DomainError(Exception):
    """A rule the request broke. `code` is stable (`renshe:<area>/<rule>`); `detail` is Chinese."""

    code: str
    detail: str
    status: int = 422
    title: str = "请求不符合业务规则"
    errors: list[FieldError] = field(default_factory=list)
    # For denials (401/403): what the web layer writes to the audit log in a unit of work of its own
    # (taking the writer's turn like any request), since the request's own transaction rolls back.
    # Keys: actor, action, entity_type, entity_id.
    audit: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # e.g. Retry-After on a 429
    # The request's unit of work commits what was done before this error instead of rolling it back
    # (a wrong one-time code still counts against the attempts left).
    persist: bool = False
    # Extension members of the problem body (RFC 9457 §3.2), e.g. OAuth2's `error` (RFC 6749 §5.2), and the
    # media type where a standard names another than application/problem+json.
    members: dict[str, Any] = field(default_factory=dict)
    media_type: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class ValidationFailed(DomainError):
    def __init__(self, errors: list[FieldError], detail: str = "输入有误，请按提示修改") -> None:
        super().__init__("renshe:validation", detail, 422, "输入校验未通过", errors)


class NotFound(DomainError):
    def __init__(self, what: str, code: str = "renshe:not-found") -> None:
        super().__init__(code, f"未找到{what}，或您无权查看", 404, "未找到")


class Forbidden(DomainError):
    def __init__(self, detail: str = "您无权进行此操作", code: str = "renshe:forbidden") -> None:
        super().__init__(code, detail, 403, "无权访问")


class Unauthorized(DomainError):
    def __init__(self, detail: str = "请先登录", code: str = "renshe:unauthorized") -> None:
        super().__init__(code, detail, 401, "未认证")


class TooManyRequests(DomainError):
    def __init__(self, detail: str, *, retry_after: int, code: str = "renshe:rate-limited") -> None:
        super().__init__(code, detail, 429, "请求过于频繁", headers={"Retry-After": str(max(1, retry_after))})


class Conflict(DomainError):
    def __init__(self, detail: str, code: str = "renshe:conflict") -> None:
        super().__init__(code, detail, 409, "状态冲突")


class Gone(DomainError):
    def __init__(self, detail: str, code: str = "renshe:gone") -> None:
        super().__init__(code, detail, 410, "已不存在")
