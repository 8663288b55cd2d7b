"""The keyed audit chain (HMAC-SM3) and its signed checkpoints outside the database (issue 9, item 1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gmssl import func, sm3  # type: ignore[import-untyped]
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from renshe.core import audit, crypto
from renshe.core.auth import SYSTEM
from renshe.core.models import AuditEntry
from renshe.core.settings import get_settings


def _rfc2104_hmac_sm3(key: bytes, data: bytes) -> str:
    """HMAC per RFC 2104 written out over gmssl's pure-Python SM3 (independent of `cryptography`)."""
    def digest(message: bytes) -> bytes:
        return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(message)))

    block = 64
    if len(key) > block:
        key = digest(key)
    key = key.ljust(block, b"\x00")
    inner = digest(bytes(k ^ 0x36 for k in key) + data)
    return digest(bytes(k ^ 0x5C for k in key) + inner).hex()


@pytest.mark.parametrize(("key", "data"), [
    (b"k" * 32, b"abc"), (b"", b""), (bytes(range(100)), "审计".encode() * 50), (b"\xff" * 64, b"x")])
def test_hmac_sm3_matches_rfc_2104_over_an_independent_sm3(key: bytes, data: bytes) -> None:
    assert crypto.hmac_sm3_hex(key, data) == _rfc2104_hmac_sm3(key, data)


def test_sm3_known_vector() -> None:
    # GB/T 32905-2016, appendix A.1
    assert crypto.sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"


def _write(session: Session, count: int, start: int = 0) -> list[AuditEntry]:
    for i in range(start, start + count):
        audit.record(session, actor=SYSTEM, action="test.write", entity_type="thing", entity_id=str(i),
                     after={"n": i})
    return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_new_rows_are_keyed(session: Session) -> None:
    rows = _write(session, 3)
    assert {r.chain for r in rows} == {audit.KEYED}
    assert rows[1].hash == audit.keyed_link(crypto.audit_key(), rows[0].hash, rows[1])
    assert rows[1].hash != audit.link_hash(rows[0].hash, rows[1])


def test_intact_chain_with_checkpoints_is_intact(session: Session, tmp_path: Path) -> None:
    _write(session, 3)
    first = audit.write_checkpoint(session, directory=tmp_path)
    assert audit.write_checkpoint(session, directory=tmp_path) == first  # nothing new: no second line
    _write(session, 2, start=3)
    second = audit.write_checkpoint(session, directory=tmp_path)
    assert first is not None
    assert second is not None
    assert (first.seq, first.rows, second.seq, second.rows) == (1, 3, 2, 5)
    _write(session, 1, start=5)
    report = audit.verify(session, checkpoint_dir=tmp_path)
    assert report.ok, report.reason
    assert (report.checked, report.checkpoints, report.uncovered) == (6, 2, 1)


def test_deleting_the_last_rows_after_a_checkpoint_is_named(session: Session, tmp_path: Path) -> None:
    rows = _write(session, 5)
    audit.write_checkpoint(session, directory=tmp_path)
    session.execute(delete(AuditEntry).where(AuditEntry.id > rows[2].id))
    session.expire_all()
    assert audit.verify(session).ok  # what the old check saw: the shortened chain links up
    report = audit.verify(session, checkpoint_dir=tmp_path)
    assert not report.ok
    assert report.reason is not None
    assert report.reason.startswith("rows deleted after checkpoint 1")
    assert f"up to row {rows[4].id}" in report.reason
    assert report.broken_at == rows[4].id


def test_truncating_then_writing_again_is_still_caught(session: Session, tmp_path: Path) -> None:
    rows = _write(session, 4)
    audit.write_checkpoint(session, directory=tmp_path)
    session.execute(delete(AuditEntry).where(AuditEntry.id > rows[1].id))
    session.expire_all()
    _write(session, 3, start=10)  # the application goes on writing well-keyed rows after the cut
    report = audit.verify(session, checkpoint_dir=tmp_path)
    assert not report.ok
    assert "checkpoint 1" in (report.reason or "")
    assert "deleted" in (report.reason or "")


@pytest.mark.parametrize("as_plain_rows", [False, True])
def test_editing_a_row_and_recomputing_the_tail_is_named(
        session: Session, tmp_path: Path, as_plain_rows: bool) -> None:
    rows = _write(session, 5)
    audit.write_checkpoint(session, directory=tmp_path)
    target = rows[2]
    # the forger edits row 3 and recomputes every later link with the only hash it knows (plain SM3),
    # marking them as old unkeyed rows or leaving the marker alone
    session.execute(update(AuditEntry).where(AuditEntry.id == target.id).values(entity_id="forged"))
    session.expire_all()
    prev = rows[1].hash
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.id >= target.id).order_by(AuditEntry.id)):
        entry.prev_hash = prev
        if as_plain_rows:
            entry.chain = audit.PLAIN
        entry.hash = prev = audit.link_hash(prev, entry)
    session.flush()
    session.expire_all()
    for directory in (tmp_path, tmp_path / "none-yet"):  # caught with or without a checkpoint
        report = audit.verify(session, checkpoint_dir=directory)
        assert report.broken_at == target.id
        assert report.reason == (f"row {target.id} changed: keyed hash does not match "
                                 "(its content or hash was altered)")
        assert report.checked == 2


def test_a_tail_recomputed_with_a_guessed_key_is_caught(session: Session, tmp_path: Path) -> None:
    rows = _write(session, 3)
    session.execute(update(AuditEntry).where(AuditEntry.id == rows[2].id).values(outcome="denied"))
    session.expire_all()
    forged = session.get(AuditEntry, rows[2].id)
    assert forged is not None
    forged.hash = audit.keyed_link(b"\x00" * 32, rows[1].hash, forged)
    session.flush()
    assert audit.verify(session, checkpoint_dir=tmp_path).broken_at == rows[2].id


def test_old_unkeyed_rows_stay_verifiable_and_cannot_follow_keyed_ones(session: Session, tmp_path: Path) -> None:
    rows = _write(session, 4)
    prev = audit.GENESIS
    legacy = rows[:2]  # as revision 0017 leaves rows written before it: chain 1, plain SM3
    for entry in legacy:
        entry.chain = audit.PLAIN
        entry.prev_hash = prev
        entry.hash = prev = audit.link_hash(prev, entry)
    key = crypto.audit_key()
    for entry in rows[2:]:
        entry.prev_hash = prev
        entry.hash = prev = audit.keyed_link(key, prev, entry)
    session.flush()
    assert audit.verify(session, checkpoint_dir=tmp_path).ok
    checkpoint = audit.write_checkpoint(session, directory=tmp_path)
    assert checkpoint is not None
    assert checkpoint.first_keyed_id == rows[2].id
    # a plain link after the keyed ones began is refused even where the marker says "plain"
    last = session.get(AuditEntry, rows[3].id)  # verify leaves the rows it walked detached
    assert last is not None
    last.chain = audit.PLAIN
    last.hash = audit.link_hash(rows[2].hash, last)
    session.flush()
    session.expire_all()
    assert audit.verify(session).broken_at == last.id
    # and an edited old row is still caught by its plain hash
    session.execute(update(AuditEntry).where(AuditEntry.id == legacy[0].id).values(actor="mallory"))
    session.expire_all()
    report = audit.verify(session, checkpoint_dir=tmp_path)
    assert report.broken_at == legacy[0].id
    assert "content" in (report.reason or "")


def test_an_altered_checkpoint_file_is_reported(session: Session, tmp_path: Path) -> None:
    _write(session, 2)
    audit.write_checkpoint(session, directory=tmp_path)
    path = tmp_path / audit.CHECKPOINT_FILE
    data = json.loads(path.read_text())
    data["rows"] = 1
    path.write_text(json.dumps(data) + "\n")
    report = audit.verify(session, checkpoint_dir=tmp_path)
    assert not report.ok
    assert report.reason == "checkpoint 1 signature does not match (the checkpoint file was altered)"


def test_the_commands_write_checkpoints_and_name_a_truncation(
        session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from renshe.cli import app

    monkeypatch.setenv("RENSHE_AUDIT_CHECKPOINT_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        rows = _write(session, 4)
        session.flush()
        runner = CliRunner()
        written = runner.invoke(app, ["audit", "checkpoint"])
        assert written.exit_code == 0, written.output
        assert "checkpoint 1: 4 entries" in written.output
        assert (tmp_path / audit.CHECKPOINT_FILE).exists()
        intact = runner.invoke(app, ["audit", "verify"])
        assert intact.exit_code == 0, intact.output
        assert "intact: 4 entries, 1 signed checkpoints" in intact.output
        session.execute(delete(AuditEntry).where(AuditEntry.id == rows[3].id))
        broken = runner.invoke(app, ["audit", "verify"])
        assert broken.exit_code == 2
        assert "rows deleted after checkpoint 1" in broken.output
    finally:
        get_settings.cache_clear()


def test_a_key_file_without_the_audit_key_gains_one(tmp_path: Path) -> None:
    from renshe.core.settings import Settings

    path = tmp_path / "keys.json"
    old = {"data": "A" * 43 + "=", "index": "B" * 43 + "=", "token": "C" * 43 + "="}
    path.write_text(json.dumps(old))
    key = Settings(key_file=path).key_bytes("audit")
    assert len(key) == 32
    kept = json.loads(path.read_text())
    assert {k: kept[k] for k in old} == old
    assert Settings(key_file=path).key_bytes("audit") == key
