"""Bulk import and export of persons and employers (人员/单位批量导入导出).

An import file is a CSV (UTF-8 with or without BOM, or GB18030) or an XLSX workbook whose first row
names the columns, in English field names or the Chinese labels. The whole file applies or nothing
does: every row is checked with the same rules as a single registration, and one bad row rejects the
file with a report naming each bad row, field and rule.

Memory stays bounded whatever the file size: rows are streamed from disk, checked, and inserted in
chunks; what grows with the file is one 20-byte key per row (to find duplicates inside the file)
and at most `MAX_LISTED_ERRORS` reported errors.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

from openpyxl import Workbook
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, ids, tabular
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, DomainError
from renshe.core.events import record_event
from renshe.core.models import new_public_id
from renshe.core.tabular import (
    MAX_CELL,
    Column,
    ImportRejected,
    ImportReport,
    RowError,
    SourceRow,
    Spec,
    file_error,
    open_rows,
)
from renshe.registry import policy, schemas, service
from renshe.registry.models import Employer, Person

ImportKind = Literal["persons", "employers"]
Progress = Callable[[int], None]

CHECK_CHUNK = 1000  # keys per "already registered?" query
INSERT_CHUNK = 2000  # rows per INSERT, audit batch and outbox event
PROGRESS_EVERY = 500  # rows between progress callbacks


PERSONS = Spec("persons", "人员", (
    Column("id_number", "公民身份号码", required=True, aliases=("身份证号码", "身份证号")),
    Column("name", "姓名", required=True),
    Column("phone", "手机号码", aliases=("手机号",)),
    Column("residence_division", "居住地", required=True),
    Column("hukou_division", "户籍地"),
))
EMPLOYERS = Spec("employers", "单位", (
    Column("credit_code", "统一社会信用代码", required=True),
    Column("name", "单位名称", required=True),
    Column("division_code", "所在地", required=True),
    Column("legal_representative", "法定代表人", required=True),
))
SPECS: dict[str, Spec] = {"persons": PERSONS, "employers": EMPLOYERS}


# ---------------------------------------------------------------- checking rows


_PYDANTIC_ZH = {
    "string_too_short": "内容太短",
    "string_too_long": "内容太长",
    "missing": "未填写",
    "literal_error": "取值不在允许范围内",
    "string_type": "应为文本",
}

V = TypeVar("V", service.ValidPerson, service.ValidEmployer)
M = TypeVar("M", schemas.PersonIn, schemas.EmployerIn)
Key = bytes | str  # a blind index of a resident ID number, or a credit code


def _outside(number: int, name: str, code: str) -> RowError:
    return RowError(number, name, "renshe:import/out-of-jurisdiction",
                    f"{code}（{divisions.full_name(code)}）不在您的辖区内，不能导入")


@dataclass(frozen=True)
class _Checked(Generic[V]):
    """A row that passed every rule of its own: its duplicate key and what to insert."""

    number: int
    key: Key
    valid: V


class _Rules(ABC, Generic[M, V]):
    """What differs between a person import and an employer import."""

    spec: Spec
    model: type[M]
    key_field: str
    division_field: str  # must be within the caller's reach
    duplicate_code: str
    duplicate_message: str

    @abstractmethod
    def model_values(self, values: dict[str, str]) -> dict[str, Any]:
        """The row's text as the arguments of the registration schema (blank optional fields → None)."""

    @abstractmethod
    def validate(self, data: M, prefix: str) -> V:
        """The registration rules of the service layer (raise `DomainError` with field errors)."""

    @abstractmethod
    def key_of(self, valid: V) -> Key:
        """What two rows that are the same person or employer have in common."""

    @abstractmethod
    def registered(self, session: Session, keys: list[Key]) -> set[Key]:
        """Which of `keys` are already in the database."""

    @abstractmethod
    def insert(self, session: Session, actor: Principal, rows: list[_Checked[V]]) -> None:
        """Insert checked rows, audit each one and record one outbox event."""

    def check(self, row: SourceRow) -> tuple[_Checked[V] | None, list[RowError], Key | None]:
        """Validate one row against every rule and report all broken ones at once.

        Returns the row if valid, its errors, and its duplicate key when its identifier is valid (so a
        row that is bad for another reason still finds its duplicates).
        """
        number = row.number
        errors: list[RowError] = []
        values = dict(row.values)
        for column in self.spec.columns:
            value = values.get(column.field, "")
            if len(value) > MAX_CELL:  # reported, never echoed back in a message
                errors.append(RowError(number, column.field, "renshe:import/too-long",
                                       f"“{column.label}”内容过长（超过{MAX_CELL}个字符）"))
                values[column.field] = ""
            elif column.required and not value:
                errors.append(RowError(number, column.field, "renshe:import/required",
                                       f"“{column.label}”未填写"))
        arguments = self.model_values(values)
        try:
            data = self.model(**arguments)
        except ValidationError as exc:
            flagged = {e.field for e in errors}
            for item in exc.errors():
                name = str(item["loc"][0]) if item["loc"] else self.key_field
                if name not in flagged:
                    flagged.add(name)
                    text = _PYDANTIC_ZH.get(item["type"], "格式不正确")
                    errors.append(RowError(number, name, f"renshe:validation/{item['type']}",
                                           f"“{self.spec.label_of(name)}”{text}"))
            data = self.model.model_construct(**arguments)  # the domain rules still run on the rest
        prefix = f"row {number}."
        try:
            valid = self.validate(data, prefix)
        except DomainError as exc:
            flagged = {e.field for e in errors}
            errors += [RowError(number, e.field.removeprefix(prefix), e.code, e.message)
                       for e in exc.errors if e.field.removeprefix(prefix) not in flagged]
            key = None
            if not any(e.field == self.key_field for e in errors):
                key = self._key_of_identifier(values[self.key_field])
            return None, errors, key
        key = self.key_of(valid)
        if errors:
            return None, errors, key
        return _Checked(number, key, valid), [], key

    @abstractmethod
    def _key_of_identifier(self, value: str) -> Key:
        """The duplicate key of an identifier already known to be valid."""


class _PersonRules(_Rules[schemas.PersonIn, service.ValidPerson]):
    spec = PERSONS
    model = schemas.PersonIn
    key_field = "id_number"
    division_field = "residence_division"
    duplicate_code = "renshe:person/duplicate"
    duplicate_message = "该公民身份号码已登记，不能重复导入"

    def model_values(self, values: dict[str, str]) -> dict[str, Any]:
        return {"id_number": values["id_number"], "name": values["name"],
                "phone": values.get("phone") or None, "residence_division": values["residence_division"],
                "hukou_division": values.get("hukou_division") or None}

    def validate(self, data: schemas.PersonIn, prefix: str) -> service.ValidPerson:
        return service.validate_person(data, prefix=prefix)

    def key_of(self, valid: service.ValidPerson) -> Key:
        return service.id_index(valid.resident.number)

    def _key_of_identifier(self, value: str) -> Key:
        return service.id_index(ids.parse_resident_id(value).number)

    def registered(self, session: Session, keys: list[Key]) -> set[Key]:
        indexes = [k for k in keys if isinstance(k, bytes)]
        return set(session.scalars(select(Person.id_number_index).where(Person.id_number_index.in_(indexes))))

    def insert(self, session: Session, actor: Principal, rows: list[_Checked[service.ValidPerson]]) -> None:
        values: list[dict[str, Any]] = []
        trail: list[tuple[str, dict[str, Any] | None]] = []
        for row in rows:
            value = service.new_person_row(row.valid, source="import")
            value["public_id"] = new_public_id()
            values.append(value)
            trail.append((value["public_id"], {**service.person_audit_fields(value), "source": "import"}))
        session.execute(insert(Person), values)
        audit.record_many(session, actor=actor, action="person.import", entity_type="person", items=trail)
        record_event(session, "registry.persons_imported", {
            "source": "import", "count": len(values),
            "persons": [{"person": v["public_id"], "division": v["residence_division"]} for v in values],
        })


class _EmployerRules(_Rules[schemas.EmployerIn, service.ValidEmployer]):
    spec = EMPLOYERS
    model = schemas.EmployerIn
    key_field = "credit_code"
    division_field = "division_code"
    duplicate_code = "renshe:employer/duplicate"
    duplicate_message = "该统一社会信用代码已登记，不能重复导入"

    def model_values(self, values: dict[str, str]) -> dict[str, Any]:
        names = ("credit_code", "name", "division_code", "legal_representative")
        return {name: values[name] for name in names}

    def validate(self, data: schemas.EmployerIn, prefix: str) -> service.ValidEmployer:
        return service.validate_employer(data, prefix=prefix)

    def key_of(self, valid: service.ValidEmployer) -> Key:
        return valid.credit.code

    def _key_of_identifier(self, value: str) -> Key:
        return ids.parse_credit_code(value).code

    def registered(self, session: Session, keys: list[Key]) -> set[Key]:
        codes = [k for k in keys if isinstance(k, str)]
        return set(session.scalars(select(Employer.credit_code).where(Employer.credit_code.in_(codes))))

    def insert(self, session: Session, actor: Principal, rows: list[_Checked[service.ValidEmployer]]) -> None:
        values: list[dict[str, Any]] = []
        trail: list[tuple[str, dict[str, Any] | None]] = []
        for row in rows:
            value = service.new_employer_row(row.valid, source="import")
            value["public_id"] = new_public_id()
            values.append(value)
            trail.append((value["public_id"], {
                "credit_code": value["credit_code"], "name": value["name"],
                "division_code": value["division_code"], "source": "import",
            }))
        session.execute(insert(Employer), values)
        audit.record_many(session, actor=actor, action="employer.import", entity_type="employer", items=trail)
        record_event(session, "registry.employers_imported", {
            "source": "import", "count": len(values),
            "employers": [{"employer": v["public_id"], "division": v["division_code"]} for v in values],
        })


# ---------------------------------------------------------------- importing


def _run(session: Session, *, actor: Principal, rules: _Rules[M, V], rows: Iterable[SourceRow],
         progress: Progress | None) -> ImportReport:
    policy.require(actor, "import.run")
    report = ImportReport(rules.spec.kind, ignored_columns=list(getattr(rows, "ignored_columns", [])))
    first_seen: dict[Key, int] = {}  # the one structure that grows with the file
    pending: list[_Checked[V]] = []

    def settle() -> None:
        """Refuse rows already in the database; insert the rest while the file is still clean."""
        found: set[Key] = set()
        keys = [row.key for row in pending]
        for start in range(0, len(keys), CHECK_CHUNK):
            found |= rules.registered(session, keys[start:start + CHECK_CHUNK])
        fresh = []
        for row in pending:
            if row.key in found:
                report.reject([RowError(row.number, rules.key_field, rules.duplicate_code,
                                        rules.duplicate_message)])
            else:
                fresh.append(row)
        if report.ok and fresh:
            try:
                rules.insert(session, actor, fresh)
            except IntegrityError:
                raise Conflict("导入过程中有相同号码被其他人登记，请重新导入",
                               code="renshe:import/concurrent-duplicate") from None
            report.imported += len(fresh)
        pending.clear()

    savepoint = session.begin_nested()
    try:
        last = number = 1
        for row in rows:
            number = row.number
            report.rows_read += 1
            checked, errors, key = rules.check(row)
            if key is not None:
                first = first_seen.setdefault(key, row.number)
                if first != row.number:
                    errors.append(RowError(row.number, rules.key_field, "renshe:import/duplicate-in-file",
                                           f"与第{first}行重复"))
            division = row.values.get(rules.division_field, "")
            if (division and not any(e.field == rules.division_field for e in errors)
                    and not service.check_county(division, rules.division_field)
                    and not policy.in_jurisdiction(actor, division)):
                errors.append(_outside(row.number, rules.division_field, division))
            if errors:
                report.reject(errors)
            elif checked is not None:
                pending.append(checked)
                if len(pending) >= INSERT_CHUNK:
                    settle()
            if progress is not None and number - last >= PROGRESS_EVERY:
                last = number
                progress(number - 1)
        if pending:
            settle()
        if progress is not None:
            progress(number - 1)
        if report.rows_read == 0:
            raise file_error("renshe:import/no-rows", "文件中只有表头，没有数据行")
        if not report.ok:
            raise ImportRejected(report)
    except BaseException:
        savepoint.rollback()  # nothing of a rejected file stays, even if the caller commits
        raise
    savepoint.commit()
    return report


def import_persons(session: Session, *, actor: Principal, rows: Iterable[SourceRow],
                   progress: Progress | None = None) -> ImportReport:
    """Register every person in `rows` or none (raises `ImportRejected`). The caller commits."""
    return _run(session, actor=actor, rules=_PersonRules(), rows=rows, progress=progress)


def import_employers(session: Session, *, actor: Principal, rows: Iterable[SourceRow],
                     progress: Progress | None = None) -> ImportReport:
    """Register every employer in `rows` or none (raises `ImportRejected`). The caller commits."""
    return _run(session, actor=actor, rules=_EmployerRules(), rows=rows, progress=progress)


IMPORTERS: dict[str, Callable[..., ImportReport]] = {"persons": import_persons, "employers": import_employers}


def import_file(session: Session, *, actor: Principal, kind: str, path: Path, filename: str | None = None,
                progress: Progress | None = None) -> ImportReport:
    """Open `path` (.csv or .xlsx, judged by `filename` if given) and import it whole or not at all."""
    spec = SPECS.get(kind)
    if spec is None:
        raise file_error("renshe:import/kind", "导入类型应为人员（persons）或单位（employers）")
    policy.require(actor, "import.run")
    with open_rows(path, spec, filename=filename) as stream:
        report: ImportReport = IMPORTERS[kind](session, actor=actor, rows=stream, progress=progress)
    return report


# ---------------------------------------------------------------- exporting


PERSON_HEADER = ("公民身份号码（已脱敏）", "姓名", "性别", "出生日期", "手机号码（已脱敏）", "居住地代码",
                 "居住地", "户籍地代码", "户籍地", "人员状态", "实名认证")
EMPLOYER_HEADER = ("统一社会信用代码", "单位名称", "机构类别", "所在地代码", "所在地", "法定代表人",
                   "单位状态")


class _Sheet:
    """A write-only worksheet that never lets a value starting with "=" become a formula."""

    def __init__(self, book: Any, title: str, header: Sequence[str]) -> None:
        self._sheet = book.create_sheet(title)
        self._sheet.append(list(header))
        self._names: dict[str, str] = {}

    def division(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self._names:
            self._names[code] = divisions.full_name(code)
        return self._names[code]

    def append(self, values: Sequence[object]) -> None:
        self._sheet.append(tabular.xlsx_row(self._sheet, values))


def export_persons_xlsx(session: Session, *, actor: Principal, out: Path | IO[bytes]) -> int:
    """Write the persons in the caller's reach to an XLSX workbook, ID numbers and phones masked."""
    policy.require(actor, "export.run")
    book = Workbook(write_only=True)
    sheet = _Sheet(book, "人员", PERSON_HEADER)
    cipher = crypto.cipher()
    count = 0
    for person in service.iter_persons_for_export(session, actor=actor):
        phone = (crypto.mask_phone(cipher.decrypt(person.phone_encrypted, purpose=service.PHONE_PURPOSE))
                 if person.phone_encrypted else "")
        sheet.append([
            person.id_number_masked, person.name, schemas.SEX_LABELS.get(person.sex, ""), person.birth_date,
            phone, person.residence_division, sheet.division(person.residence_division),
            person.hukou_division or "", sheet.division(person.hukou_division),
            schemas.PERSON_STATUS_LABELS.get(person.status, person.status),
            schemas.REAL_NAME_LABELS.get(person.real_name_state, person.real_name_state),
        ])
        count += 1
    book.save(out)
    audit.record(session, actor=actor, action="person.export", entity_type="division",
                 entity_id=actor.division_code, after={"count": count, "format": "xlsx"})
    return count


def export_employers_xlsx(session: Session, *, actor: Principal, out: Path | IO[bytes]) -> int:
    """Write the employers in the caller's reach to an XLSX workbook."""
    policy.require(actor, "export.run")
    book = Workbook(write_only=True)
    sheet = _Sheet(book, "单位", EMPLOYER_HEADER)
    count = 0
    for employer in service.iter_employers_for_export(session, actor=actor):
        sheet.append([
            employer.credit_code, employer.name, ids.USCC_ENTITY_TYPES.get(employer.entity_type, ""),
            employer.division_code, sheet.division(employer.division_code), employer.legal_representative,
            schemas.EMPLOYER_STATUS_LABELS.get(employer.status, employer.status),
        ])
        count += 1
    book.save(out)
    audit.record(session, actor=actor, action="employer.export", entity_type="division",
                 entity_id=actor.division_code, after={"count": count, "format": "xlsx"})
    return count
