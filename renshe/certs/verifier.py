"""The offline verifier: a certificate's JWS or QR payload, the published keys (JWKS) and cached
status lists in, a result out. Pure (no database, no network), so a verifier's own app can run the
same code; the online API reuses it and then consults the library for the current state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from renshe.certs import signing, statuslist
from renshe.core import labels

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESULTS = ("valid", "revoked", "suspended", "expired", "tampered", "unknown")
RESULT_LABELS = labels.register("certs.verification", {
    "valid": "有效", "revoked": "已吊销", "suspended": "已暂停", "expired": "已过期", "tampered": "无效（被篡改）",
    "unknown": "无法核验",
})


@dataclass(frozen=True)
class StatusRef:
    purpose: str
    list_url: str
    list_no: int
    index: int


@dataclass(frozen=True)
class Claims:
    """What a signed certificate says about itself (the holder already masked where it is shown)."""

    identifier: str
    type_key: str
    name: str
    holder_masked: str
    holder_code_masked: str
    issuer_name: str
    issuer_code: str
    issue_date: date
    valid_from: date
    valid_until: date | None
    signed_at: datetime
    status: tuple[StatusRef, ...]
    fields: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "identifier": self.identifier, "type": self.type_key, "name": self.name,
            "holder": self.holder_masked, "holder_code": self.holder_code_masked, "issuer": self.issuer_name,
            "issuer_code": self.issuer_code, "issue_date": self.issue_date.isoformat(),
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat() if self.valid_until else None,
            "signed_at": self.signed_at.isoformat(),
        }


@dataclass(frozen=True)
class Outcome:
    result: str
    reason: str
    claims: Claims | None = None
    kid: str | None = None
    form: str = ""  # jws | qr | identifier

    @property
    def label(self) -> str:
        return RESULT_LABELS[self.result]


def status_list_url(base_url: str, purpose: str, list_no: int) -> str:
    return f"{base_url}/certs/status/{purpose}/{list_no}"


def detect(value: str) -> str:
    """Which form a pasted value is: qr, jws or identifier."""
    text = value.strip()
    if text.startswith(signing.QR_PREFIX):
        return "qr"
    if text.count(".") == 2 and text.startswith("eyJ"):
        return "jws"
    return "identifier"


# ---------------------------------------------------------------- keys


def _find_key(jwks: Mapping[str, Any], kid: str) -> dict[str, Any] | None:
    for key in jwks.get("keys", []):
        if isinstance(key, dict) and key.get("kid") == kid:
            return key
    return None


def _key_problem(key: dict[str, Any], signed_at: datetime) -> str | None:
    """Why a published key cannot vouch for a signature made at `signed_at`, or None."""
    if key.get("status") == "revoked":
        return "签名密钥已被撤销，签名不可信"
    start = key.get("nbf")
    end = key.get("retired_at") or key.get("exp")
    moment = signed_at.timestamp()
    if isinstance(start, int | float) and moment < start - 300:
        return "签名时间早于密钥启用时间"
    if isinstance(end, int | float) and moment > end + 300:
        return "签名时间晚于密钥停用时间"
    return None


def _ed_public(key: dict[str, Any]) -> bytes | None:
    if key.get("kty") != "OKP" or key.get("crv") != "Ed25519" or not isinstance(key.get("x"), str):
        return None
    try:
        raw = signing.unb64url(key["x"])
    except (signing.SignatureError, ValueError):
        return None
    return raw if len(raw) == 32 else None


def verify_jws(token: str, jwks: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a JWS whose EdDSA signature verifies under a published key; else raises."""
    header, payload, signing_input, signature = signing.jws_parts(token)
    if header.get("alg") != signing.ED_ALG:
        raise signing.SignatureError("签名算法不是EdDSA")
    key = _find_key(jwks, str(header.get("kid")))
    if key is None:
        raise LookupError(str(header.get("kid")))
    public = _ed_public(key)
    if public is None or not signing.ed25519_verify(public, signature, signing_input):
        raise signing.SignatureError("签名校验未通过")
    return header, payload


# ---------------------------------------------------------------- status lists


@dataclass(frozen=True)
class StatusList:
    url: str
    purpose: str
    list_no: int
    bits: bytes


def load_status_lists(tokens: Iterable[str], jwks: Mapping[str, Any]) -> tuple[dict[str, StatusList], list[str]]:
    """Verify and decode cached status list credentials; returns them by URL and the problems met."""
    lists: dict[str, StatusList] = {}
    problems: list[str] = []
    for token in tokens:
        try:
            _header, payload = verify_jws(token, jwks)
            subject = payload["credentialSubject"]
            url = str(payload["id"])
            purpose = str(subject["statusPurpose"])
            bits = statuslist.decode(str(subject["encodedList"]))
            list_no = int(url.rsplit("/", 1)[-1])
        except LookupError:
            problems.append("状态列表的签名密钥不在已发布的密钥中")
            continue
        except (signing.SignatureError, KeyError, ValueError, TypeError, OSError):
            problems.append("状态列表签名无效或格式错误")
            continue
        lists[url] = StatusList(url, purpose, list_no, bits)
    return lists, problems


# ---------------------------------------------------------------- claims of each form


def _date(text: str) -> date:
    return date.fromisoformat(text[:10])


def _claims_from_jws(payload: dict[str, Any]) -> Claims:
    subject = payload["credentialSubject"]
    meta = payload["metadata"]
    status = tuple(
        StatusRef(str(s["statusPurpose"]), str(s["statusListCredential"]),
                  int(str(s["statusListCredential"]).rsplit("/", 1)[-1]), int(s["statusListIndex"]))
        for s in payload.get("credentialStatus", []))
    return Claims(
        identifier=str(meta["identifier"]), type_key=str(subject["certificateType"]), name=str(meta["name"]),
        holder_masked=str(subject["holderMasked"]), holder_code_masked=str(meta["holderCode"]),
        issuer_name=str(meta["issuer"]), issuer_code=str(meta["issuerCode"]), issue_date=_date(meta["issueDate"]),
        valid_from=_date(payload["validFrom"]),
        valid_until=_date(payload["validUntil"]) if payload.get("validUntil") else None,
        signed_at=datetime.fromtimestamp(int(payload["iat"]), UTC), status=status,
        fields=dict(subject.get("fields", {})),
    )


# QR claims, by position: identifier, type, name, holder (masked), holder code (masked), issuer name,
# issue date, valid from, valid until ("" = long-term), status list number, status index, signed at (unix).
QR_FIELDS = 12


def qr_claims(claims: Claims) -> list[Any]:
    entry = claims.status[0]
    return [claims.identifier, claims.type_key, claims.name, claims.holder_masked, claims.holder_code_masked,
            claims.issuer_name, claims.issue_date.isoformat(), claims.valid_from.isoformat(),
            claims.valid_until.isoformat() if claims.valid_until else "", entry.list_no, entry.index,
            int(claims.signed_at.timestamp())]


def _claims_from_qr(values: list[Any], base_urls: Mapping[tuple[str, int], str]) -> Claims:
    if len(values) != QR_FIELDS:
        raise ValueError("QR claims have the wrong number of fields")
    identifier = str(values[0])
    list_no, index = int(values[9]), int(values[10])
    status = tuple(StatusRef(p, base_urls.get((p, list_no), ""), list_no, index) for p in statuslist.PURPOSES)
    return Claims(
        identifier=identifier, type_key=str(values[1]), name=str(values[2]), holder_masked=str(values[3]),
        holder_code_masked=str(values[4]), issuer_name=str(values[5]), issuer_code=identifier.split(".")[6],
        issue_date=_date(values[6]), valid_from=_date(values[7]),
        valid_until=_date(values[8]) if values[8] else None,
        signed_at=datetime.fromtimestamp(int(values[11]), UTC), status=status,
    )


# ---------------------------------------------------------------- the verifier


def verify_offline(value: str, *, jwks: Mapping[str, Any], status_lists: Iterable[str] = (),
                   now: datetime | None = None) -> Outcome:
    """Verify a JWS or QR payload with the published keys and cached status lists only."""
    now = now or datetime.now(UTC)
    form = detect(value)
    if form == "identifier":
        return Outcome("unknown", "只有证照标识，无法离线核验，请联网核验", form=form)
    lists, list_problems = load_status_lists(status_lists, jwks)
    by_slot = {(s.purpose, s.list_no): url for url, s in lists.items()}
    kid: str | None = None
    try:
        if form == "jws":
            header, payload = verify_jws(value, jwks)
            kid = str(header.get("kid"))
            claims = _claims_from_jws(payload)
        else:
            parts = signing.qr_parts(value)
            kid = parts.kid
            key = _find_key(jwks, kid)
            if key is None:
                raise LookupError(kid)
            public = _ed_public(key)
            if public is None or not signing.ed25519_verify(public, parts.signature, parts.body):
                raise signing.SignatureError("签名校验未通过")
            claims = _claims_from_qr(parts.claims, by_slot)
    except LookupError:
        return Outcome("unknown", "签名密钥不在已发布的密钥中（可能来自其他发证机关，或内容被改动）",
                       kid=kid, form=form)
    except (signing.SignatureError, KeyError, ValueError, TypeError):
        return Outcome("tampered", "签名校验未通过：证照内容被改动或数据已损坏", kid=kid, form=form)
    key = _find_key(jwks, kid or "")
    problem = _key_problem(key, claims.signed_at) if key else "签名密钥不在已发布的密钥中"
    if problem:
        return Outcome("tampered", problem, claims, kid, form)
    flags: dict[str, bool] = {}
    for ref in claims.status:
        found = lists.get(ref.list_url) if ref.list_url else None
        if found is None or found.purpose != ref.purpose:
            continue
        try:
            flags[ref.purpose] = statuslist.get_bit(found.bits, ref.index)
        except IndexError:
            return Outcome("tampered", "状态列表索引超出范围", claims, kid, form)
    if flags.get("revocation"):
        return Outcome("revoked", "该证照已被发证机关吊销或注销", claims, kid, form)
    if flags.get("suspension"):
        return Outcome("suspended", "该证照已被发证机关暂停使用", claims, kid, form)
    if "revocation" not in flags:
        why = "；".join(dict.fromkeys(list_problems)) or "缺少对应的状态列表"
        return Outcome("unknown", f"签名有效，但无法确认是否被吊销：{why}", claims, kid, form)
    today = now.astimezone(SHANGHAI).date()
    if claims.valid_until is not None and today > claims.valid_until:
        return Outcome("expired", f"该证照有效期至{claims.valid_until.isoformat()}，已过期", claims, kid, form)
    if today < claims.valid_from:
        return Outcome("unknown", f"该证照自{claims.valid_from.isoformat()}起生效，尚未生效", claims, kid, form)
    return Outcome("valid", "签名有效，证照未被吊销或暂停，在有效期内", claims, kid, form)
