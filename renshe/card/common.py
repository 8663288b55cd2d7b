"""What every card sub-feature shares: field-encryption purposes, the fixed code lists with their
Chinese labels, the injectable clock, the card's error shape and cursor pages."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from renshe.core import crypto, labels, paging
from renshe.core.auth import SYSTEM, Principal
from renshe.core.db import utcnow
from renshe.core.errors import DomainError, FieldError, ValidationFailed
from renshe.core.settings import get_settings

CARD_NUMBER_PURPOSE = "card.number"
BANK_PURPOSE = "card.bank_account"
KEY_PURPOSE = "card.signing_key"
TERMINAL_PURPOSE = "card.terminal_secret"
APP_PURPOSE = "card.app_secret"
PAIRWISE_PURPOSE = "card.pairwise_subject"
CLOCK_SKEW = timedelta(seconds=5)

BANKS: dict[str, str] = {
    "ICBC": "中国工商银行", "ABC": "中国农业银行", "BOC": "中国银行", "CCB": "中国建设银行", "BOCOM": "交通银行",
    "PSBC": "中国邮政储蓄银行", "CMB": "招商银行", "CITIC": "中信银行", "BOBJ": "北京银行", "RCB": "农村商业银行",
}
# Issuer identification numbers (BIN) used by the demo card maker for synthetic bank accounts.
DEMO_BINS: dict[str, str] = {"ICBC": "621226", "ABC": "622848", "BOC": "621661", "CCB": "621700", "BOCOM": "622262",
                             "PSBC": "621799", "CMB": "621483", "CITIC": "621771", "BOBJ": "621468", "RCB": "621020"}
BATCH_STATUS_LABELS = labels.register("card.batch_status", {"sent": "已送制卡", "produced": "已制卡"})
ESSC_STATUS_LABELS = labels.register("card.essc_status", {"active": "有效", "revoked": "已失效"})
PROGRAMMES: dict[str, str] = {"pension": "基本养老金", "unemployment": "失业保险金", "subsidy": "补贴",
                              "injury": "工伤保险待遇", "other": "其他待遇"}
PAYMENT_STATUS_LABELS = labels.register(
    "card.payment_status", {"credited": "已入账", "held": "暂缓发放（无可用社保卡金融账户）"})
APP_KINDS = {"bank": "银行", "city": "城市服务应用", "other": "其他"}
APP_SCOPES: dict[str, str] = {"identity": "确认本人身份（脱敏姓名和证件号码）", "name": "姓名",
                              "card_status": "社会保障卡状态"}
SIGN_IN_MINUTES = 5
SCAN_RESULT_LABELS = labels.register("card.scan_result", {"accepted": "核验通过", "refused": "已拒绝"})

# A clock that tests replace (never sleep): every time rule of the card reads `common.clock()`.
clock: Callable[[], datetime] = utcnow


def now_or(now: datetime | None) -> datetime:
    """The given moment, else the card's clock."""
    return now if now is not None else clock()


def code_seconds() -> int:
    """How long one dynamic e-SSC code is valid (`RENSHE_ESSC_CODE_SECONDS`)."""
    return get_settings().essc_code_seconds


def card_error(code: str, detail: str, status: int = 409, title: str = "状态冲突") -> DomainError:
    return DomainError(f"renshe:card/{code}", detail, status, title)


def page(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """The first `limit` rows and the cursor of the next page (rows were read with `limit + 1`)."""
    next_cursor = paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


def secret_hash(secret: str, purpose: str) -> bytes:
    return hashlib.sha256(crypto.cipher().blind_index(secret, purpose=purpose)).digest()


def check_bank(bank_code: str, field: str = "bank_code") -> str:
    code = bank_code.strip().upper()
    if code not in BANKS:
        raise ValidationFailed([FieldError(field, "renshe:card/bank", "请选择金融功能合作银行")])
    return code


def system() -> Principal:
    return SYSTEM
