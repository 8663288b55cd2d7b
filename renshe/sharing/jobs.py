"""Batch verification: accept a CSV or XLSX of (name, id_number), answer every row in chunks, resumably.

Files live under `var/batch/<job>/`: `input.csv` (normalised at upload) and `result.csv` (the same rows
plus `result`). Memory stays bounded by the chunk size whatever the file's length.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO

import structlog
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from renshe.core import ids
from renshe.core.db import utcnow
from renshe.core.errors import FieldError, NotFound, ValidationFailed
from renshe.core.settings import get_settings
from renshe.registry import service as registry
from renshe.registry.models import Person
from renshe.sharing.models import BatchJob

log = structlog.get_logger("renshe.batch")
CHUNK = 5000
HEADERS = {"name": "name", "姓名": "name", "id_number": "id_number", "公民身份号码": "id_number"}
MAX_REPORTED = 100


def batch_dir(job_id: str) -> Path:
    return get_settings().batch_dir / job_id


def _rows_from_upload(upload: IO[bytes], filename: str) -> Iterator[tuple[int, list[str]]]:
    """(row number, cells) of a CSV or XLSX upload, the header being row 1."""
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        sheet = load_workbook(upload, read_only=True).worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, ["" if v is None else str(v).strip() for v in values]
        return
    if not filename.lower().endswith(".csv"):
        raise ValidationFailed([FieldError("file", "renshe:batch/file-type", "文件须为 .csv 或 .xlsx")])
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    for number, cells in enumerate(csv.reader(text), start=1):
        yield number, [c.strip() for c in cells]


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
    return job


def stage_upload(*, upload: IO[bytes], filename: str) -> Staged:
    """Check every row while copying the upload to disk (no database work, so a long file holds no lock);
    a malformed file is refused whole, naming its rows. Each staged row is one line of the input file."""
    job_id = secrets.token_hex(16)
    folder = batch_dir(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    today = date.today()
    errors: list[FieldError] = []
    total = 0
    columns: tuple[int, int] | None = None
    try:
        with open(folder / "input.csv", "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            for number, cells in _rows_from_upload(upload, filename):
                if columns is None:
                    mapped = {HEADERS.get(c): i for i, c in enumerate(cells) if HEADERS.get(c)}
                    if set(mapped) != {"name", "id_number"}:
                        raise ValidationFailed([FieldError("row 1", "renshe:batch/header",
                                                           "第1行须为表头：name,id_number（或 姓名,公民身份号码）")])
                    columns = (mapped["name"], mapped["id_number"])
                    continue
                if not any(cells):
                    continue
                name = cells[columns[0]] if len(cells) > columns[0] else ""
                number_text = cells[columns[1]] if len(cells) > columns[1] else ""
                problem = None
                if not name:
                    problem = ("renshe:batch/name", "姓名为空")
                elif len(name) > 64 or any(ord(ch) < 32 for ch in name):
                    problem = ("renshe:batch/name", "姓名过长或含有控制字符")
                else:
                    try:
                        number_text = ids.parse_resident_id(number_text, today=today).number
                    except ids.IdentifierError as exc:
                        problem = (exc.code, exc.detail)
                if problem:
                    if len(errors) < MAX_REPORTED:
                        errors.append(FieldError(f"row {number}", problem[0], f"第{number}行：{problem[1]}"))
                    else:
                        errors[-1] = FieldError("rows", "renshe:batch/more", "还有更多错误行未列出")
                    continue
                writer.writerow((name, number_text))
                total += 1
        if columns is None:
            raise ValidationFailed([FieldError("file", "renshe:batch/empty", "文件为空")])
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


# compiled once; the expanding parameter takes each chunk's blind indexes
_LOOKUP = select(Person.id_number_index, Person.name, Person.status).where(
    Person.id_number_index.in_(bindparam("keys", expanding=True)))


def _answers(session: Session, rows: list[list[str]]) -> list[str]:
    keys = [registry.id_index(number) for _name, number in rows]
    names: dict[bytes, tuple[str, str]] = {
        index: (name, status) for index, name, status in session.execute(_LOOKUP, {"keys": list(set(keys))})}
    answers = []
    for (name, _number), key in zip(rows, keys, strict=True):
        found = names.get(key)
        if found is None or found[1] == "merged":
            answers.append("not_found")
        else:
            answers.append("match" if found[0] == name else "mismatch")
    return answers


def run_chunk(session: Session, *, job: BatchJob) -> bool:
    """Answer the next chunk of a job and checkpoint it; returns False when the job is finished."""
    if job.status in {"done", "failed", "expired"}:
        return False
    job.status = "running"
    folder = batch_dir(job.public_id)
    with open(folder / "input.csv", "rb") as source:  # one row per line (names have no control characters)
        source.seek(job.input_bytes)
        lines = [line for _, line in zip(range(CHUNK), source, strict=False)]
        input_bytes = source.tell() if lines else job.input_bytes
    rows = list(csv.reader(line.decode("utf-8") for line in lines))
    result_path = folder / "result.csv"
    with open(result_path, "a+b") as raw:
        raw.truncate(job.output_bytes)  # drop anything written after the last checkpoint
        raw.seek(job.output_bytes)
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)
        writer = csv.writer(text)
        if job.output_bytes == 0:
            text.write("\ufeff")
            writer.writerow(("name", "id_number", "result"))
        answers = _answers(session, rows) if rows else []
        for (name, number), answer in zip(rows, answers, strict=True):
            writer.writerow((name, number, answer))
        text.flush()
        raw.flush()
        os.fsync(raw.fileno())
        job.output_bytes = raw.tell()
        text.detach()
    job.processed_rows += len(rows)
    job.input_bytes = input_bytes
    job.matched += answers.count("match")
    job.mismatched += answers.count("mismatch")
    job.not_found += answers.count("not_found")
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
        with factory() as session:
            job = session.scalar(select(BatchJob).where(BatchJob.public_id == job_id))
            if job is None:
                continue
            run_chunk(session, job=job)
            session.commit()
            if job.status == "done":  # the input held the consumer's ID numbers in clear: keep it no longer
                (batch_dir(job.public_id) / "input.csv").unlink(missing_ok=True)
            ran += 1
    return ran


HOUSEKEEPING_SECONDS = 3600.0


def _housekeeping(factory: Callable[[], Session]) -> None:
    """Hourly: expired batch results go, and call-log entries past their retention period."""
    from renshe.core.auth import SYSTEM
    from renshe.sharing import service

    with factory() as session:
        expired = expire_results(session)
        purged = service.purge_calls(session, actor=SYSTEM)
        session.commit()
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
        try:
            ran = await asyncio.to_thread(work_once, factory)
        except Exception:  # a failed round is retried from the last checkpoint
            log.exception("batch round failed")
            ran = 0
        if not ran:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), idle)
