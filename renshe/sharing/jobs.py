"""Batch verification: accept a CSV or XLSX of (name, id_number), answer every row in chunks, resumably.

Files live under `var/batch/<job>/`: `input.csv` (normalised at upload) and `result.csv` (the same rows
plus `result`). Memory stays bounded by the chunk size whatever the file's length.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import io
import operator
import os
import re
import secrets
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import IO

import numpy as np
import structlog
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from renshe.core import db, idcolumns, ids, tabular
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.core.settings import get_settings
from renshe.registry import bulk
from renshe.sharing.models import BatchJob

log = structlog.get_logger("renshe.batch")
CHUNK = 50_000  # rows answered per checkpoint
BLOCK = 65_536  # upload records checked per column operation (csv module, XLSX)
READ_BYTES = 1 << 21  # upload bytes split and checked per column operation (plain CSV)
HEADERS = {"name": "name", "姓名": "name", "id_number": "id_number", "公民身份号码": "id_number"}
MAX_REPORTED = 100
_CONTROL = re.compile(r"[\x00-\x1f]")
_FORMULA_START = re.compile(r"\n[=+\-@]")  # tab and CR are control characters, refused already
_wake = threading.Event()  # set when a job is committed, so an idle worker starts it at once


def batch_dir(job_id: str) -> Path:
    return get_settings().batch_dir / job_id


@dataclass(frozen=True)
class _Block:
    """Data records of an upload: names and ID numbers stripped, their record numbers (the header is
    record 1), blank records left out."""

    names: list[str]
    numbers: list[str]
    rows: list[int]


def _header(record: list[str]) -> tuple[int, int]:
    mapped = {HEADERS.get(c.strip()): i for i, c in enumerate(record) if HEADERS.get(c.strip())}
    if set(mapped) != {"name", "id_number"}:
        raise ValidationFailed([FieldError("row 1", "renshe:batch/header",
                                           "第1行须为表头：name,id_number（或 姓名,公民身份号码）")])
    return mapped["name"], mapped["id_number"]


def _blocks(upload: IO[bytes], filename: str) -> Iterator[_Block]:
    """The data records of a CSV or XLSX upload in blocks. A CSV is split by columns without the csv
    module while its lines hold no quote and as many commas as the header (`_split`), and is read by
    the csv module from the first block that does not; an XLSX is read row by row."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        from openpyxl import load_workbook

        tabular.check_xlsx(upload)  # a zip bomb is refused before openpyxl unpacks anything
        try:
            sheet = load_workbook(upload, read_only=True).worksheets[0]
        except (zipfile.BadZipFile, KeyError, ValueError, OSError, IndexError):
            raise ValidationFailed([FieldError("file", "renshe:batch/file-type", "文件不是有效的XLSX工作簿")]) from None
        yield from _record_blocks((["" if v is None else str(v) for v in values]
                                   for values in sheet.iter_rows(values_only=True)), first=1)
        return
    if not lower.endswith(".csv"):
        raise ValidationFailed([FieldError("file", "renshe:batch/file-type", "文件须为 .csv 或 .xlsx")])
    encoding, _lines = tabular.scan_encoding(upload)  # UTF-8 (BOM or not) or GB18030, else refused
    if encoding == "gb18030":  # staged as UTF-8, like every other file
        with tempfile.TemporaryFile() as copy:
            decoder = codecs.getincrementaldecoder(encoding)()
            while chunk := upload.read(READ_BYTES):
                copy.write(decoder.decode(chunk).encode())
            copy.write(decoder.decode(b"", final=True).encode())
            copy.seek(0)
            yield from _csv_blocks(copy)
        return
    yield from _csv_blocks(upload)


def _csv_blocks(upload: IO[bytes]) -> Iterator[_Block]:
    first_line = upload.readline()
    header = next(csv.reader([first_line.decode("utf-8-sig")]), None) if first_line else None
    if header is None:
        raise ValidationFailed([FieldError("file", "renshe:batch/empty", "文件为空")])
    columns = _header(header)
    width = len(header)
    offset, row, pending = upload.tell(), 2, b""
    while True:
        data = upload.read(READ_BYTES)
        text = pending + data
        if not text:
            return
        cut = text.rfind(b"\n") + 1 if data else len(text)
        if not cut:  # no whole line yet
            pending = text
            continue
        block, pending = text[:cut], text[cut:]
        split = _split(block, width, columns)
        if split is None:  # quotes, or a line of another width: the csv module reads the rest
            upload.seek(offset)
            records = csv.reader(io.TextIOWrapper(upload, encoding="utf-8", newline=""))
            yield from _record_blocks(records, first=row, columns=columns)
            return
        names, numbers, cells = split
        yield _skip_blank(names, numbers, list(range(row, row + len(names))), cells)
        row += len(names)
        offset += len(block)


def _split(block: bytes, width: int, columns: tuple[int, int]) -> tuple[list[str], list[str], list[str]] | None:
    """(names, numbers, all cells) of a block of whole lines that hold no quote and `width - 1` commas
    each, or None. Every step is one pass over the whole block (numpy for the comma count per line)."""
    if b'"' in block or width < 2:
        return None
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
        if b"\r" in block:
            return None
    if not block.endswith(b"\n"):
        block += b"\n"
    chars = np.frombuffer(block, dtype=np.uint8)
    ends = np.flatnonzero(chars == 10)
    commas = np.flatnonzero(chars == 44)
    if len(commas) != len(ends) * (width - 1):
        return None
    if np.any(np.bincount(np.searchsorted(ends, commas), minlength=len(ends)) != width - 1):
        return None
    cells = block[:-1].decode("utf-8").replace(",", "\n").split("\n")
    names, numbers = cells[columns[0]::width], cells[columns[1]::width]
    return list(map(str.strip, names)), list(map(str.strip, numbers)), cells


def _skip_blank(names: list[str], numbers: list[str], rows: list[int], cells: list[str] | list[list[str]],
                ) -> _Block:
    """Leave out records whose every cell is blank (a record is `cells[i]`, or a `width`-long run of a
    flat list of cells); only blocks with an empty name are looked at row by row."""
    if "" not in names:
        return _Block(names, numbers, rows)
    width = len(cells) // len(names) if cells and isinstance(cells[0], str) else 0
    keep = []
    for i, name in enumerate(names):
        record = cells[i * width:(i + 1) * width] if width else cells[i]
        keep.append(bool(name) or any(str(cell).strip() for cell in record))
    return _Block([v for v, k in zip(names, keep, strict=True) if k],
                  [v for v, k in zip(numbers, keep, strict=True) if k],
                  [v for v, k in zip(rows, keep, strict=True) if k])


def _record_blocks(records: Iterator[list[str]], *, first: int, columns: tuple[int, int] | None = None,
                   ) -> Iterator[_Block]:
    """Blocks of records read one by one (csv module, XLSX); without `columns` the first is the header."""
    if columns is None:
        header = next(records, None)
        if header is None:
            raise ValidationFailed([FieldError("file", "renshe:batch/empty", "文件为空")])
        columns, first = _header(header), first + 1
    while block := list(islice(records, BLOCK)):
        yield _skip_blank(_column(block, columns[0]), _column(block, columns[1]),
                          list(range(first, first + len(block))), block)
        first += len(block)


def _column(block: list[list[str]], index: int) -> list[str]:
    """One column of a block, stripped; a short record gives ''."""
    try:
        cells: list[str] = list(map(itemgetter(index), block))
    except IndexError:
        cells = [record[index] if len(record) > index else "" for record in block]
    return list(map(str.strip, cells))


def _name_problems(names: list[str]) -> dict[int, str]:
    """Rows whose name is refused (empty, longer than 64, control characters); whole-block tests first."""
    sizes = np.fromiter(map(len, names), dtype=np.int64, count=len(names))
    if len(sizes) and sizes.min() > 0 and sizes.max() <= 64 and not _CONTROL.search("".join(names)):
        return {}
    return {i: "姓名为空" if not name else "姓名过长或含有控制字符" for i, name in enumerate(names)
            if not name or len(name) > 64 or _CONTROL.search(name)}


@dataclass(frozen=True)
class Staged:
    """An upload checked and copied to disk, not yet a job."""

    job_id: str
    filename: str
    total_rows: int


def create_job(session: Session, *, consumer: str, upload: IO[bytes], filename: str) -> BatchJob:
    """Stage the upload and register the job in the caller's transaction."""
    return register_job(session, consumer=consumer, staged=stage_upload(upload=upload, filename=filename))


def register_job(session: Session, *, consumer: str, staged: Staged) -> BatchJob:
    job = BatchJob(public_id=staged.job_id, consumer=consumer, filename=staged.filename[:200], status="queued",
                   total_rows=staged.total_rows)
    session.add(job)
    session.flush()
    event.listen(session, "after_commit", _wake_worker, once=True)
    return job


def _wake_worker(_session: Session) -> None:
    _wake.set()


def stage_upload(*, upload: IO[bytes], filename: str) -> Staged:
    """Check every row while copying the upload to disk (no database work, so a long file holds no lock);
    a malformed file is refused whole, naming its rows. Each staged row is one line of the input file,
    `name,id_number\\r\\n` as the csv module writes it, the ID number canonical (18 characters)."""
    job_id = secrets.token_hex(16)
    folder = batch_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    today = date.today()
    errors: list[FieldError] = []
    total = 0
    try:
        with open(folder / "input.csv", "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for block in _blocks(upload, filename):
                names, numbers, rows = block.names, block.numbers, block.rows
                name_problems = _name_problems(names)
                checked = idcolumns.check_column(numbers, today=today)
                for i in sorted(name_problems.keys() | set(checked.bad_rows().tolist())):
                    if len(errors) >= MAX_REPORTED:
                        errors[-1] = FieldError("rows", "renshe:batch/more", "还有更多错误行未列出")
                        continue
                    code, detail = "renshe:batch/name", name_problems.get(i)
                    if detail is None:
                        try:
                            ids.parse_resident_id(numbers[i], today=today)
                        except ids.IdentifierError as exc:
                            code, detail = exc.code, exc.detail
                    errors.append(FieldError(f"row {rows[i]}", code, f"第{rows[i]}行：{detail}"))
                if errors:
                    continue
                if _FORMULA_START.search("\n" + "\n".join(names)):  # the result file echoes the names
                    names = [str(tabular.csv_text(name)) for name in names]
                joined = "".join(names)
                if '"' in joined or "," in joined:  # names the csv module quotes
                    writer.writerows(zip(names, checked.numbers, strict=True))
                else:  # the same bytes, written in one piece
                    parts = ["\r\n"] * (4 * len(names))
                    parts[0::4], parts[1::4], parts[2::4] = names, [","] * len(names), checked.numbers
                    out.write("".join(parts))
                total += len(names)
        if errors:
            raise ValidationFailed(errors, detail="文件中有不合格的行，整个文件未受理")
        if total == 0:
            raise ValidationFailed([FieldError("file", "renshe:batch/no-rows", "文件没有数据行")])
    except BaseException:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
        raise
    return Staged(job_id=job_id, filename=filename, total_rows=total)


def get_job(session: Session, *, consumer: str, job_id: str) -> BatchJob:
    job = session.scalar(select(BatchJob).where(BatchJob.public_id == job_id, BatchJob.consumer == consumer))
    if job is None:
        raise NotFound("该批量核验任务", code="renshe:batch/not-found")
    return job


def find_job(session: Session, *, job_id: str) -> BatchJob:
    """By its unguessable id alone: for the progress page, which shows counts and nothing about persons."""
    job = session.scalar(select(BatchJob).where(BatchJob.public_id == job_id)) if len(job_id) == 32 else None
    if job is None:
        raise NotFound("该批量核验任务", code="renshe:batch/not-found")
    return job


def recent_jobs(session: Session, *, limit: int = 50, cursor: str | None = None) -> tuple[list[BatchJob], str | None]:
    stmt = select(BatchJob).order_by(BatchJob.id.desc()).limit(limit + 1)
    if cursor and cursor.isdigit():
        stmt = stmt.where(BatchJob.id < int(cursor))
    rows = list(session.scalars(stmt))
    return rows[:limit], (str(rows[limit - 1].id) if len(rows) > limit else None)


_MATCH, _MISMATCH, _NOT_FOUND = b",match\r\n", b",mismatch\r\n", b",not_found\r\n"


def _name_field(field: bytes) -> bytes:
    """A staged name as UTF-8, unquoted if the csv module had quoted it (a comma or a quote inside)."""
    return next(csv.reader([field.decode()]))[0].encode()


_NUMBER, _NAME, _BODY = itemgetter(slice(-20, -2)), itemgetter(slice(None, -21)), itemgetter(slice(None, -2))
_ENDINGS = np.array([_MATCH, _MISMATCH, _NOT_FOUND], dtype=object)


def _answer(session: Session, lines: list[bytes]) -> tuple[bytes, list[int]]:
    """The result lines of staged input lines, and the (match, mismatch, not_found) counts.

    A staged line is `<name as a CSV field>,<18-character ID number>\\r\\n`, so the number and the name
    are fixed slices and a result line is the input line with its answer appended. Every step is a
    `map` or a numpy operation over the chunk: no Python code runs per row."""
    count = len(lines)
    keys = bulk.id_indexes(list(map(_NUMBER, lines)))
    registered = {key: name.encode() for key, name in bulk.names_by_index(session, indexes=set(keys)).items()}
    found = list(map(registered.get, keys))
    given = list(map(_NAME, lines))
    if b'"' in b"".join(given):  # names the csv module quoted (34 is '"')
        for i in [i for i, line in enumerate(lines) if line[0] == 34]:
            given[i] = _name_field(given[i])
    absent = np.fromiter(map(operator.is_, found, repeat(None)), dtype=bool, count=count)
    same = np.fromiter(map(operator.eq, found, given), dtype=bool, count=count)
    answers = np.where(absent, 2, np.where(same, 0, 1))
    parts: list[bytes] = [b""] * (2 * count)
    parts[0::2] = map(_BODY, lines)
    parts[1::2] = _ENDINGS[answers].tolist()
    matched, mismatched, not_found = np.bincount(answers, minlength=3).tolist()
    return b"".join(parts), [matched, mismatched, not_found]


def run_chunk(session: Session, *, job: BatchJob) -> bool:
    """Answer the next chunk of a job and checkpoint it; returns False when the job is finished.

    The result file is cut back to the last checkpoint before the chunk's lines are appended and synced,
    and the job row (offsets and counts) is the checkpoint: rows answered after it are answered again,
    never twice in the file."""
    if job.status in {"done", "failed", "expired"}:
        return False
    job.status = "running"
    folder = batch_dir(job.public_id)
    with open(folder / "input.csv", "rb") as source:  # one row per line (names have no control characters)
        source.seek(job.input_bytes)
        lines = list(islice(source, CHUNK))
        input_bytes = source.tell() if lines else job.input_bytes
    block, counts = _answer(session, lines) if lines else (b"", [0, 0, 0])
    with open(folder / "result.csv", "a+b") as raw:
        raw.truncate(job.output_bytes)  # drop anything written after the last checkpoint
        raw.seek(job.output_bytes)
        if job.output_bytes == 0:
            raw.write("\ufeffname,id_number,result\r\n".encode())
        raw.write(block)
        raw.flush()
        os.fsync(raw.fileno())
        job.output_bytes = raw.tell()
    job.processed_rows += len(lines)
    job.input_bytes = input_bytes
    job.matched += counts[0]
    job.mismatched += counts[1]
    job.not_found += counts[2]
    if job.processed_rows >= job.total_rows:
        job.status = "done"
        job.finished_at = utcnow()
        job.expires_at = job.finished_at + timedelta(days=get_settings().batch_result_days)
    session.flush()
    return job.status != "done"


def unfinished(session: Session) -> list[str]:
    return list(session.scalars(select(BatchJob.public_id).where(BatchJob.status.in_(("queued", "running")))
                                .order_by(BatchJob.id)))


def result_path(job: BatchJob) -> Path:
    return batch_dir(job.public_id) / "result.csv"


def expire_results(session: Session, *, now: datetime | None = None) -> int:
    """Delete the result files of batches past `expires_at` (RENSHE_BATCH_RESULT_DAYS after they finished);
    the job stays, marked expired, with its counts. Returns how many expired."""
    due = list(session.scalars(select(BatchJob).where(BatchJob.status == "done",
                                                      BatchJob.expires_at <= (now or utcnow()))))
    for job in due:
        folder = batch_dir(job.public_id)
        for path in (folder / "result.csv", folder / "input.csv"):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
        job.status = "expired"
    session.flush()
    return len(due)


def work_once(factory: Callable[[], Session]) -> int:
    """Run one chunk of every unfinished job, each in its own transaction; returns chunks run."""
    ran = 0
    with factory() as session:
        pending = unfinished(session)
    for job_id in pending:
        session = factory()
        success = False
        try:
            job = session.scalar(select(BatchJob).where(BatchJob.public_id == job_id))
            if job is not None:
                run_chunk(session, job=job)
            success = True
        finally:
            db.finish(session, success=success)  # the checkpoint commits, or the chunk is done again
        if job is None:
            continue
        if job.status == "done":  # the input held the consumer's ID numbers in clear: keep it no longer
            (batch_dir(job.public_id) / "input.csv").unlink(missing_ok=True)
        ran += 1
    return ran


HOUSEKEEPING_SECONDS = 3600.0
WAKE_SECONDS = 0.05


def _housekeeping(factory: Callable[[], Session]) -> None:
    """Hourly: expired batch results go, and call-log entries past their retention period."""
    from renshe.core.auth import SYSTEM
    from renshe.sharing import service

    session = factory()
    success = False
    try:
        expired = expire_results(session)
        purged = service.purge_calls(session, actor=SYSTEM)
        success = True
    finally:
        db.finish(session, success=success)
    if expired or purged:
        log.info("housekeeping", expired_batches=expired, purged_calls=purged)


async def run_forever(factory: Callable[[], Session], stop: asyncio.Event, *, idle: float = 1.0) -> None:
    """The batch worker of a web process: picks up unfinished jobs, including after a restart."""
    housekeeping = 0.0
    while not stop.is_set():
        if time.monotonic() - housekeeping >= HOUSEKEEPING_SECONDS:
            housekeeping = time.monotonic()
            try:
                await asyncio.to_thread(_housekeeping, factory)
            except Exception:
                log.exception("batch housekeeping failed")
        _wake.clear()
        try:
            ran = await asyncio.to_thread(work_once, factory)
        except Exception:  # a failed round is retried from the last checkpoint
            log.exception("batch round failed")
            ran = 0
        waited = 0.0
        while not ran and waited < idle and not stop.is_set() and not _wake.is_set():
            with contextlib.suppress(TimeoutError):  # a job registered by this process starts at once
                await asyncio.wait_for(stop.wait(), WAKE_SECONDS)
            waited += WAKE_SECONDS
