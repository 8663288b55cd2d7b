"""The `renshe` command end to end, in subprocesses against a fresh SQLite file (as a user runs it)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.own_database  # SQLite files of its own, whatever the suite's database

RENSHE = [sys.executable, "-m", "renshe"]


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*RENSHE, *args], capture_output=True, text=True, env=env, timeout=300, check=False)


def test_check_id_valid() -> None:
    result = run(["check-id", "11010519491231002X"])
    assert result.returncode == 0, result.stderr
    assert "1949-12-31" in result.stdout
    assert "女" in result.stdout
    assert "北京市朝阳区" in result.stdout


def test_check_id_changed_check_character() -> None:
    result = run(["check-id", "110105194912310021"])
    assert result.returncode == 1
    assert "check-character" in result.stderr
    assert "校验码" in result.stderr


def test_check_id_credit_code() -> None:
    result = run(["check-id", "91110000600037341L"])
    assert result.returncode == 0, result.stderr
    assert "企业" in result.stdout
    changed = run(["check-id", "91110000600037341M"])
    assert changed.returncode == 1
    assert "renshe:credit-code/check-character" in changed.stderr


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "RENSHE_KEY_FILE": str(tmp / "k.json"),
           "RENSHE_DEMO_MODE": "1"}
    result = run(["demo", "seed", "--persons", "800", "--province", "110000"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "clerk-110105" in result.stdout
    return tmp / "demo.db", env


def _decrypt_column(db: Path, env: dict[str, str], column: str, purpose: str) -> list[str]:
    code = (
        "import sqlite3\n"
        "from renshe.core import crypto\n"
        f"conn = sqlite3.connect({str(db)!r})\n"
        f"rows = conn.execute('select {column} from persons where {column} is not null').fetchall()\n"
        "conn.close()\n"
        f"print('\\n'.join(crypto.cipher().decrypt(r[0], purpose={purpose!r}) for r in rows))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return out.stdout.split()


def _sql(db: Path, statement: str, *args: object) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(statement, args).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def test_no_plain_resident_id_in_the_database_file(seeded: tuple[Path, dict[str, str]]) -> None:
    db, env = seeded
    numbers = _decrypt_column(db, env, "id_number_encrypted", "person.id_number")
    phones = _decrypt_column(db, env, "phone_encrypted", "person.phone")
    persons = _sql(db, "select count(*) from persons")[0][0]
    assert persons >= 800  # the 800 asked for, and the ledger demo's flexible worker and deemed-years person
    assert len(numbers) == persons
    assert len(phones) == persons
    _sql(db, "PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(p.read_bytes() for p in db.parent.glob("demo.db*"))
    assert [n for n in numbers if n.encode() in raw or n[:17].encode() in raw] == []
    assert [p for p in phones if p.encode() in raw] == []


def test_audit_verify_passes_then_finds_the_altered_row(seeded: tuple[Path, dict[str, str]]) -> None:
    db, env = seeded
    ok = run(["audit", "verify"], env)
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    first_id, actor = _sql(db, "select id, actor from audit_log order by id limit 1")[0]
    _sql(db, "update audit_log set actor = 'mallory' where id = ?", first_id)
    broken = run(["audit", "verify"], env)
    assert broken.returncode == 2
    assert f"broken at entry {first_id}" in broken.stderr
    _sql(db, "update audit_log set actor = ? where id = ?", actor, first_id)
    assert run(["audit", "verify"], env).returncode == 0


def test_seed_refuses_outside_demo_mode(tmp_path: Path) -> None:
    env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "RENSHE_KEY_FILE":
           str(tmp_path / "k.json"), "RENSHE_DEMO_MODE": "0"}
    result = run(["demo", "seed", "--persons", "10"], env)
    assert result.returncode == 1
    assert "RENSHE_DEMO_MODE" in result.stderr


def test_seed_is_deterministic(tmp_path: Path) -> None:
    names = []
    for i in range(2):
        env = {**os.environ, "RENSHE_DATABASE_URL": f"sqlite:///{tmp_path / f'{i}.db'}",
               "RENSHE_KEY_FILE": str(tmp_path / f"{i}.json"), "RENSHE_DEMO_MODE": "1"}
        assert run(["demo", "seed", "--persons", "50", "--province", "440000"], env).returncode == 0
        names.append(_sql(tmp_path / f"{i}.db", "select name, birth_date, residence_division, id_number_masked "
                          "from persons order by id"))
        assert all(str(row[2]).startswith("44") for row in names[-1])
    assert names[0] == names[1]
