"""What only the PostgreSQL backend has to prove: the database, the role and the advisory lock.

Against the machine's PostgreSQL (127.0.0.1:5432, trust auth, user postgres); every test has a
database of its own. The tamper, proof and checkpoint suites run here too (``BOTH_BACKENDS``).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from audit_testkit import PG_ADMIN_URL, FakeClock, OpenLog, Tamper, fill, pg_connect

from audit.errors import AuditError, SchemaError
from audit.keys import SigningKey, generate_key_file
from audit.log import AuditLog
from audit.pg_schema import EVIDENCE_TABLES, WRITER_ROLE
from audit.pg_store import describe_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def backend() -> str:
    """Every test here is about PostgreSQL."""
    return "postgres"


@pytest.fixture
def app_url(open_log: OpenLog, pg_url: str) -> Iterator[str]:
    """A login role that is only a member of the INSERT-only writer role (the schema exists first)."""
    open_log().close()  # the superuser migrates and creates the writer role
    name = f"netorch_app_{uuid.uuid4().hex[:10]}"
    admin = pg_connect()
    admin.execute(f"CREATE ROLE {name} LOGIN")
    admin.execute(f"GRANT {WRITER_ROLE} TO {name}")
    try:
        yield psycopg.conninfo.make_conninfo(pg_url, user=name)
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
        admin.execute(f"DROP ROLE IF EXISTS {name}")
        admin.close()


def _superuser(url: str) -> Any:
    return psycopg.connect(url, autocommit=True, options="-c search_path=audit")


def test_the_database_refuses_update_delete_and_truncate_even_to_the_superuser(open_log: OpenLog, pg_url: str) -> None:
    log = open_log()
    fill(log, 3)
    log.checkpoint()
    conn = _superuser(pg_url)
    statements = [f"UPDATE {table} SET {column} = {column}" for table, column in
                  (("records", "actor"), ("checkpoints", "document"), ("meta", "value"),
                   ("audit_migrations", "sha256"), ("nodes", "hash"))]  # fmt: skip
    statements += [f"DELETE FROM {table}" for table in EVIDENCE_TABLES]
    statements += [f"TRUNCATE {table}" for table in EVIDENCE_TABLES]
    for statement in statements:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)
    conn.execute("SET session_replication_role = replica")  # switches ordinary triggers off; ours fire ALWAYS
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit records are append-only"):
        conn.execute("DELETE FROM records WHERE seq = 1")
    conn.close()
    assert log.verify().status == "OK"


def test_the_writer_role_can_only_insert_even_with_the_triggers_dropped(
    open_log: OpenLog, app_url: str, tamper: Tamper, tmp_path: Path, key: SigningKey, clock: FakeClock
) -> None:
    log = AuditLog.open_postgres(app_url, key=key, clock=clock, checkpoint_path=tmp_path / "audit-checkpoints.jsonl")
    try:
        fill(log, 300)
        log.checkpoint()
        assert log.prove(7)["tree_size"] == 300
        assert log.verify().status == "OK"
    finally:
        log.close(checkpoint=False)
    tamper()  # the superuser drops every trigger
    conn = psycopg.connect(app_url, autocommit=True, options="-c search_path=audit")
    for statement in ("UPDATE records SET actor = 'mallory'", "DELETE FROM records", "TRUNCATE records",
                      "DELETE FROM checkpoints", "UPDATE nodes SET hash = hash", "DELETE FROM meta"):  # fmt: skip
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(statement)
    conn.close()
    report = open_log().verify()
    assert report.status == "TAMPERED"
    assert report.problem.startswith(
        "append-only triggers are missing (dropped?): records_no_update, records_no_delete"
    )


def test_a_writer_cannot_create_the_schema_and_is_told_what_to_do(pg_url: str, tmp_path: Path, key: SigningKey) -> None:
    name = f"netorch_app_{uuid.uuid4().hex[:10]}"
    admin = pg_connect()
    admin.execute(f"CREATE ROLE {name} LOGIN")
    try:
        url = psycopg.conninfo.make_conninfo(pg_url, user=name)
        with pytest.raises(SchemaError, match=r"cannot set up the audit schema in postgresql 127\.0\.0\.1:5432/.*"
                                              r"permission denied.*\(open it once with audit\.admin_url"):  # fmt: skip
            AuditLog.open_postgres(url, key=key, checkpoint_path=tmp_path / "cp.jsonl")
        with pytest.raises(
            AuditError, match=f"the role {name} may not use the audit log in .*: GRANT {WRITER_ROLE} TO"
        ):
            AuditLog.open_postgres(url, admin_url=pg_url, key=key, checkpoint_path=tmp_path / "cp.jsonl")
        admin.execute(f"GRANT {WRITER_ROLE} TO {name}")
        log = AuditLog.open_postgres(url, admin_url=pg_url, key=key, checkpoint_path=tmp_path / "cp.jsonl")
        log.append("config.changed", actor="user:admin")
        log.close()
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (name,))
        admin.execute(f"DROP ROLE IF EXISTS {name}")
        admin.close()


def test_disabled_triggers_and_widened_privileges_are_reported(open_log: OpenLog, pg_url: str) -> None:
    log = open_log()
    fill(log, 3)
    log.checkpoint()
    conn = _superuser(pg_url)
    conn.execute("ALTER TABLE records DISABLE TRIGGER records_no_delete")
    conn.execute(f"GRANT UPDATE ON records TO {WRITER_ROLE}")
    report = log.verify()
    conn.execute(f"REVOKE UPDATE ON records FROM {WRITER_ROLE}")
    conn.close()
    assert report.status == "TAMPERED"
    assert "append-only triggers are missing (dropped?): records_no_delete (disabled)" in report.problems
    assert f"the role {WRITER_ROLE} was granted more than INSERT: it may UPDATE records" in report.problems


def test_the_append_path_takes_the_advisory_lock_and_only_ever_inserts(open_log: OpenLog) -> None:
    statements: list[str] = []
    log = open_log(trace=statements.append, checkpoint_every_records=3)
    statements.clear()
    fill(log, 2)
    log.append("run.finished", actor="user:a")  # crosses the checkpoint threshold too
    log.checkpoint()
    verbs = [statement.split()[0].upper() for statement in statements]
    assert {verb for verb in verbs if verb in {"INSERT", "UPDATE", "DELETE", "TRUNCATE", "MERGE"}} == {"INSERT"}
    assert sum("pg_advisory_xact_lock" in s for s in statements) == 2  # one per append call, before the head
    first_lock = next(i for i, s in enumerate(statements) if "pg_advisory_xact_lock" in s)
    assert statements[first_lock + 1].startswith("SELECT seq, hash, ts FROM records ORDER BY seq DESC")


def test_the_location_never_shows_a_password_and_a_bad_url_is_one_line(tmp_path: Path, key: SigningKey) -> None:
    assert describe_url("postgresql://netorch:s3cret@db.example:6432/audit") == "postgresql db.example:6432/audit"
    with pytest.raises(AuditError, match=r"^cannot connect to the audit database postgresql 127\.0\.0\.1:1/x: ") as err:
        AuditLog.open_postgres("host=127.0.0.1 port=1 dbname=x connect_timeout=2", key=key, checkpoint_path="cp")
    assert "\n" not in str(err.value)
    with pytest.raises(AuditError, match="needs a checkpoint sink"):
        AuditLog.open_postgres(PG_ADMIN_URL, key=key)


WORKER = """
import sys
from audit.log import AuditLog

url, key, sink, name, count = sys.argv[1:6]
log = AuditLog.open_postgres(url, key_file=key, checkpoint_path=sink, checkpoint_every_records=50)
print("ready", flush=True)
sys.stdin.readline()
for i in range(int(count)):
    if i % 2:
        log.append("tool.call", actor="workflow:" + name, payload={"i": i})
    else:
        log.append_many([{"kind": "tool.result", "actor": "workflow:" + name, "payload": {"batch": i}}
                         for _ in range(5)])
log.close()
"""


@pytest.mark.slow
def test_three_processes_appending_at_once_form_one_total_order(pg_url: str, tmp_path: Path) -> None:
    key_file, sink = tmp_path / "audit.key", tmp_path / "audit-checkpoints.jsonl"
    generate_key_file(key_file)
    AuditLog.open_postgres(pg_url, key_file=key_file, checkpoint_path=sink).close()  # schema first
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, pg_url, str(key_file), str(sink), name, "80"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
        )
        for name in ("a", "b", "c")
    ]
    for worker in workers:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "ready"
    for worker in workers:  # all three are connected and waiting: release them together
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
    with AuditLog.open_postgres(pg_url, key_file=key_file, checkpoint_path=sink) as log:
        records = log.records()
        report = log.verify()
    assert [r.seq for r in records] == list(range(1, 3 * (40 + 40 * 5) + 1))
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(records))
    actors = [record.actor for record in records]
    assert len(set(actors)) == 3
    assert sum(1 for left, right in itertools.pairwise(actors) if left != right) > 3, "the writers never interleaved"
    assert report.status == "OK", report.problem
    assert report.records_checked == len(records) and report.anchored_size == len(records)
