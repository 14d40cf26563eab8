"""Appending and reading: the chain, the read API, validation, the schema and the SQL it emits."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from audit_testkit import BOTH_BACKENDS, FakeClock, OpenLog, fill

from audit.errors import InvalidEntry, RecordNotFound, SchemaError
from audit.log import AuditLog
from audit.migrations import MIGRATIONS
from audit.record import GENESIS_HASH, AuditRecord


@BOTH_BACKENDS
def test_records_chain_from_the_genesis_hash(open_log: OpenLog) -> None:
    log = open_log()
    first = log.append("run.created", actor="user:alice", run_id="r1", payload={"trigger": "cli"})
    second = log.append("tool.call", actor="workflow:vlan_deploy", run_id="r1", payload={"tool": "launch_job"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    # The documented construction, recomputed by hand: SHA-256(prev hash bytes || canonical body).
    body = json.dumps(
        {"actor": "user:alice", "definition": None, "kind": "run.created", "payload": {"trigger": "cli"},
         "run_id": "r1", "seq": 1, "ts": first.ts, "version": None},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )  # fmt: skip
    assert first.hash == hashlib.sha256(bytes(32) + body.encode()).hexdigest()
    assert first.leaf() == json.dumps(first.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@BOTH_BACKENDS
def test_read_api_filters_by_run_kind_prefix_time_and_seq(open_log: OpenLog, clock: FakeClock) -> None:
    log = open_log()
    log.append("run.created", actor="user:alice", run_id="r1")
    clock.advance(60)
    log.append("tool.call", actor="agent:incident", run_id="r2", payload={"tool": "get_device_health"})
    log.append("tool.result", actor="agent:incident", run_id="r2", payload={"ok": True})
    clock.advance(60)
    log.append("run.finished", actor="user:alice", run_id="r1", definition="vlan_deploy", version=3)
    assert [r.seq for r in log.records(run_id="r1")] == [1, 4]
    assert [r.kind for r in log.records(kind="tool.*")] == ["tool.call", "tool.result"]
    assert [r.kind for r in log.records(kind="run.")] == ["run.created", "run.finished"]
    assert [r.seq for r in log.records(kind="tool.result")] == [3]
    assert [r.seq for r in log.records(since=log.get(2).ts)] == [2, 3, 4]
    assert [r.seq for r in log.records(after_seq=2, limit=1)] == [3]
    assert [r.seq for r in log.records(limit=2, newest_first=True)] == [4, 3]
    assert log.get(4).version == "3"  # versions are stored as text so the hash never depends on a type
    assert log.head() == log.get(4)
    assert log.count() == 4
    assert [r.seq for r in log.iter_records(run_id="r2")] == [2, 3]


@BOTH_BACKENDS
def test_unknown_seq_and_bad_times_are_named(open_log: OpenLog) -> None:
    log = open_log()
    fill(log, 2)
    with pytest.raises(RecordNotFound, match="no audit record 7 \\(the log has 2 records\\)"):
        log.get(7)
    with pytest.raises(Exception, match="invalid time 'yesterday'"):
        log.records(since="yesterday")
    assert open_log().head() is not None


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"kind": "deploy", "actor": "a"}, "unknown audit kind 'deploy'"),
        ({"kind": "run.Started", "actor": "a"}, "unknown audit kind 'run.Started'"),
        ({"kind": "run.created", "actor": ""}, "actor must be a non-empty string"),
        ({"kind": "run.created", "actor": "a", "run_id": 5}, "run_id must be a string or None, not int 5"),
        ({"kind": "run.created", "actor": "a", "colour": "red"}, "unknown audit entry field 'colour'"),
        ({"kind": "run.created", "actor": "a", "payload": {"x": {1, 2}}}, r"payload\.x cannot be stored: set"),
    ],
)
def test_bad_entries_are_refused_with_the_bad_value(open_log: OpenLog, entry: dict, message: str) -> None:
    log = open_log()
    with pytest.raises(InvalidEntry, match=message):
        log.append_many([{"kind": "run.created", "actor": "ok"}, entry])
    assert log.count() == 0  # the batch is all or nothing


@BOTH_BACKENDS
def test_a_batch_is_one_transaction_and_shares_one_timestamp(open_log: OpenLog) -> None:
    log = open_log()
    records = log.append_many([{"kind": "step.finished", "actor": "workflow:w", "payload": {"n": n}} for n in range(5)])
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert len({r.ts for r in records}) == 1
    assert all(r.hash_is_valid() for r in records)


@BOTH_BACKENDS
def test_timestamps_never_go_backwards_along_the_chain(open_log: OpenLog, clock: FakeClock) -> None:
    log = open_log()
    first = log.append("run.created", actor="user:a")
    clock.advance(-3600)  # the wall clock is stepped back (NTP)
    second = log.append("run.created", actor="user:a")
    assert second.ts == first.ts


@BOTH_BACKENDS
def test_reopening_continues_the_chain(open_log: OpenLog) -> None:
    log = open_log()
    fill(log, 3)
    log.close(checkpoint=False)
    again = open_log()
    record = again.append("run.resumed", actor="system:netorch")
    assert record.seq == 4
    assert record.prev_hash == again.get(3).hash


def test_the_database_refuses_update_and_delete(open_log: OpenLog) -> None:
    log = open_log()
    fill(log, 2)
    log.checkpoint()
    conn = sqlite3.connect(log.path)
    for statement in (
        "UPDATE records SET actor = 'mallory' WHERE seq = 1",
        "DELETE FROM records WHERE seq = 2",
        "UPDATE checkpoints SET tree_size = 99",
        "DELETE FROM checkpoints",
        "DELETE FROM meta",
        "DELETE FROM audit_migrations",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement)
    conn.close()


def test_the_append_path_only_ever_inserts(open_log: OpenLog) -> None:
    statements: list[str] = []
    log = open_log(trace=statements.append, checkpoint_every_records=3)
    statements.clear()
    fill(log, 2)
    log.append("run.finished", actor="user:a")  # crosses the checkpoint threshold too
    log.checkpoint()
    verbs = [statement.split()[0].upper() for statement in statements]
    writes = [verb for verb in verbs if verb in {"INSERT", "UPDATE", "DELETE", "REPLACE"}]
    assert writes and set(writes) == {"INSERT"}
    assert not any("OR REPLACE" in s.upper() for s in statements)
    assert sum("BEGIN IMMEDIATE" in s for s in statements) == 2  # one per append call, not per record


def test_migrations_are_named_recorded_and_checked(open_log: OpenLog, tmp_path: Path) -> None:
    log = open_log()
    conn = sqlite3.connect(log.path)
    recorded = [row[0] for row in conn.execute("SELECT name FROM audit_migrations ORDER BY name")]
    assert recorded == [m.name for m in MIGRATIONS]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute("DROP TRIGGER audit_migrations_no_update")
    conn.execute("UPDATE audit_migrations SET sha256 = 'x' WHERE name = '0003_checkpoints'")
    conn.commit()
    conn.close()
    log.close(checkpoint=False)
    with pytest.raises(SchemaError, match="recorded migration '0003_checkpoints' with a different definition"):
        open_log()


def test_a_database_from_a_newer_version_is_refused(open_log: OpenLog) -> None:
    log = open_log()
    log.close(checkpoint=False)
    conn = sqlite3.connect(log.path)
    conn.execute("INSERT INTO audit_migrations VALUES ('0099_future', 'x', 'now')")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="migration '0099_future' that this version does not know"):
        open_log()


@BOTH_BACKENDS
def test_records_round_trip_through_their_export_line(open_log: OpenLog) -> None:
    log = open_log()
    record = log.append("tool.result", actor="agent:a", payload={"cpu": 12.5, "tiny": 1e-9, "name": "é"})
    again = AuditRecord.from_leaf(record.leaf())
    assert again == record
    assert again.hash_is_valid()
    with pytest.raises(InvalidEntry, match="record fields do not match"):
        AuditRecord.from_dict({"seq": 1})


@BOTH_BACKENDS
async def test_concurrent_async_appends_are_group_committed(open_log: OpenLog) -> None:
    log = open_log()
    records = await asyncio.gather(
        *(log.aappend("tool.call", actor="workflow:fanout", payload={"device": f"sw-{n}"}) for n in range(200))
    )
    assert sorted(r.seq for r in records) == list(range(1, 201))
    assert {r.payload["device"] for r in records} == {f"sw-{n}" for n in range(200)}
    assert log._group.commits < 20  # hundreds of callers, a handful of transactions
    assert log.verify().records_checked == 200


def test_a_bad_async_entry_fails_only_its_caller(open_log: OpenLog) -> None:
    log = open_log()

    async def main() -> list[object]:
        return await asyncio.gather(
            log.aappend("tool.call", actor="a"),
            log.aappend("bogus", actor="a"),
            log.aappend("tool.call", actor="a"),
            return_exceptions=True,
        )

    results = asyncio.run(main())
    assert isinstance(results[1], InvalidEntry)
    assert [r.seq for r in results if isinstance(r, AuditRecord)] == [1, 2]


def test_open_log_defaults_put_key_and_sink_beside_the_database(tmp_path: Path) -> None:
    with AuditLog.open(tmp_path / "data" / "audit.db") as log:
        fill(log, 1)
    assert (tmp_path / "data" / "audit.key").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "data" / "audit-checkpoints.jsonl").read_text().count("\n") == 1  # closing anchored it
    with AuditLog.open(tmp_path / "data" / "audit.db") as log:
        assert log.verify().status == "OK"
