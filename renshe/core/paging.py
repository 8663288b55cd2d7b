"""Keyset (cursor) paging shared by every domain's lists: an opaque cursor holds the last row's id."""

from __future__ import annotations

import base64

from renshe.core.errors import FieldError, ValidationFailed


def encode_cursor(last_id: int) -> str:
    """The cursor that continues a list after the row with this id."""
    return base64.urlsafe_b64encode(f"p{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id to continue after (0 for the first page); a malformed cursor is a 422 on `cursor`."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("p"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError:
        raise ValidationFailed([FieldError("cursor", "renshe:page/cursor", "翻页游标无效")]) from None
