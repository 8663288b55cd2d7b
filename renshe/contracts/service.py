"""Electronic labour contracts (电子劳动合同, 人社厅发〔2021〕54号): the public surface and the only code that writes
them (with `signatures`, which it calls; `checks` reads).

- Draft: the employer (its agent, or a clerk for it) drafts from a template for a person who has an open
  employment relation with it (`registry.open_employment`); every clause is checked (`rules.check`) and a
  problem names its field. The document PDF is rendered once; its SHA-256 is what both sides see and sign.
- Sign: the worker first (signed in as that citizen, plus a one-time code to the phone on record through the
  registry's purpose codes, plus the intent checkbox and the hash they saw), then the employer's agent. Each
  signer signs the statement (contract, version, document hash, role, signer, time) with their own Ed25519
  and SM2/SM3 keys, made by the platform at their first signature and kept encrypted at rest, and the
  platform adds a signed time statement (`certs.time_statement`). With both signatures the contract takes
  effect and the final PDF is made: the document, the signatures attached as a JSON file, and the
  platform's PDF signature (`certs.platform_sign_pdf`, which `pdfsig` validates).
- Amend (a new version, same number, superseding the old one when it takes effect), renew (a new number
  linked to the old one), terminate (date and a reason from the national list), which ends the employment
  relation through `registry.end_employment` (its `registry.employment_ended` event feeds other domains).
- Verify an uploaded copy (`verify_file`) or a number and hash (`verify_hash`); warnings (`warnings`) for
  relations without a signed contract after one month and fixed terms ending within 30 days, in set-based SQL.

Refusals are domain errors with stable `renshe:contracts/<rule>` codes."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from renshe.certs import service as certs
from renshe.contracts import document, policy, rules, schemas, signatures
from renshe.contracts.checks import Warnings, verify_file, verify_hash, warnings
from renshe.contracts.codes import (
    KIND_LABELS,
    OPEN_STATES,
    REASON_LABELS,
    ROLE_LABELS,
    SIGNED_STATES,
    STATE_LABELS,
    TERM_LABELS,
    WARNING_LABELS,
)
from renshe.contracts.models import LabourContract
from renshe.core import audit, divisions, paging, workdays
from renshe.core.auth import Principal, deny
from renshe.core.db import utcnow
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
CODE_PURPOSE = "contract"
__all__ = [  # verification and warnings live in `checks`, the labels in `codes`; callers use this module
    "KIND_LABELS", "OPEN_STATES", "REASON_LABELS", "ROLE_LABELS", "SIGNED_STATES", "STATE_LABELS", "TERM_LABELS",
    "WARNING_LABELS", "Warnings", "amend", "demo_sign_both", "draft", "get", "listing", "mine", "out", "pdf_of",
    "renew", "send_sign_code", "sign", "template_of", "templates_out", "terminate", "today", "verify_file",
    "verify_hash", "warnings",
]
today = workdays.today  # tests replace it to move the clock


def template_of(code: str) -> rules.Template:
    found = rules.templates().get(code)
    if found is None:
        raise ValidationFailed([FieldError("template", "renshe:contracts/template", "没有这个合同模板")])
    return found


def templates_out() -> schemas.TemplatesOut:
    return schemas.TemplatesOut(
        templates=[schemas.TemplateOut(
            code=t.code, name=t.name, basis=t.basis, defaults=t.defaults,
            fields=[schemas.FieldSpecOut(key=f["key"], label=f["label"], type=f["type"], required=bool(f["required"]),
                                         clause=f["clause"], choices=f.get("choices")) for f in t.fields])
            for t in rules.templates().values()],
        termination_reasons=rules.termination_reasons())


# ---------------------------------------------------------------- drafting


def _employer_for(session: Session, *, actor: Principal, credit_code: str | None) -> registry.Employer:
    if actor.kind == "employer":
        return registry.get_employer_of(session, principal=actor)
    if actor.kind not in {"staff", "system"}:
        raise Forbidden("劳动合同由用人单位起草", code="renshe:contracts/permission")
    if not credit_code:
        raise ValidationFailed([FieldError("employer_credit_code", "renshe:contracts/employer",
                                           "请填写用人单位的统一社会信用代码")])
    return registry.find_employer(session, actor=actor, credit_code=credit_code)


def _require_act(actor: Principal, *, employer_public_id: str, employer_division: str, action: str) -> None:
    if not policy.may_act_for(actor, employer_public_id=employer_public_id, employer_division=employer_division):
        raise deny(actor, entity_type="employer", entity_id=employer_public_id, action=action,
                   detail="无权为该单位办理劳动合同")


def _new_number(on: date) -> str:
    return f"LD{on:%Y%m%d}{secrets.token_hex(4).upper()}"


def draft(session: Session, *, actor: Principal, data: schemas.DraftIn) -> LabourContract:
    """Draft a contract for a person employed by the employer; every clause checked, each problem named."""
    template = template_of(data.template)
    employer = _employer_for(session, actor=actor, credit_code=data.employer_credit_code)
    _require_act(actor, employer_public_id=employer.public_id, employer_division=employer.division_code,
                 action="contracts.draft")
    person = registry.person_by_id_number(session, id_number=data.id_number)
    if person is None:
        raise ValidationFailed([FieldError("id_number", "renshe:contracts/not-registered",
                                           "该人员尚未在人员基础库登记")])
    relation = registry.open_employment(session, employer=employer, person=person)
    if relation is None:
        raise DomainError("renshe:contracts/no-relation", "该人员与本单位没有未终止的用工记录，请先办理用工登记", 422,
                          "没有劳动关系", [FieldError("id_number", "renshe:contracts/no-relation",
                                                   "该人员与本单位没有未终止的用工记录（就业登记），不能起草劳动合同")])
    clean, errors = rules.check(template, dict(data.fields))
    if errors:
        raise ValidationFailed(errors)
    pending = session.scalar(select(LabourContract.number).where(
        LabourContract.relation_public_id == relation.public_id, LabourContract.state.in_(OPEN_STATES),
        LabourContract.kind == "new").limit(1))
    if pending is not None:
        raise Conflict(f"该劳动关系已有劳动合同（编号{pending}），请办理变更或续订", code="renshe:contracts/exists")
    row = LabourContract(
        number=_new_number(today()), version=1, kind="new", template=template.code, state="draft",
        employer_public_id=employer.public_id, employer_name=employer.name, employer_credit_code=employer.credit_code,
        employer_division=employer.division_code, legal_representative=employer.legal_representative,
        person_id=person.id, person_public_id=person.public_id, worker_name=person.name,
        id_number_masked=person.id_number_masked, relation_public_id=relation.public_id, drafted_by=actor.subject,
        signatures=[])
    return _save_draft(session, actor=actor, row=row, template=template, fields=clean)


def _save_draft(session: Session, *, actor: Principal, row: LabourContract, template: rules.Template,
                fields: dict[str, Any]) -> LabourContract:
    row.fields = fields
    row.term_kind = str(fields["term_kind"])
    row.start_date = date.fromisoformat(fields["start_date"])
    row.end_date = date.fromisoformat(fields["end_date"]) if fields.get("end_date") else None
    row.monthly_wage_fen = int(fields["monthly_wage_fen"])
    try:
        row.document_pdf = document.contract_pdf(_content(row, template))
    except document.FontMissing as exc:
        raise DomainError("renshe:contracts/pdf-font", str(exc), 503, "暂时无法生成合同文件") from None
    row.document_sha256 = document.sha256_hex(row.document_pdf)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action=f"contracts.{row.kind}", entity_type="labour_contract",
                 entity_id=row.public_id, after={"number": row.number, "version": row.version,
                                                 "document_sha256": row.document_sha256})
    record_event(session, "contracts.drafted", {"contract": row.number, "version": row.version,
                                                "employer": row.employer_public_id, "person": row.person_public_id})
    registry.notify(session, person_pk=row.person_id, kind="contracts.drafted",
                    title=f"{row.employer_name}请您签署劳动合同",
                    body=f"{row.employer_name}向您发送了劳动合同（编号{row.number}，第{row.version}版），请登录查看并签署。",
                    link="/citizen/contracts")
    return row


def _content(row: LabourContract, template: rules.Template) -> document.Content:
    fields = row.fields
    return document.Content(
        number=row.number, version=row.version, title="劳动合同" if row.kind != "amendment" else "劳动合同（变更）",
        employer=[("名称", row.employer_name), ("统一社会信用代码", row.employer_credit_code),
                  ("法定代表人", row.legal_representative), ("住所", str(fields.get("employer_address", "")))],
        worker=[("姓名", row.worker_name), ("居民身份证号码", row.id_number_masked),
                ("住址", str(fields.get("worker_address", "")))],
        clauses=[(label, value) for label, value in rules.field_rows(template, fields)
                 if label not in ("用人单位住所", "劳动者住址")],
        basis=template.basis,
        verify_hint=f"核验：凭合同编号{row.number}和文件SHA-256在 {certs.base_url()}/api/v1/contracts/verify 查验。")


# ---------------------------------------------------------------- reading


def get(session: Session, *, actor: Principal, public_id: str) -> LabourContract:
    row = session.scalar(select(LabourContract).where(LabourContract.public_id == public_id))
    if row is None or not policy.may_read(actor, row):
        raise NotFound("该劳动合同", code="renshe:contracts/not-found")
    return row


def mine(session: Session, *, actor: Principal) -> list[LabourContract]:
    """The signed-in worker's contracts, every version, newest first."""
    if actor.kind != "citizen":
        raise Forbidden("请使用个人入口登录", code="renshe:contracts/permission")
    return list(session.scalars(select(LabourContract).where(LabourContract.person_public_id == actor.subject)
                                .order_by(LabourContract.id.desc())))


def listing(session: Session, *, actor: Principal, state: str | None = None, cursor: str | None = None,
            limit: int = 50) -> tuple[list[LabourContract], str | None]:
    """The employer's own contracts, or those of the clerk's jurisdiction, newest first, a page at a time."""
    if actor.kind == "citizen":
        return mine(session, actor=actor), None
    limit = max(1, min(limit, 200))
    stmt = select(LabourContract).order_by(LabourContract.id.desc())
    if actor.kind == "employer":
        stmt = stmt.where(LabourContract.employer_public_id == actor.subject)
    elif actor.kind in {"staff", "system"} and actor.has("employer.read"):
        stmt = stmt.where(LabourContract.employer_division.startswith(divisions.scope_prefix(actor.division_code)))
    else:
        raise Forbidden("无权查看劳动合同", code="renshe:contracts/permission")
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(LabourContract.id < after)
    if state:
        stmt = stmt.where(LabourContract.state == state)
    rows = list(session.scalars(stmt.limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


def pdf_of(session: Session, *, actor: Principal, public_id: str) -> tuple[str, bytes]:
    """The file name and the PDF: the signed final file once effective, else the document to be signed."""
    row = get(session, actor=actor, public_id=public_id)
    data = row.final_pdf if row.final_pdf is not None else row.document_pdf
    return f"labour-contract-{row.number}-v{row.version}.pdf", data


# ---------------------------------------------------------------- signing


def send_sign_code(session: Session, *, actor: Principal, public_id: str) -> None:
    """Send the worker a one-time code to confirm their signature (the phone on record)."""
    row = get(session, actor=actor, public_id=public_id)
    _require_worker(actor, row)
    person = registry.person_of(session, principal=actor)
    sent = registry.send_purpose_code(
        session, person=person, purpose=CODE_PURPOSE,
        message=f"【人社服务】您正在签署{row.employer_name}的劳动合同（编号{row.number}），验证码{{code}}，"
                "{minutes}分钟内有效。请勿告诉他人。")
    if not sent:
        raise ValidationFailed([FieldError("code", "renshe:contracts/no-phone",
                                           "人员基础库中没有您的手机号码，无法发送验证码，请先到窗口登记手机号码")])
    audit.record(session, actor=actor, action="contracts.sign_code", entity_type="labour_contract",
                 entity_id=row.public_id)


def _require_worker(actor: Principal, row: LabourContract) -> None:
    if actor.kind != "citizen" or actor.subject != row.person_public_id:
        raise deny(actor, entity_type="labour_contract", entity_id=row.public_id, action="contracts.sign",
                   detail="只有合同中的劳动者本人可以签署")


def sign(session: Session, *, actor: Principal, public_id: str, data: schemas.SignIn) -> LabourContract:
    """The worker (then the employer) confirms intent and signs the document they saw."""
    row = get(session, actor=actor, public_id=public_id)
    if not data.confirm:
        raise ValidationFailed([FieldError("confirm", "renshe:contracts/intent",
                                           "请勾选“我已阅读合同全文，同意签署”")])
    if data.document_sha256.lower() != row.document_sha256:
        raise Conflict("您看到的合同文件与平台保存的不一致，请刷新后重新阅读", code="renshe:contracts/document-changed")
    if actor.kind == "citizen":
        _require_worker(actor, row)
        if row.state != "draft":
            raise Conflict(f"该合同{STATE_LABELS[row.state]}，不能由劳动者签署", code="renshe:contracts/state")
        person = registry.person_of(session, principal=actor)
        problem = registry.check_purpose_code(session, person=person, purpose=CODE_PURPOSE, code=data.code or "")
        if problem is not None:
            error = ValidationFailed([FieldError("code", "renshe:contracts/code", problem)], detail=problem)
            error.persist = True  # a wrong code counts against the attempts left: the request still commits
            raise error
        return _sign(session, actor=actor, row=row, role="worker", owner=f"person:{row.person_public_id}",
                     name=row.worker_name)
    if not policy.may_sign_for_employer(actor, row):
        raise deny(actor, entity_type="labour_contract", entity_id=row.public_id, action="contracts.sign",
                   detail="只有用人单位本身可以签署，经办人员不能代签")
    if row.state != "worker_signed":
        raise Conflict(f"该合同{STATE_LABELS[row.state]}，用人单位须在劳动者签署后签署", code="renshe:contracts/state")
    return _sign(session, actor=actor, row=row, role="employer", owner=f"employer:{row.employer_public_id}",
                 name=row.employer_name)


def _sign(session: Session, *, actor: Principal, row: LabourContract, role: str, owner: str,
          name: str) -> LabourContract:
    signature = signatures.make(session, row=row, role=role, owner=owner, name=name)
    row.signatures = [*row.signatures, signature]
    if role == "worker":
        row.state = "worker_signed"
    else:
        _take_effect(session, row=row)
    session.flush()
    audit.record(session, actor=actor, action="contracts.sign", entity_type="labour_contract", entity_id=row.public_id,
                 after={"role": role, "document_sha256": row.document_sha256, "state": row.state,
                        "ed25519": signature["ed25519"]["kid"], "sm2": signature["sm2_sm3"]["kid"]})
    record_event(session, "contracts.signed", {"contract": row.number, "version": row.version, "role": role,
                                               "state": row.state})
    if row.state == "effective":
        registry.notify(session, person_pk=row.person_id, kind="contracts.effective",
                        title="劳动合同已生效",
                        body=f"您与{row.employer_name}的劳动合同（编号{row.number}，第{row.version}版）双方已签署生效，"
                             "可随时免费查看和下载。", link="/citizen/contracts")
    return row


def _take_effect(session: Session, *, row: LabourContract) -> None:
    row.state, row.effective_at = "effective", utcnow()
    payload = {"format": "renshe-labour-contract-signatures/1", "contract": row.number, "version": row.version,
               "document_sha256": row.document_sha256, "document_length": len(row.document_pdf),
               "signatures": row.signatures}
    attached = document.attach(row.document_pdf, payload)
    row.final_pdf = certs.platform_sign_pdf(session, pdf=attached,
                                            reason=f"电子劳动合同 {row.number} 第{row.version}版")
    row.final_sha256 = document.sha256_hex(row.final_pdf)
    if row.kind == "amendment" and row.previous_id is not None:
        previous = session.get(LabourContract, row.previous_id)
        if previous is not None and previous.state == "effective":
            previous.state, previous.ended_at = "superseded", utcnow()


# ---------------------------------------------------------------- amend, renew, terminate


def _effective_for_change(session: Session, *, actor: Principal, public_id: str, action: str) -> LabourContract:
    row = get(session, actor=actor, public_id=public_id)
    _require_act(actor, employer_public_id=row.employer_public_id, employer_division=row.employer_division,
                 action=action)
    if row.state != "effective":
        raise Conflict(f"该合同{STATE_LABELS[row.state]}，只有已生效的合同可以办理", code="renshe:contracts/state")
    return row


def amend(session: Session, *, actor: Principal, public_id: str, fields: dict[str, Any]) -> LabourContract:
    """A new version of an effective contract (same number); it supersedes the old one once both sign it."""
    row = _effective_for_change(session, actor=actor, public_id=public_id, action="contracts.amend")
    pending = session.scalar(select(LabourContract.id).where(
        LabourContract.number == row.number, LabourContract.state.in_(("draft", "worker_signed"))).limit(1))
    if pending is not None:
        raise Conflict("该合同已有待签署的变更", code="renshe:contracts/pending-change")
    template = template_of(row.template)
    clean, errors = rules.check(template, {**row.fields, **fields})
    if errors:
        raise ValidationFailed(errors)
    new = _successor(row, actor=actor, kind="amendment", number=row.number, version=row.version + 1)
    return _save_draft(session, actor=actor, row=new, template=template, fields=clean)


def renew(session: Session, *, actor: Principal, public_id: str, fields: dict[str, Any]) -> LabourContract:
    """Renew (续订) a fixed-term contract: a new contract from the day after the old one ends, linked to it."""
    row = _effective_for_change(session, actor=actor, public_id=public_id, action="contracts.renew")
    if row.term_kind != "fixed" or row.end_date is None:
        raise Conflict("只有固定期限劳动合同可以续订", code="renshe:contracts/not-fixed")
    pending = session.scalar(select(LabourContract.id).where(
        LabourContract.previous_id == row.id, LabourContract.kind == "renewal",
        LabourContract.state.in_(OPEN_STATES)).limit(1))
    if pending is not None:
        raise Conflict("该合同已续订或有待签署的续订", code="renshe:contracts/pending-change")
    template = template_of(row.template)
    start = (row.end_date + timedelta(days=1)).isoformat()
    clean, errors = rules.check(template, {**row.fields, "start_date": start, "end_date": None, **fields})
    if errors:
        raise ValidationFailed(errors)
    new = _successor(row, actor=actor, kind="renewal", number=_new_number(today()), version=1)
    return _save_draft(session, actor=actor, row=new, template=template, fields=clean)


def _successor(row: LabourContract, *, actor: Principal, kind: str, number: str, version: int) -> LabourContract:
    return LabourContract(
        number=number, version=version, kind=kind, previous_id=row.id, previous_public_id=row.public_id,
        template=row.template, state="draft",
        employer_public_id=row.employer_public_id, employer_name=row.employer_name,
        employer_credit_code=row.employer_credit_code, employer_division=row.employer_division,
        legal_representative=row.legal_representative, person_id=row.person_id,
        person_public_id=row.person_public_id, worker_name=row.worker_name, id_number_masked=row.id_number_masked,
        relation_public_id=row.relation_public_id, drafted_by=actor.subject, signatures=[])


def terminate(session: Session, *, actor: Principal, public_id: str, data: schemas.TerminateIn) -> LabourContract:
    """End an effective contract on a date for a reason from the national list; the employment relation ends
    with it (`registry.end_employment`). The contract stays stored and queryable."""
    row = _effective_for_change(session, actor=actor, public_id=public_id, action="contracts.terminate")
    errors = []
    if data.reason not in REASON_LABELS:
        errors.append(FieldError("reason", "renshe:contracts/reason", "请从解除或终止原因目录中选择"))
    if data.terminated_on < row.start_date:
        errors.append(FieldError("terminated_on", "renshe:contracts/end-before-start",
                                 "解除或终止日期不能早于合同开始日期"))
    if errors:
        raise ValidationFailed(errors)
    employer = registry.employer_by_public_id(session, actor=actor, public_id=row.employer_public_id)
    try:
        registry.end_employment(session, actor=actor, employer=employer, relation_id=row.relation_public_id,
                                end_date=data.terminated_on)
    except Conflict as exc:  # the employer already reported the end: the contract still ends
        if exc.code != "renshe:employment/ended":
            raise
    row.state, row.ended_at = "terminated", utcnow()
    row.terminated_on, row.termination_reason = data.terminated_on, data.reason
    row.termination_note = data.note.strip()[:500] or None
    session.flush()
    audit.record(session, actor=actor, action="contracts.terminate", entity_type="labour_contract",
                 entity_id=row.public_id, after={"terminated_on": data.terminated_on.isoformat(),
                                                 "reason": data.reason})
    record_event(session, "contracts.terminated", {"contract": row.number, "version": row.version,
                                                   "relation": row.relation_public_id, "reason": data.reason,
                                                   "terminated_on": data.terminated_on.isoformat()})
    registry.notify(session, person_pk=row.person_id, kind="contracts.terminated", title="劳动合同已解除或终止",
                    body=f"您与{row.employer_name}的劳动合同（编号{row.number}）于{data.terminated_on:%Y-%m-%d}"
                         f"解除或终止，原因：{REASON_LABELS[data.reason]}。", link="/citizen/contracts")
    return row


# ---------------------------------------------------------------- answers


def out(row: LabourContract) -> schemas.ContractOut:
    template = template_of(row.template)
    return schemas.ContractOut(
        public_id=row.public_id, number=row.number, version=row.version, kind=row.kind,
        kind_label=KIND_LABELS[row.kind], state=row.state, state_label=STATE_LABELS[row.state], template=row.template,
        employer_name=row.employer_name, employer_credit_code=row.employer_credit_code, worker_name=row.worker_name,
        id_number_masked=row.id_number_masked, term_kind=row.term_kind, term_kind_label=TERM_LABELS[row.term_kind],
        start_date=row.start_date, end_date=row.end_date, monthly_wage=schemas.yuan(row.monthly_wage_fen),
        monthly_wage_fen=row.monthly_wage_fen,
        clauses=[schemas.ClauseOut(label=label, value=value)
                 for label, value in rules.field_rows(template, row.fields)],
        document_sha256=row.document_sha256, final_sha256=row.final_sha256,
        signatures=[schemas.SignatureOut(
            role=s["statement"]["role"], role_label=ROLE_LABELS[s["statement"]["role"]],
            signer_name=s["statement"]["signer_name"], signed_at=s["statement"]["signed_at"],
            timestamp=signatures.stamped_at(s), ed25519_kid=s["ed25519"]["kid"], sm2_kid=s["sm2_sm3"]["kid"])
            for s in row.signatures],
        previous=row.previous_public_id, terminated_on=row.terminated_on, termination_reason=row.termination_reason,
        termination_reason_label=REASON_LABELS[row.termination_reason] if row.termination_reason else None,
        created_at=row.created_at.isoformat())


def demo_sign_both(session: Session, *, actor: Principal, public_id: str) -> LabourContract:
    """Sign a drafted contract for both sides without the code step (demo seed only: ACTOR is SYSTEM, and each
    signature is still made with the signer's own keys, timestamped, and the final PDF signed)."""
    if actor.kind != "system":
        raise Forbidden("仅供演示数据使用", code="renshe:contracts/permission")
    row = get(session, actor=actor, public_id=public_id)
    _sign(session, actor=actor, row=row, role="worker", owner=f"person:{row.person_public_id}", name=row.worker_name)
    return _sign(session, actor=actor, row=row, role="employer", owner=f"employer:{row.employer_public_id}",
                 name=row.employer_name)
