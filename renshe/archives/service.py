"""Personnel files of mobile workers (流动人员人事档案).

- A clerk of a keeping institution (an Employment Online institution onboard with `personnel_files` in its
  scope) receives a person's file and records where it is stored.
- A transfer (转递) to another keeping institution is sent under a tracking number and is due within
  TRANSFER_WORKDAYS working days (`core.workdays`); the receiving institution's clerk records its arrival;
  overdue transfers are on both clerks' worklists.
- The person sees where their file is and each transfer's progress, is told of every change, and obtains the
  存档证明 as an electronic certificate of the certificate library (`personnel-file-storage`).
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from renshe.agencies import service as agencies
from renshe.archives.models import FileTransfer, PersonnelFile
from renshe.certs import service as certs
from renshe.core import audit, divisions, labels, workdays
from renshe.core.auth import SYSTEM, Principal
from renshe.core.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from renshe.core.events import record_event
from renshe.registry import service as registry

SHANGHAI = ZoneInfo("Asia/Shanghai")
TRANSFER_WORKDAYS = 10  # provincial practice varies: a deployment's service standard, this its default
STATES = labels.register("archives.state", {"stored": "在库保管", "in_transfer": "转递中"})
TRANSFER_STATES = labels.register("archives.transfer_state", {"sent": "已寄出，待接收", "received": "已接收"})


today = workdays.today  # tests replace it to move the clock


def _invalid(field: str, rule: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(field, f"renshe:archives/{rule}", message)])


def _keeper(session: Session, public_id: str, field: str) -> agencies.Agency:
    """An onboard institution that keeps personnel files."""
    try:
        row = agencies.get_listed(session, public_id=public_id)
    except NotFound:
        raise _invalid(field, "keeper", "请选择已入驻、可管理流动人员人事档案的机构") from None
    if "personnel_files" not in (row.licence_scope or []):
        raise _invalid(field, "keeper", f"{row.name}不办理流动人员人事档案管理")
    return row


def _staff(actor: Principal, division_code: str) -> None:
    if actor.kind not in {"staff", "system"} or not actor.has("person.write") or not actor.can_reach(division_code):
        raise Forbidden("无权办理该机构的人事档案业务", code="renshe:archives/permission")


def keepers(session: Session) -> list[agencies.Agency]:
    return [a for a in agencies.listing(session, service_kind="") if "personnel_files" in (a.licence_scope or [])]


def receive(session: Session, *, actor: Principal, id_number: str, keeper: str, location: str, received_on: date,
            source: str) -> PersonnelFile:
    """Receive a person's file (档案接收) at KEEPER and record where it is stored."""
    agency = _keeper(session, keeper, "keeper")
    _staff(actor, agency.division_code)
    person = registry.person_by_id_number(session, id_number=id_number)
    if person is None:
        raise _invalid("id_number", "person-unknown", "人员基础库中没有该公民身份号码")
    if received_on > today():
        raise _invalid("received_on", "future", "接收日期不能晚于今天")
    if not location.strip():
        raise _invalid("location", "location", "请填写存放位置")
    if session.scalar(select(PersonnelFile.id).where(PersonnelFile.person_id == person.id)) is not None:
        raise Conflict("该人员的档案已在本系统登记，请办理转递", code="renshe:archives/exists")
    serial = int(session.scalar(select(func.count()).select_from(PersonnelFile)) or 0) + 1
    row = PersonnelFile(person_id=person.id, person_public_id=person.public_id, person_name=person.name,
                        id_number_masked=person.id_number_masked,
                        file_number=f"DA{agency.division_code}{received_on:%Y}{serial:06d}", agency_id=agency.id,
                        division_code=agency.division_code, location=location.strip()[:100],
                        received_on=received_on, source=source.strip()[:200] or "个人申请", state="stored")
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="archives.receive", entity_type="personnel_file",
                 entity_id=row.public_id, after={"agency": agency.name, "location": row.location})
    registry.notify(session, person_pk=person.id, kind="archives.received", title="您的人事档案已接收",
                    body=f"您的人事档案已由{agency.name}接收保管（档案编号{row.file_number}）。",
                    link="/citizen/archive")
    return row


def _file(session: Session, public_id: str) -> PersonnelFile:
    row = session.scalar(select(PersonnelFile).where(PersonnelFile.public_id == public_id))
    if row is None:
        raise NotFound("该档案", code="renshe:archives/not-found")
    return row


def transfer(session: Session, *, actor: Principal, public_id: str, to_keeper: str, tracking_number: str,
             reason: str) -> FileTransfer:
    """Send a file to another keeping institution (档案转递), due within TRANSFER_WORKDAYS working days."""
    row = _file(session, public_id)
    _staff(actor, row.division_code)
    target = _keeper(session, to_keeper, "to_keeper")
    if row.state != "stored":
        raise Conflict("该档案正在转递中", code="renshe:archives/in-transfer")
    if target.id == row.agency_id:
        raise _invalid("to_keeper", "same-keeper", "转入机构不能是当前存档机构")
    if not tracking_number.strip():
        raise _invalid("tracking_number", "tracking", "请填写机要通信或邮寄单号")
    sent = today()
    due = workdays.calendar(session).add_workdays(sent, TRANSFER_WORKDAYS)
    move = FileTransfer(file_id=row.id, from_agency_id=row.agency_id, to_agency_id=target.id,
                        to_division=target.division_code, reason=reason.strip()[:200] or "工作调动",
                        tracking_number=tracking_number.strip()[:40], sent_on=sent, due_on=due, state="sent",
                        sent_by=actor.subject)
    row.state = "in_transfer"
    session.add(move)
    session.flush()
    audit.record(session, actor=actor, action="archives.transfer", entity_type="personnel_file",
                 entity_id=row.public_id, after={"to": target.name, "tracking": move.tracking_number,
                                                 "due_on": due.isoformat()})
    record_event(session, "archives.transfer_sent", {"file": row.public_id, "to": target.public_id})
    registry.notify(session, person_pk=row.person_id, kind="archives.transfer_sent", title="您的人事档案已寄出",
                    body=f"您的人事档案已寄往{target.name}（单号{move.tracking_number}），应于{due}前送达。",
                    link="/citizen/archive")
    return move


def receive_transfer(session: Session, *, actor: Principal, public_id: str, location: str) -> FileTransfer:
    """The receiving institution records the file's arrival and where it is stored now."""
    move = session.scalar(select(FileTransfer).where(FileTransfer.public_id == public_id))
    if move is None:
        raise NotFound("该转递", code="renshe:archives/transfer-not-found")
    _staff(actor, move.to_division)
    if move.state != "sent":
        raise Conflict("该档案已接收", code="renshe:archives/received")
    if not location.strip():
        raise _invalid("location", "location", "请填写存放位置")
    row = session.get(PersonnelFile, move.file_id)
    if row is None:
        raise NotFound("该档案", code="renshe:archives/not-found")
    move.state, move.received_on, move.received_by = "received", today(), actor.subject
    row.agency_id, row.division_code, row.location, row.state = (move.to_agency_id, move.to_division,
                                                                 location.strip()[:100], "stored")
    session.flush()
    keeper = session.get(agencies.Agency, move.to_agency_id)
    name = keeper.name if keeper else "转入机构"
    audit.record(session, actor=actor, action="archives.receive_transfer", entity_type="personnel_file",
                 entity_id=row.public_id, after={"agency": name, "late": move.received_on > move.due_on})
    registry.notify(session, person_pk=row.person_id, kind="archives.transfer_received", title="您的人事档案已转入",
                    body=f"您的人事档案已由{name}接收保管。", link="/citizen/archive")
    return move


def worklist(session: Session, *, actor: Principal) -> dict[str, list[tuple[FileTransfer, PersonnelFile]]]:
    """For a clerk's jurisdiction: transfers to receive, and transfers overdue (sent or to receive)."""
    if actor.kind not in {"staff", "system"} or not actor.has("person.read"):
        raise Forbidden("无权查看人事档案业务", code="renshe:archives/permission")
    prefix = divisions.scope_prefix(actor.division_code)
    base = (select(FileTransfer, PersonnelFile).join(PersonnelFile, PersonnelFile.id == FileTransfer.file_id)
            .where(FileTransfer.state == "sent").order_by(FileTransfer.due_on))
    incoming = [(m, f) for m, f in session.execute(base.where(FileTransfer.to_division.startswith(prefix))
                                                   .limit(200))]
    senders = select(agencies.Agency.id).where(agencies.Agency.division_code.startswith(prefix))
    overdue = [(m, f) for m, f in session.execute(base.where(
        FileTransfer.due_on < today(), or_(FileTransfer.to_division.startswith(prefix),
                                           FileTransfer.from_agency_id.in_(senders))).limit(200))]
    return {"incoming": incoming, "overdue": overdue}


def files(session: Session, *, actor: Principal, q: str = "") -> list[PersonnelFile]:
    if actor.kind not in {"staff", "system"} or not actor.has("person.read"):
        raise Forbidden("无权查看人事档案", code="renshe:archives/permission")
    stmt = select(PersonnelFile).where(PersonnelFile.division_code.startswith(divisions.scope_prefix(
        actor.division_code)))
    if q.strip():
        stmt = stmt.where(or_(PersonnelFile.file_number == q.strip(), PersonnelFile.person_name == q.strip()))
    return list(session.scalars(stmt.order_by(PersonnelFile.id.desc()).limit(100)))


def mine(session: Session, *, actor: Principal) -> tuple[PersonnelFile | None, list[FileTransfer]]:
    if actor.kind != "citizen":
        raise Forbidden("请以个人身份登录", code="renshe:archives/citizen-only")
    row = session.scalar(select(PersonnelFile).where(PersonnelFile.person_public_id == actor.subject))
    if row is None:
        return None, []
    return row, list(session.scalars(select(FileTransfer).where(FileTransfer.file_id == row.id)
                                     .order_by(FileTransfer.id.desc())))


def keeper_name(session: Session, agency_id: int) -> str:
    row = session.get(agencies.Agency, agency_id)
    return row.name if row else "—"


def certificate(session: Session, *, actor: Principal) -> certs.Certificate:
    """The 存档证明 of the signed-in person's file, issued by the certificate library (verifiable offline)."""
    row, _moves = mine(session, actor=actor)
    if row is None:
        raise NotFound("您的人事档案", code="renshe:archives/no-file")
    if row.state != "stored":
        raise Conflict("档案转递中，接收后才能开具存档证明", code="renshe:archives/in-transfer")
    issued = certs.issue(session, actor=SYSTEM, person_public_id=row.person_public_id,
                         type_key="personnel-file-storage",
                         fields={"agency": keeper_name(session, row.agency_id), "file_number": row.file_number,
                                 "received_on": row.received_on.isoformat()})
    audit.record(session, actor=actor, action="archives.certificate", entity_type="personnel_file",
                 entity_id=row.public_id)
    return issued
