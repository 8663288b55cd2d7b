"""The key-group labour database (重点群体劳动者信息库): records checked against the person base, the
employment state derived from employment relations, the services received (audited, told to the person),
the clerk's worklist of people not served lately and not employed, XLSX export and CSV/XLSX import (whole
file or nothing), and the sharing catalog's answer `key-group-membership`.

A broken rule refuses with `renshe:keygroups/<rule>` and a sentence naming the field. Staff reach the
records of their jurisdiction (the division prefix, in SQL); a citizen reads their own."""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, divisions, ids, labels, paging, tabular, workdays
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, DomainError, FieldError, Forbidden, NotFound
from renshe.core.events import record_event
from renshe.keygroups import rules, schemas
from renshe.keygroups.models import KeyGroupMembership, KeyGroupRecord, KeyGroupService
from renshe.registry import service as registry
from renshe.sharing import service as sharing
from renshe.unemployment import service as unemployment

SHANGHAI = ZoneInfo("Asia/Shanghai")
RESOURCE = "key-group-membership"
EXPORT_LIMIT = 50_000  # rows in one worklist export
CATALOG = rules.catalog()
STATE_LABELS = labels.register("keygroups.state", dict(CATALOG.states))
KIND_LABELS = labels.register("keygroups.service_kind", dict(CATALOG.service_kinds))
GROUP_LABELS = labels.register("keygroups.group", {code: g.name for code, g in CATALOG.groups.items()})
SOURCE_LABELS = labels.register("keygroups.state_source", {rules.CLERK: "经办记录", rules.REGISTRY: "劳动关系判定"})


today = workdays.today  # tests replace it to move the clock


def _invalid(field: str, rule: str, message: str) -> DomainError:
    return DomainError(f"renshe:keygroups/{rule}", message, 422, "输入有误",
                       [FieldError(field, f"renshe:keygroups/{rule}", message)])


def _may_write(actor: Principal, division_code: str) -> None:
    if actor.kind == "system":
        return
    if not (actor.kind == "staff" and actor.has("person.write") and actor.can_reach(division_code)):
        raise Forbidden("无权维护该地区的重点群体信息", code="renshe:keygroups/permission")


def _may_read(actor: Principal, row: KeyGroupRecord) -> bool:
    if actor.kind == "citizen":
        return actor.subject == row.person_public_id
    return actor.kind == "system" or (actor.kind == "staff" and actor.has("person.read")
                                      and actor.can_reach(row.division_code))


def _staff_reader(actor: Principal) -> None:
    if actor.kind not in {"staff", "system"} or (actor.kind == "staff" and not actor.has("person.read")):
        raise Forbidden("无权查看重点群体信息", code="renshe:keygroups/permission")


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class Checked:
    """A record's input after every rule passed: the person, the county, the state and the memberships."""

    person: registry.Person
    division_code: str
    state: str
    groups: dict[str, dict[str, str]]


def _check(session: Session, *, actor: Principal, id_number: str, name: str, division_code: str, state: str,
           groups: Sequence[tuple[str, Mapping[str, str]]], nested: bool = True
           ) -> tuple[Checked | None, list[FieldError]]:
    """Every rule of one record (the API's body, or an import row when not NESTED: a membership's fields are
    then the row's own columns, not `groups[n].field`)."""
    errors: list[FieldError] = []

    def broken(field: str, rule: str, message: str) -> None:
        errors.append(FieldError(field, f"renshe:keygroups/{rule}", message))

    person = None
    try:
        number = ids.parse_resident_id(id_number.strip().upper(), field="id_number").number
    except ids.IdentifierError as exc:
        errors.extend(exc.errors)
    else:
        person = registry.find_by_id_number(session, id_number=number)
        if person is None or person.status == "merged":
            broken("id_number", "person-not-found", "人员基础库中没有该公民身份号码，请先办理人员登记")
            person = None
        elif person.name != name.strip():
            broken("name", "name-mismatch", "姓名与人员基础库中该公民身份号码登记的姓名不一致")
            person = None
    county = division_code.strip() or (actor.division_code if actor.kind == "staff" else "")
    found = divisions.get(county) if county else None
    if found is None or found.level != "county":
        broken("division_code", "division", "负责地区应为县级行政区划代码（6位，如 110105）")
    elif actor.kind != "system" and not actor.can_reach(county):
        broken("division_code", "division-scope", "负责地区不在您的辖区内")
    if state not in CATALOG.states:
        broken("state", "state", f"就业状态应为{'、'.join(CATALOG.states.values())}之一")
    clean: dict[str, dict[str, str]] = {}
    for n, (group, attributes) in enumerate(groups):
        where = f"groups[{n}]." if nested else ""
        if group in clean:
            broken(f"{where}group", "group-duplicate", f"重点群体“{GROUP_LABELS.get(group, group)}”重复")
            continue
        values, problems = rules.check_membership(
            group, attributes, birth_date=person.birth_date if person else date(1900, 1, 1),
            male=person.sex == "1" if person else True, on=today())
        for problem in problems:
            if problem.rule == "category-age" and person is None:
                continue  # the age is known only once the person is
            broken(f"{where}{problem.field}", problem.rule, problem.message)
        clean[group] = values
    if errors or person is None:
        return None, errors
    return Checked(person, county, state, clean), []


def _new_record(session: Session, *, actor: Principal, checked: Checked) -> KeyGroupRecord:
    person = checked.person
    row = KeyGroupRecord(person_id=person.id, person_public_id=person.public_id, person_name=person.name,
                         id_number_masked=person.id_number_masked, division_code=checked.division_code,
                         state=checked.state, state_source=rules.CLERK, state_on=today(),
                         created_by=actor.subject)
    session.add(row)
    session.flush()
    return row


def _merge_groups(session: Session, *, row: KeyGroupRecord, groups: Mapping[str, dict[str, str]]) -> None:
    present = {m.group_code: m for m in session.scalars(select(KeyGroupMembership).where(
        KeyGroupMembership.record_id == row.id))}
    for group, values in groups.items():
        known = present.get(group)
        if known is None:
            session.add(KeyGroupMembership(record_id=row.id, group_code=group, attributes=values, since=today()))
        elif known.attributes != values:
            known.attributes = values
    session.flush()


def create_record(session: Session, *, actor: Principal, data: schemas.RecordIn) -> KeyGroupRecord:
    """Enter a person into the database: the ID number must be in the person base and the name must match;
    one record per person (a second is a 409 naming the first)."""
    if actor.kind not in {"staff", "system"}:
        raise Forbidden("重点群体信息由经办人员录入", code="renshe:keygroups/permission")
    checked, errors = _check(session, actor=actor, id_number=data.id_number, name=data.name,
                             division_code=data.division_code, state=data.state,
                             groups=[(g.group, g.attributes) for g in data.groups])
    if checked is None:
        first = errors[0]
        raise DomainError(first.code, f"未能录入：{first.message}", 422, "输入有误", errors)
    _may_write(actor, checked.division_code)
    if session.scalar(select(KeyGroupRecord.id).where(KeyGroupRecord.person_id == checked.person.id)) is not None:
        raise Conflict("该人员已在重点群体信息库中，请在其记录中增加群体或服务",
                       code="renshe:keygroups/duplicate")
    try:
        with session.begin_nested():
            row = _new_record(session, actor=actor, checked=checked)
    except IntegrityError:  # the same person entered twice at once: the second finds the first
        raise Conflict("该人员已在重点群体信息库中", code="renshe:keygroups/duplicate") from None
    _merge_groups(session, row=row, groups=checked.groups)
    audit.record(session, actor=actor, action="keygroups.create", entity_type="keygroup_record",
                 entity_id=row.public_id, after={"person": row.id_number_masked, "division": row.division_code,
                                                 "state": row.state, "groups": sorted(checked.groups)})
    record_event(session, "keygroups.recorded", {"record": row.public_id, "person": row.person_public_id,
                                                 "groups": sorted(checked.groups)})
    names = "、".join(GROUP_LABELS[g] for g in checked.groups)
    registry.notify(session, person_pk=row.person_id, kind="keygroups.recorded", title="已纳入就业实名服务",
                    body=f"您已作为{names}纳入当地公共就业服务机构的实名服务，可在“重点群体就业服务”查看。",
                    link="/citizen/keygroups")
    return row


def get_record(session: Session, *, actor: Principal, public_id: str) -> KeyGroupRecord:
    row = session.scalar(select(KeyGroupRecord).where(KeyGroupRecord.public_id == public_id))
    if row is None or not _may_read(actor, row):
        raise NotFound("该重点群体人员记录", code="renshe:keygroups/not-found")
    return row


def set_state(session: Session, *, actor: Principal, public_id: str, state: str) -> KeyGroupRecord:
    """The clerk records a state the registry cannot know (灵活就业, 升学, 参军 ...); 已就业 is the registry's
    to say when an employer reported the hire, so a clerk's 已就业 stays a clerk's note beside it."""
    row = get_record(session, actor=actor, public_id=public_id)
    _may_write(actor, row.division_code)
    if state not in CATALOG.states:
        raise _invalid("state", "state", f"就业状态应为{'、'.join(CATALOG.states.values())}之一")
    before = {"state": row.state, "source": row.state_source}
    row.state, row.state_source, row.state_on = state, rules.CLERK, today()
    session.flush()
    audit.record(session, actor=actor, action="keygroups.state", entity_type="keygroup_record",
                 entity_id=row.public_id, before=before, after={"state": state, "source": rules.CLERK})
    return row


# ---------------------------------------------------------------- services


def add_service(session: Session, *, actor: Principal, public_id: str, data: schemas.ServiceIn) -> KeyGroupService:
    """A service the person received: dated (not in the future), by the signed-in clerk, of a kind from the
    list; audited, and the person is told."""
    row = get_record(session, actor=actor, public_id=public_id)
    _may_write(actor, row.division_code)
    errors = []
    if data.kind not in CATALOG.service_kinds:
        errors.append(FieldError("kind", "renshe:keygroups/service-kind",
                                 f"服务类型应为{'、'.join(CATALOG.service_kinds.values())}之一"))
    if data.served_on > today():
        errors.append(FieldError("served_on", "renshe:keygroups/served-on", "服务日期不能晚于今天"))
    elif data.served_on < today() - timedelta(days=366):
        errors.append(FieldError("served_on", "renshe:keygroups/served-on", "服务日期不能早于一年前"))
    note = data.note.strip()
    if data.kind == "other" and not note:
        errors.append(FieldError("note", "renshe:keygroups/note", "服务类型为“其他”时请填写服务内容"))
    if errors:
        raise DomainError(errors[0].code, f"未能记录服务：{errors[0].message}", 422, "输入有误", errors)
    done = KeyGroupService(record_id=row.id, served_on=data.served_on, kind=data.kind, note=note[:500],
                           served_by=actor.subject, served_by_name=actor.display_name[:64])
    session.add(done)
    session.flush()
    audit.record(session, actor=actor, action="keygroups.serve", entity_type="keygroup_record",
                 entity_id=row.public_id, after={"service": done.public_id, "kind": done.kind,
                                                 "served_on": done.served_on.isoformat()})
    record_event(session, "keygroups.served", {"record": row.public_id, "service": done.public_id,
                                               "kind": done.kind})
    body = f"{done.served_on:%Y年%m月%d日}，公共就业服务机构为您提供了{KIND_LABELS[done.kind]}服务"
    registry.notify(session, person_pk=row.person_id, kind="keygroups.served",
                    title=f"就业服务：{KIND_LABELS[done.kind]}",
                    body=f"{body}：{note[:200]}" if note else f"{body}。", link="/citizen/keygroups")
    return done


def services_of(session: Session, *, record_id: int) -> list[KeyGroupService]:
    return list(session.scalars(select(KeyGroupService).where(KeyGroupService.record_id == record_id)
                                .order_by(KeyGroupService.served_on.desc(), KeyGroupService.id.desc())))


# ---------------------------------------------------------------- the worklist


def _unserved(actor: Principal, *, days: int, group: str | None) -> Select[KeyGroupRecord]:
    """Records of the actor's jurisdiction not employed (the registry's open relations decide, in SQL) and
    without a service in the last DAYS days."""
    cutoff = today() - timedelta(days=days)
    recent = exists().where(KeyGroupService.record_id == KeyGroupRecord.id, KeyGroupService.served_on > cutoff)
    not_employed = or_(KeyGroupRecord.state == rules.NOT_EMPLOYED,
                       and_(KeyGroupRecord.state == rules.EMPLOYED, KeyGroupRecord.state_source == rules.REGISTRY))
    stmt = select(KeyGroupRecord).where(
        KeyGroupRecord.division_code.startswith(divisions.scope_prefix(actor.division_code)),
        not_employed, KeyGroupRecord.person_id.not_in(registry.open_employment_persons()), ~recent)
    if group:
        stmt = stmt.where(exists().where(KeyGroupMembership.record_id == KeyGroupRecord.id,
                                         KeyGroupMembership.group_code == group))
    return stmt


def _days(days: int | None) -> int:
    chosen = CATALOG.unserved_days if days is None else days
    if not 1 <= chosen <= 366:
        raise _invalid("days", "days", "未服务天数应为1至366天")
    return chosen


def _group(group: str | None) -> str | None:
    if group and group not in CATALOG.groups:
        raise _invalid("group", "group", f"重点群体应为{'、'.join(GROUP_LABELS.values())}之一")
    return group or None


def worklist(session: Session, *, actor: Principal, days: int | None = None, group: str | None = None,
             cursor: str | None = None, limit: int = 50) -> tuple[list[KeyGroupRecord], str | None]:
    """People of the clerk's jurisdiction not yet served lately and not employed, oldest record first."""
    _staff_reader(actor)
    stmt = _unserved(actor, days=_days(days), group=_group(group)).order_by(KeyGroupRecord.id)
    after = paging.decode_cursor(cursor)
    if after:
        stmt = stmt.where(KeyGroupRecord.id > after)
    limit = max(1, min(limit, 200))
    rows = list(session.scalars(stmt.limit(limit + 1)))
    return rows[:limit], paging.encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


EXPORT_COLUMNS = ("姓名", "公民身份号码（脱敏）", "重点群体", "群体信息", "负责地区", "就业状态", "最近服务日期")


def export_worklist(session: Session, *, actor: Principal, days: int | None = None,
                    group: str | None = None) -> bytes:
    """The whole worklist as XLSX (text never stored as a formula), the export audited."""
    from openpyxl import Workbook

    _staff_reader(actor)
    chosen = _days(days)
    stmt = _unserved(actor, days=chosen, group=_group(group)).order_by(KeyGroupRecord.id).limit(EXPORT_LIMIT)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"未服务{chosen}天")
    sheet.append(list(EXPORT_COLUMNS))
    count = 0
    for chunk in _chunks(session.scalars(stmt), 500):
        for item in outs(session, chunk):
            sheet.append(tabular.xlsx_row(sheet, [
                item.person_name, item.id_number_masked, "、".join(g.group_label for g in item.groups),
                "；".join(f"{g.group_label}：{g.summary}" for g in item.groups if g.summary),
                item.division_name, item.state_label, item.last_served_on or "未服务"]))
            count += 1
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(session, actor=actor, action="keygroups.export", entity_type="keygroup_worklist",
                 entity_id=divisions.scope_prefix(actor.division_code) or "*",
                 after={"rows": count, "days": chosen, "group": group or ""})
    return buffer.getvalue()


def _chunks(rows: Iterator[KeyGroupRecord] | Any, size: int) -> Iterator[list[KeyGroupRecord]]:
    chunk: list[KeyGroupRecord] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# ---------------------------------------------------------------- import


def _import_spec() -> tabular.Spec:
    columns = [tabular.Column("id_number", "公民身份号码", True, ("身份证号", "身份证号码")),
               tabular.Column("name", "姓名", True),
               tabular.Column("group", "重点群体", True, ("群体",)),
               tabular.Column("division_code", "负责地区", False, ("负责县", "行政区划代码")),
               tabular.Column("state", "就业状态", False)]
    seen = set()
    for group in CATALOG.groups.values():
        for attribute in group.attributes:
            if attribute.field not in seen:
                seen.add(attribute.field)
                short = attribute.label.split("（", 1)[0]
                columns.append(tabular.Column(attribute.field, attribute.label, False,
                                              (short,) if short != attribute.label else ()))
    return tabular.Spec("keygroups", "重点群体人员", tuple(columns))


IMPORT_SPEC = _import_spec()


def _by_code_or_label(value: str, choices: Mapping[str, str]) -> str:
    value = value.strip()
    if value in choices:
        return value
    return next((code for code, text in choices.items() if text == value), value)


def _row_groups(values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    group = _by_code_or_label(values.get("group", ""), GROUP_LABELS)
    attributes = {}
    found = CATALOG.groups.get(group)
    for attribute in found.attributes if found else ():
        value = values.get(attribute.field, "").strip()
        if attribute.type == "choice":
            value = _by_code_or_label(value, attribute.choices)
        elif attribute.type == "category":
            value = _by_code_or_label(value, {c.code: c.name for c in found.categories.values()} if found else {})
        attributes[attribute.field] = value
    return group, attributes


def import_file(session: Session, *, actor: Principal, path: Path, filename: str | None = None
                ) -> schemas.ImportOut:
    """Import records from CSV or XLSX (one row per person and group; the same person on several rows joins
    several groups). Every row is checked before any is written: one bad row refuses the whole file, each bad
    row named with its field and rule. A person already recorded gets the groups added or updated."""
    if actor.kind not in {"staff", "system"} or (actor.kind == "staff" and not actor.has("import.run")):
        raise Forbidden("无权导入重点群体人员", code="renshe:keygroups/permission")
    report = tabular.ImportReport(IMPORT_SPEC.kind)
    accepted: dict[int, tuple[Checked, int]] = {}
    with tabular.open_rows(path, IMPORT_SPEC, filename=filename) as rows:
        for source in rows:
            report.rows_read += 1
            values = source.values
            group, attributes = _row_groups(values)
            state = _by_code_or_label(values.get("state", "") or rules.NOT_EMPLOYED, STATE_LABELS)
            checked, errors = _check(session, actor=actor, id_number=values.get("id_number", ""),
                                     name=values.get("name", ""), division_code=values.get("division_code", ""),
                                     state=state, groups=[(group, attributes)], nested=False)
            known = None if checked is None else session.scalar(
                select(KeyGroupRecord.division_code).where(KeyGroupRecord.person_id == checked.person.id))
            if checked is not None and known is not None and actor.kind != "system" and not actor.can_reach(known):
                errors = [FieldError("id_number", "renshe:keygroups/division-scope",
                                     "该人员已由其他地区负责，不在您的辖区内")]
            elif checked is not None:
                earlier = accepted.get(checked.person.id)
                if earlier is not None and (earlier[0].division_code, earlier[0].state) != (
                        checked.division_code, checked.state):
                    errors = [FieldError("division_code", "renshe:keygroups/row-conflict",
                                         f"与第{earlier[1]}行同一人员的负责地区或就业状态不一致")]
                elif earlier is not None:
                    merged = {**earlier[0].groups, **checked.groups}
                    accepted[checked.person.id] = (Checked(checked.person, checked.division_code, checked.state,
                                                           merged), earlier[1])
                else:
                    accepted[checked.person.id] = (checked, source.number)
            report.reject([tabular.RowError(source.number, e.field, e.code,
                                            f"第{source.number}行{_label(e.field)}：{e.message}") for e in errors])
    if not report.ok:
        raise tabular.ImportRejected(report)
    if report.rows_read == 0:
        raise tabular.file_error("renshe:import/empty", "文件中没有数据行")
    created = updated = 0
    for checked, _line in accepted.values():
        row = session.scalar(select(KeyGroupRecord).where(KeyGroupRecord.person_id == checked.person.id))
        if row is None:
            row = _new_record(session, actor=actor, checked=checked)
            created += 1
        else:
            updated += 1
        _merge_groups(session, row=row, groups=checked.groups)
    audit.record(session, actor=actor, action="keygroups.import", entity_type="keygroup_record", entity_id="*",
                 after={"rows": report.rows_read, "created": created, "updated": updated,
                        "file": (filename or path.name)[:100]})
    return schemas.ImportOut(rows=report.rows_read, created=created, updated=updated)


def _label(field: str) -> str:
    return f"（{IMPORT_SPEC.label_of(field)}）"


# ---------------------------------------------------------------- the citizen and other regions


def mine(session: Session, *, actor: Principal) -> KeyGroupRecord | None:
    if actor.kind != "citizen":
        raise Forbidden("请使用个人入口查看", code="renshe:keygroups/permission")
    return session.scalar(select(KeyGroupRecord).where(KeyGroupRecord.person_public_id == actor.subject))


def groups_of(session: Session, *, person_id: int) -> dict[str, dict[str, str]]:
    """The person's key groups: group code → its attributes (the hard-to-employ category among them); empty
    when the person has no record. Read by the subsidy policies' rules."""
    rows = session.execute(select(KeyGroupMembership.group_code, KeyGroupMembership.attributes)
                           .join(KeyGroupRecord, KeyGroupRecord.id == KeyGroupMembership.record_id)
                           .where(KeyGroupRecord.person_id == person_id)).all()
    return {str(code): {str(k): str(v) for k, v in dict(attributes or {}).items()} for code, attributes in rows}


def membership_answer(session: Session, person: registry.Person) -> dict[str, Any]:
    """The catalog resource `key-group-membership` (重点群体身份) for another region or department: whether
    the person is in a key group and which (the hard-to-employ category named), the county responsible and
    the employment state derived from employment relations; no school, no note, no ID number."""
    row = session.scalar(select(KeyGroupRecord).where(KeyGroupRecord.person_id == person.id))
    if row is None:
        return {"in_key_group": False, "groups": []}
    item = outs(session, [row])[0]
    return {
        "in_key_group": True,
        "groups": [{"group": g.group, "group_label": g.group_label, "since": g.since,
                    **_category(g)} for g in item.groups],
        "division_code": row.division_code, "division_name": item.division_name,
        "state": item.state, "state_label": item.state_label,
    }


def _category(membership: schemas.MembershipOut) -> dict[str, str]:
    group = CATALOG.groups.get(membership.group)
    code = membership.attributes.get("category", "")
    if group is None or not group.categories or not code:
        return {}
    found = group.categories.get(code)
    return {"category": code, "category_label": found.name if found else labels.FALLBACK}


sharing.register_answer(RESOURCE, membership_answer)


# ---------------------------------------------------------------- outputs


def outs(session: Session, rows: Sequence[KeyGroupRecord], *, services: bool = False) -> list[schemas.RecordOut]:
    """The records as answered: memberships, the last service and the state derived again from the
    registry, read for the whole page at once."""
    if not rows:
        return []
    keys = [r.id for r in rows]
    groups: dict[int, list[KeyGroupMembership]] = {}
    for m in session.scalars(select(KeyGroupMembership).where(KeyGroupMembership.record_id.in_(keys))
                             .order_by(KeyGroupMembership.id)):
        groups.setdefault(m.record_id, []).append(m)
    last: dict[int, date | None] = {}
    for record_id, served in session.execute(
            select(KeyGroupService.record_id, func.max(KeyGroupService.served_on))
            .where(KeyGroupService.record_id.in_(keys)).group_by(KeyGroupService.record_id)):
        last[record_id] = served
    employed = registry.employed_among(session, person_ids=[r.person_id for r in rows])
    answered = []
    for row in rows:
        state, source = rules.effective_state(row.state, row.state_source, employed_now=row.person_id in employed)
        latest = last.get(row.id)
        answered.append(schemas.RecordOut(
            public_id=row.public_id, person_name=row.person_name, id_number_masked=row.id_number_masked,
            division_code=row.division_code, division_name=divisions.full_name(row.division_code),
            state=state, state_label=STATE_LABELS.get(state, labels.FALLBACK), state_source=source,
            state_source_label=SOURCE_LABELS[source],
            groups=[schemas.MembershipOut(group=m.group_code, group_label=GROUP_LABELS.get(m.group_code, "其他"),
                                          attributes=dict(m.attributes), since=m.since.isoformat(),
                                          summary=rules.describe(m.group_code, m.attributes))
                    for m in groups.get(row.id, [])],
            last_served_on=latest.isoformat() if latest else None,
            registered_unemployed=unemployment.open_of(session, person_id=row.person_id) is not None
            if services else None,
            services=[service_out(s) for s in services_of(session, record_id=row.id)] if services else None))
    return answered


def service_out(row: KeyGroupService) -> schemas.ServiceOut:
    return schemas.ServiceOut(public_id=row.public_id, served_on=row.served_on.isoformat(), kind=row.kind,
                              kind_label=KIND_LABELS.get(row.kind, labels.FALLBACK), note=row.note,
                              served_by=row.served_by, served_by_name=row.served_by_name)


