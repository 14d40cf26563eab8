"""Real processes: two appending at once form one chain; one killed mid-append leaves a valid log."""

from __future__ import annotations

import collections
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from audit.keys import generate_key_file
from audit.log import AuditLog

WORKER = """
import sys
import time
from audit.log import AuditLog

db, key, name, count, mode = sys.argv[1:6]
log = AuditLog.open(db, key_file=key, checkpoint_every_records=50)
print("ready", flush=True)
sys.stdin.readline()
i = 0
while mode == "forever" or i < int(count):
    if i % 2:
        log.append("tool.call", actor="workflow:" + name, payload={"i": i})
    else:
        # A batch is all or nothing: each one says how many records it holds.
        log.append_many([{"kind": "tool.result", "actor": "workflow:" + name, "payload": {"batch": i, "of": 10}}
                         for _ in range(10)])
    i += 1
    if mode != "forever":
        time.sleep(0.002)  # a tool call's worth of other work, so both writers keep competing
log.close()
"""


def _start(tmp_path: Path, name: str, count: int, mode: str = "count") -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(tmp_path / "audit.db"), str(tmp_path / "audit.key"), name, str(count), mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _go(*processes: subprocess.Popen[str]) -> None:
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def test_two_processes_appending_at_once_form_one_valid_chain(tmp_path: Path) -> None:
    generate_key_file(tmp_path / "audit.key")
    AuditLog.open(tmp_path / "audit.db", key_file=tmp_path / "audit.key").close()
    first, second = _start(tmp_path, "a", 120), _start(tmp_path, "b", 120)
    _go(first, second)
    for process in (first, second):
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    with AuditLog.open(tmp_path / "audit.db", key_file=tmp_path / "audit.key") as log:
        records = log.records()
        report = log.verify()
    assert len(records) == 2 * (60 * 1 + 60 * 10)
    actors = [record.actor for record in records]
    switches = sum(1 for left, right in itertools.pairwise(actors) if left != right)
    assert switches > 2, "the two writers never interleaved; the test did not exercise concurrency"
    assert report.status == "OK", report.problem
    assert report.records_checked == len(records)


def test_a_process_killed_during_appends_leaves_a_log_that_verifies(tmp_path: Path) -> None:
    generate_key_file(tmp_path / "audit.key")
    AuditLog.open(tmp_path / "audit.db", key_file=tmp_path / "audit.key").close()
    writer = _start(tmp_path, "victim", 0, mode="forever")
    _go(writer)
    deadline = time.monotonic() + 30
    probe = sqlite3.connect(tmp_path / "audit.db")
    while probe.execute("SELECT count(*) FROM records").fetchone()[0] < 400:
        assert time.monotonic() < deadline, "the writer never got going"
        time.sleep(0.02)
    probe.close()
    os.kill(writer.pid, signal.SIGKILL)
    writer.communicate(timeout=10)  # reaps it and closes the pipes
    assert writer.returncode == -signal.SIGKILL
    with AuditLog.open(tmp_path / "audit.db", key_file=tmp_path / "audit.key") as log:
        report = log.verify()
        batches = collections.Counter(r.payload["batch"] for r in log.records(kind="tool.result"))
    assert report.status == "OK", report.problem
    assert report.records_checked >= 400 and report.anchored_size >= 350
    assert set(batches.values()) == {10}, "a batch was half written"
