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

import codecs
import csv
import tempfile
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, Generic, Literal, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.utils.exceptions import InvalidFileException
from pydantic import ValidationError
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from renshe.core import audit, crypto, divisions, ids
from renshe.core.auth import Principal
from renshe.core.errors import Conflict, DomainError, FieldError
from renshe.core.events import record_event
from renshe.core.models import new_public_id
from renshe.registry import schemas, service
from renshe.registry.models import Employer, Person

ImportKind = Literal["persons", "employers"]
Progress = Callable[[int], None]

MAX_LISTED_ERRORS = 1000  # errors listed in a rejection report; the total is always counted
CHECK_CHUNK = 1000  # keys per "already registered?" query
INSERT_CHUNK = 2000  # rows per INSERT, audit batch and outbox event
PROGRESS_EVERY = 500  # rows between progress callbacks
MAX_CELL = 200  # characters in one cell; longer values are reported, never echoed back
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx")
_READ_CHUNK = 1 << 20


# ---------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Spec:
    """The columns of one kind of import file."""

    kind: ImportKind
    label: str
    columns: tuple[Column, ...]

    def label_of(self, name: str) -> str:
        for column in self.columns:
            if column.field == name:
                return column.label
        return name


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


# ---------------------------------------------------------------- reports and errors


@dataclass(frozen=True)
class RowError:
    """One broken rule on one row; `row` is the spreadsheet row number (the header is row 1)."""

    row: int
    field: str
    code: str
    message: str

    def as_field_error(self) -> FieldError:
        return FieldError(f"row {self.row}.{self.field}", self.code, self.message)


@dataclass
class ImportReport:
    kind: ImportKind
    rows_read: int = 0
    imported: int = 0
    bad_rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def reject(self, errors: Sequence[RowError]) -> None:
        """Count one bad row and keep its errors, up to `MAX_LISTED_ERRORS` in all."""
        if not errors:
            return
        self.bad_rows += 1
        self.error_count += len(errors)
        room = MAX_LISTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


class ImportRejected(DomainError):
    """The file broke at least one rule, so nothing was imported; `report` names every bad row."""

    report: ImportReport

    def __init__(self, report: ImportReport, detail: str | None = None) -> None:
        report.errors.sort(key=lambda e: e.row)
        if detail is None:
            detail = (f"文件中有{report.bad_rows}行不符合要求（共{report.error_count}处问题），"
                      "全部数据均未导入。请修改后重新导入整个文件")
            if report.truncated:
                detail += f"；这里只列出前{len(report.errors)}处问题"
        super().__init__("renshe:import/rejected", detail, 422, "导入未通过校验，未导入任何数据",
                         [e.as_field_error() for e in report.errors])
        self.report = report


def _file_error(code: str, message: str, status: int = 422) -> DomainError:
    return DomainError(code, message, status, "导入文件无法读取", [FieldError("file", code, message)])


# ---------------------------------------------------------------- reading files


@dataclass(frozen=True)
class SourceRow:
    """One data row of an import file: spreadsheet row number and field → text (blank is "")."""

    number: int
    values: dict[str, str]


class RowStream:
    """The data rows of one file after its header, streamed. Blank rows are skipped."""

    def __init__(self, spec: Spec, header: Sequence[object], raw: Iterator[tuple[int, Sequence[object]]],
                 total: int | None) -> None:
        self.spec = spec
        self.total = total  # an estimate of the data rows, for progress bars
        self.columns, self.ignored_columns = _map_header(spec, header)
        self._raw = raw

    def __iter__(self) -> Iterator[SourceRow]:
        columns = list(self.columns.items())
        for number, cells in self._raw:
            values = {name: _text(cells[index]) if index < len(cells) else "" for name, index in columns}
            if any(values.values()):
                yield SourceRow(number, values)


def _normal(value: object) -> str:
    return _text(value).lstrip("\ufeff").strip("*＊ ").lower()


def _map_header(spec: Spec, header: Sequence[object]) -> tuple[dict[str, int], list[str]]:
    names: dict[str, str] = {}
    for column in spec.columns:
        for alias in (column.field, column.label, *column.aliases):
            names[alias.lower()] = column.field
    found: dict[str, int] = {}
    ignored: list[str] = []
    errors: list[RowError] = []
    for index, cell in enumerate(header):
        key = _normal(cell)
        if not key:
            continue
        name = names.get(key)
        if name is None:
            ignored.append(_text(cell)[:MAX_CELL])
        elif name in found:
            errors.append(RowError(1, name, "renshe:import/duplicate-column",
                                   f"表头中“{spec.label_of(name)}”列出现了不止一次"))
        else:
            found[name] = index
    for column in spec.columns:
        if column.required and column.field not in found:
            errors.append(RowError(1, column.field, "renshe:import/missing-column",
                                   f"缺少必填列“{column.label}”（{column.field}）"))
    if errors:
        report = ImportReport(spec.kind)
        report.error_count = len(errors)
        report.errors = errors
        raise ImportRejected(report, "表头不符合要求，未导入任何数据。"
                                     "第1行应为表头，列名可用中文或英文字段名")
    return found, ignored


def _text(value: object) -> str:
    """A cell as text: numbers typed into Excel lose their ".0", dates become YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _csv_encoding(path: Path) -> tuple[str, int]:
    """UTF-8 (with or without BOM) if the whole file decodes as UTF-8, else GB18030; and the line count."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    lines = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_READ_CHUNK):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            if utf8:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    if last and last != b"\n":
        lines += 1
    return ("utf-8-sig" if utf8 else "gb18030"), lines


def _csv_records(handle: IO[str]) -> Iterator[tuple[int, Sequence[object]]]:
    reader = csv.reader(handle)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except UnicodeDecodeError:
        raise _file_error("renshe:import/encoding",
                          "文件编码无法识别，请另存为 UTF-8 编码的 CSV 文件后重新导入") from None
    except csv.Error as exc:
        raise _file_error("renshe:import/csv-format",
                          f"第{number + 1}行附近的 CSV 格式有误（{exc}），请检查引号和分隔符") from None


@contextmanager
def _open_csv(path: Path, spec: Spec) -> Iterator[RowStream]:
    encoding, lines = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        records = _csv_records(handle)
        first = next(records, None)
        if first is None:
            raise _file_error("renshe:import/empty", "文件是空的：第1行应为表头")
        yield RowStream(spec, first[1], records, max(lines - 1, 0))


def _bad_xlsx() -> DomainError:
    return _file_error("renshe:import/bad-file",
                       "无法读取该文件，请确认是 Excel 工作簿（.xlsx）而不是改了扩展名的其他文件")


def _xlsx_records(sheet: Any) -> Iterator[tuple[int, Sequence[object]]]:
    try:
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError):  # SyntaxError: broken sheet XML
        raise _bad_xlsx() from None


@contextmanager
def _open_xlsx(path: Path, spec: Spec) -> Iterator[RowStream]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise _bad_xlsx() from None
    try:
        sheet = book.active if book.active is not None else book.worksheets[0]
        try:
            max_row: int | None = sheet.max_row
        except (TypeError, ValueError):
            max_row = None
        rows = _xlsx_records(sheet)
        first = next(rows, None)
        if first is None:
            raise _file_error("renshe:import/empty", "工作表是空的：第1行应为表头")
        yield RowStream(spec, first[1], rows, max(max_row - 1, 0) if max_row else None)
    finally:
        book.close()


@contextmanager
def open_rows(path: Path, spec: Spec, *, filename: str | None = None) -> Iterator[RowStream]:
    """Open an import file by its extension (.csv or .xlsx) and check its header."""
    suffix = Path(filename or path.name).suffix.lower()
    if suffix == ".csv":
        opener = _open_csv
    elif suffix == ".xlsx":
        opener = _open_xlsx
    else:
        raise _file_error("renshe:import/file-type", "只能导入 .csv 或 .xlsx 文件")
    with opener(path, spec) as stream:
        yield stream


@contextmanager
def saved_upload(source: IO[bytes], *, filename: str | None, limit: int | None = None) -> Iterator[Path]:
    """Copy an uploaded file to a temporary file on disk (never into memory), checking type and size."""
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise _file_error("renshe:import/file-type", "只能导入 .csv 或 .xlsx 文件")
    with tempfile.TemporaryDirectory(prefix="renshe-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        size = 0
        with path.open("wb") as out:
            while chunk := source.read(_READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise _file_error("renshe:import/too-large",
                                      f"文件超过{limit // (1024 * 1024)}MB，请拆分后分批导入", status=413)
                out.write(chunk)
        if size == 0:
            raise _file_error("renshe:import/empty", "文件是空的：第1行应为表头")
        yield path


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
    actor.require("import.run")
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
                    and not actor.can_reach(division)):
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
            raise _file_error("renshe:import/no-rows", "文件中只有表头，没有数据行")
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
        raise _file_error("renshe:import/kind", "导入类型应为人员（persons）或单位（employers）")
    actor.require("import.run")
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
        cells: list[object] = []
        for value in values:
            if isinstance(value, str) and value.startswith("="):
                cell = WriteOnlyCell(self._sheet, value=value)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        self._sheet.append(cells)


def export_persons_xlsx(session: Session, *, actor: Principal, out: Path | IO[bytes]) -> int:
    """Write the persons in the caller's reach to an XLSX workbook, ID numbers and phones masked."""
    actor.require("export.run")
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
    actor.require("export.run")
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
