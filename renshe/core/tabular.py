"""Tabular import files shared by every domain: CSV (UTF-8 with or without BOM, or GB18030) or XLSX
whose first row names the columns (English field names or Chinese labels), streamed from disk with
bounded memory, and the report of a file refused whole with every bad row, field and rule named.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from renshe.core.errors import DomainError, FieldError
from renshe.core.settings import get_settings

MAX_LISTED_ERRORS = 1000  # errors listed in a rejection report; the total is always counted
MAX_CELL = 200  # characters in one cell; longer values are reported, never echoed back
MAX_UPLOAD_BYTES = 64 * 1024 * 1024  # a saved import file; the request itself is capped by RENSHE_MAX_UPLOAD_MB
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

    kind: str
    label: str
    columns: tuple[Column, ...]

    def label_of(self, name: str) -> str:
        for column in self.columns:
            if column.field == name:
                return column.label
        return name


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
    kind: str
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


def file_error(code: str, message: str, status: int = 422) -> DomainError:
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
        limit = get_settings().upload_max_rows + 1  # the header is row 1
        for number, cells in self._raw:
            if number > limit:
                raise upload_error("renshe:upload/too-many-rows",
                                   f"文件超过{limit - 1}行，请拆分后分批导入", status=413)
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


ENCODINGS = "UTF-8（可带BOM）或 GB18030（含GBK）"


def encoding_error(found: str) -> DomainError:
    message = f"文件编码为{found}，无法读取：CSV 文件须为 {ENCODINGS} 编码，请另存后重新上传"
    return upload_error("renshe:upload/encoding", message)


def scan_encoding(handle: IO[bytes]) -> tuple[str, int]:
    """The encoding of a CSV (`utf-8-sig` when the whole file is UTF-8, with or without BOM, else `gb18030`)
    and its line count, read in chunks from the current position; anything else is refused, named.
    Every CSV reader of the platform asks this one function."""
    start = handle.tell()
    head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) and not head.startswith(codecs.BOM_UTF8):
        raise encoding_error("UTF-16")
    handle.seek(start)
    found: str | None = None
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        lines, last = 0, b""
        try:
            while chunk := handle.read(_READ_CHUNK):
                if b"\x00" in chunk:
                    raise encoding_error("UTF-16 或二进制")
                lines += chunk.count(b"\n")
                last = chunk[-1:]
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            handle.seek(start)
            continue
        found = "utf-8-sig" if encoding == "utf-8" else encoding
        break
    handle.seek(start)
    if found is None:
        raise encoding_error("其他编码（既不是 UTF-8 也不是 GB18030）")
    if last and last != b"\n":
        lines += 1
    return found, lines


def decode_text(content: bytes) -> str:
    """A small uploaded text file as text, by the same rule as every CSV (`scan_encoding`)."""
    encoding, _lines = scan_encoding(io.BytesIO(content))
    return content.decode(encoding)


def _csv_encoding(path: Path) -> tuple[str, int]:
    with path.open("rb") as handle:
        return scan_encoding(handle)


def _csv_records(handle: IO[str]) -> Iterator[tuple[int, Sequence[object]]]:
    reader = csv.reader(handle)
    number = 0
    try:
        for number, record in enumerate(reader, start=1):
            yield number, record
    except UnicodeDecodeError:
        raise file_error("renshe:import/encoding",
                          "文件编码无法识别，请另存为 UTF-8 编码的 CSV 文件后重新导入") from None
    except csv.Error as exc:
        raise file_error("renshe:import/csv-format",
                          f"第{number + 1}行附近的 CSV 格式有误（{exc}），请检查引号和分隔符") from None


@contextmanager
def _open_csv(path: Path, spec: Spec) -> Iterator[RowStream]:
    encoding, lines = _csv_encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        records = _csv_records(handle)
        first = next(records, None)
        if first is None:
            raise file_error("renshe:import/empty", "文件是空的：第1行应为表头")
        yield RowStream(spec, first[1], records, max(lines - 1, 0))


def _bad_xlsx() -> DomainError:
    return file_error("renshe:import/bad-file",
                       "无法读取该文件，请确认是 Excel 工作簿（.xlsx）而不是改了扩展名的其他文件")


def _xlsx_records(sheet: Any) -> Iterator[tuple[int, Sequence[object]]]:
    try:
        yield from enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError):  # SyntaxError: broken sheet XML
        raise _bad_xlsx() from None


@contextmanager
def _open_xlsx(path: Path, spec: Spec, sheet_name: str | None = None) -> Iterator[RowStream]:
    check_xlsx(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise _bad_xlsx() from None
    try:
        if sheet_name is not None and sheet_name not in book.sheetnames:
            raise file_error("renshe:import/missing-sheet", f"工作簿中缺少工作表“{sheet_name}”")
        sheet = book[sheet_name] if sheet_name is not None else (
            book.active if book.active is not None else book.worksheets[0])
        try:
            max_row: int | None = sheet.max_row
        except (TypeError, ValueError):
            max_row = None
        rows = _xlsx_records(sheet)
        first = next(rows, None)
        if first is None:
            raise file_error("renshe:import/empty", "工作表是空的：第1行应为表头")
        yield RowStream(spec, first[1], rows, max(max_row - 1, 0) if max_row else None)
    finally:
        book.close()


def sheet_names(path: Path) -> list[str]:
    """The worksheet names of an XLSX workbook (for files with one sheet per kind of row)."""
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise _bad_xlsx() from None
    try:
        return list(book.sheetnames)
    finally:
        book.close()


@contextmanager
def open_rows(path: Path, spec: Spec, *, filename: str | None = None, sheet: str | None = None
              ) -> Iterator[RowStream]:
    """Open an import file by its extension (.csv or .xlsx) and check its header; SHEET names the worksheet
    of a workbook with several (XLSX only)."""
    suffix = Path(filename or path.name).suffix.lower()
    if sheet is not None:
        if suffix != ".xlsx":
            raise file_error("renshe:import/file-type", "该文件有多个工作表，只能导入 .xlsx 文件")
        with _open_xlsx(path, spec, sheet) as stream:
            yield stream
        return
    if suffix == ".csv":
        opener = _open_csv
    elif suffix == ".xlsx":
        opener = _open_xlsx
    else:
        raise file_error("renshe:import/file-type", "只能导入 .csv 或 .xlsx 文件")
    with opener(path, spec) as stream:
        yield stream


@contextmanager
def saved_upload(source: IO[bytes], *, filename: str | None, limit: int | None = None) -> Iterator[Path]:
    """Copy an uploaded file to a temporary file on disk (never into memory), checking type and size."""
    limit = MAX_UPLOAD_BYTES if limit is None else limit
    suffix = Path(filename or "").suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise file_error("renshe:import/file-type", "只能导入 .csv 或 .xlsx 文件")
    with tempfile.TemporaryDirectory(prefix="renshe-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        size = 0
        with path.open("wb") as out:
            while chunk := source.read(_READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise upload_error("renshe:upload/too-large",
                                       f"文件超过{limit // (1024 * 1024)}MB，请拆分后分批导入", status=413)
                out.write(chunk)
        if size == 0:
            raise file_error("renshe:import/empty", "文件是空的：第1行应为表头")
        yield path


# ---------------------------------------------------------------- exports (formula injection)

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def csv_text(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting with = + - @, tab or CR gets a leading
    apostrophe (OWASP's CSV-injection advice), unless it is a plain signed number; other values as given."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeCsvWriter:
    """`csv.writer` for every CSV export: each cell passes `csv_text`."""

    def __init__(self, handle: IO[str]) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, values: Iterable[object]) -> None:
        self._writer.writerow([csv_text(v) for v in values])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for values in rows:
            self.writerow(values)


def xlsx_row(sheet: Any, values: Iterable[object]) -> list[object]:
    """The values of one row for `sheet.append` in every XLSX export: text is written as text, so a value
    starting with "=" is never stored as a formula (openpyxl would), whatever the sheet's mode."""
    from openpyxl.cell import WriteOnlyCell

    cells: list[object] = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cells.append(cell)
        else:
            cells.append(value)
    return cells


# ---------------------------------------------------------------- upload guards

ZIP_MAX_MEMBERS = 1000  # an XLSX written by Excel or WPS holds a few dozen
ZIP_MAX_RATIO = 100  # unpacked / packed, for archives or members past ZIP_RATIO_FLOOR
ZIP_RATIO_FLOOR = 8 * 1024 * 1024


def upload_error(code: str, message: str, status: int = 422) -> DomainError:
    """A refused upload: `renshe:upload/...` in the API, the message on the page."""
    return DomainError(code, message, status, "上传文件被拒绝", [FieldError("file", code, message)])


def check_xlsx(source: Path | IO[bytes]) -> None:
    """Refuse a zip bomb before openpyxl opens it: the archive's declared sizes (which bound what zipfile
    will unpack), member count and compression ratio are checked from the central directory alone.
    Every XLSX reader calls it first."""
    start = source.tell() if not isinstance(source, Path) else 0
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip at all: the reader names the bad file its own way
    finally:
        if not isinstance(source, Path):
            source.seek(start)
    cap = get_settings().upload_max_unzipped_mb * 1024 * 1024
    unpacked = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members)
    bomb = (len(members) > ZIP_MAX_MEMBERS or unpacked > cap
            or (unpacked > ZIP_RATIO_FLOOR and unpacked > ZIP_MAX_RATIO * max(packed, 1))
            or any(m.file_size > ZIP_RATIO_FLOOR and m.file_size > ZIP_MAX_RATIO * max(m.compress_size, 1)
                   for m in members))
    if bomb:
        raise upload_error("renshe:upload/zip-bomb",
                           f"该 Excel 文件解压后过大（{unpacked // (1024 * 1024)}MB，{len(members)}个部件，"
                           f"上限{cap // (1024 * 1024)}MB）或压缩比异常，已拒绝；请确认文件来源，或拆分后重新上传",
                           status=413)
