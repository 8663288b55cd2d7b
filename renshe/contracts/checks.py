"""Checks on contracts: verification of an uploaded copy (`verify_file`) or of a number and hash
(`verify_hash`), open to anyone who holds a copy and answering with masked names; and the warnings of a
clerk's jurisdiction (`warnings`): relations open over a month without a signed contract (劳动合同法 art. 10
and 82) and fixed terms ending within 30 days, each one set-based query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from renshe.certs import signing
from renshe.contracts import document, policy, rules, schemas, signatures
from renshe.contracts.codes import ROLE_LABELS, SIGNED_STATES, STATE_LABELS, WARNING_LABELS
from renshe.contracts.models import LabourContract
from renshe.core import crypto, divisions, workdays
from renshe.core.auth import Principal
from renshe.core.errors import Forbidden
from renshe.registry import service as registry

SHANGHAI = ZoneInfo("Asia/Shanghai")


today = workdays.today  # tests replace it to move the clock


def _check(name: str, label: str, ok: bool, detail: str) -> schemas.CheckOut:
    return schemas.CheckOut(check=name, label=label, ok=ok, detail=detail)


def _signature_check(session: Session, signature: Any, document_sha256: str) -> schemas.CheckOut:
    try:
        role = str(signature["statement"]["role"])
        ok, detail = signatures.check(session, signature=signature, document_sha256=document_sha256)
    except (KeyError, TypeError, ValueError, signing.SignatureError):
        return _check("signature", "签名", False, "签名结构不完整")
    return _check(f"signature:{role}", f"{ROLE_LABELS.get(role, role)}签名", ok, detail)


def _verify_out(row: LabourContract | None, checks: list[schemas.CheckOut]) -> schemas.VerifyOut:
    return schemas.VerifyOut(
        valid=bool(checks) and all(c.ok for c in checks), number=row.number if row else None,
        version=row.version if row else None, state=row.state if row else None,
        state_label=STATE_LABELS[row.state] if row else None, employer_name=row.employer_name if row else None,
        worker_name=crypto.mask_name(row.worker_name) if row else None, checks=checks)


def verify_file(session: Session, *, data: bytes) -> schemas.VerifyOut:
    """Check an uploaded copy of a signed contract: the document unchanged, both signers' signatures valid with
    the keys the platform holds for them and timestamped, the whole file the one the platform issued."""
    try:
        attached = document.attached(data)
        number, version = str(attached["contract"]), int(attached["version"])
        length, claimed = int(attached["document_length"]), str(attached["document_sha256"])
        found = list(attached["signatures"])
        if not 1 <= version <= 1_000_000:
            raise ValueError(version)
    except (document.DocumentError, KeyError, TypeError, ValueError):
        return _verify_out(None, [_check("format", "文件格式", False,
                                         "不是本平台签署的电子劳动合同文件，或签名附件已损坏")])
    row = session.scalar(select(LabourContract).where(LabourContract.number == number,
                                                      LabourContract.version == version))
    if row is None:
        return _verify_out(None, [_check("record", "合同记录", False, f"平台没有编号为{number}的劳动合同")])
    same = document.sha256_hex(data[:length]) == claimed == row.document_sha256
    checks = [_check("document", "合同内容", same, "合同内容与签署时一致" if same else "合同内容已被改动")]
    checks += [_signature_check(session, signature, row.document_sha256) for signature in found]
    roles = {str(s["statement"].get("role")) for s in found
             if isinstance(s, dict) and isinstance(s.get("statement"), dict)}
    both = {"worker", "employer"} <= roles
    checks.append(_check("parties", "双方签署", both, "劳动者和用人单位均已签署" if both else "缺少一方的签名"))
    whole = document.sha256_hex(data) == row.final_sha256
    checks.append(_check("file", "文件完整", whole, "与平台签发的文件逐字节一致（含平台PDF签名）" if whole
                         else "文件与平台签发的不一致（签名区或附件被改动）"))
    return _verify_out(row, checks)


def verify_hash(session: Session, *, number: str, sha256: str) -> schemas.VerifyOut:
    """Look a contract up by its number and the SHA-256 of a copy (the document or the signed final file)."""
    digest = sha256.strip().lower()
    row = session.scalar(select(LabourContract).where(
        LabourContract.number == number.strip().upper(),
        (LabourContract.document_sha256 == digest) | (LabourContract.final_sha256 == digest))
        .order_by(LabourContract.version.desc()).limit(1))
    if row is None:
        return _verify_out(None, [_check("record", "合同记录", False, "没有与该编号和文件摘要相符的劳动合同")])
    signed = row.state in SIGNED_STATES
    return _verify_out(row, [
        _check("record", "合同记录", True, f"第{row.version}版，{STATE_LABELS[row.state]}"),
        _check("signed", "双方签署", signed, "双方已签署" if signed else "尚未完成双方签署")])


@dataclass(frozen=True)
class Warnings:
    on: date
    items: list[schemas.WarningOut]


def warnings(session: Session, *, actor: Principal, on: date | None = None, limit: int = 500) -> Warnings:
    """Relations open for over a month without a signed contract (art. 82) and fixed terms ending within 30 days,
    in the clerk's jurisdiction: two set-based queries."""
    if not policy.may_see_warnings(actor):
        raise Forbidden("无权查看劳动合同预警", code="renshe:contracts/permission")
    on = on or today()
    prefix = divisions.scope_prefix(actor.division_code)
    relations = registry.open_employments_query(started_on_or_before=rules.no_contract_since(on),
                                                division_prefix=prefix).subquery()
    signed = exists().where(LabourContract.relation_public_id == relations.c.relation,
                            LabourContract.state.in_(SIGNED_STATES))
    items = [schemas.WarningOut(
        kind="no_contract", kind_label=WARNING_LABELS["no_contract"], employer_name=r.employer_name,
        employer_credit_code=r.employer_credit_code, worker_name=r.person_name, id_number_masked=r.id_number_masked,
        start_date=r.start_date, end_date=None, contract_number=None, relation=r.relation,
        detail=f"{r.start_date:%Y-%m-%d}起用工，至今未订立书面劳动合同")
        for r in session.execute(select(relations).where(~signed).order_by(relations.c.start_date).limit(limit))]
    expiring = select(LabourContract).where(
        LabourContract.state == "effective", LabourContract.term_kind == "fixed",
        LabourContract.end_date >= on, LabourContract.end_date <= rules.expiring_by(on),
        LabourContract.employer_division.startswith(prefix)).order_by(LabourContract.end_date).limit(limit)
    items += [schemas.WarningOut(
        kind="expiring", kind_label=WARNING_LABELS["expiring"], employer_name=c.employer_name,
        employer_credit_code=c.employer_credit_code, worker_name=c.worker_name, id_number_masked=c.id_number_masked,
        start_date=c.start_date, end_date=c.end_date, contract_number=c.number, relation=c.relation_public_id,
        detail=f"将于{c.end_date:%Y-%m-%d}到期，请及时办理续订或终止")
        for c in session.scalars(expiring) if c.end_date is not None]
    return Warnings(on, items)
