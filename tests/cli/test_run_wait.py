"""`netorch run --wait` says what it waits for, and finishes once a human approves from elsewhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from netlab import Lab

ROOT = Path(__file__).resolve().parents[2]


def _netorch(home: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "orchestrator.cli.main", "--home", str(home), *args]


@pytest.mark.slow
def test_run_wait_announces_the_approval_and_completes_after_it(home: Path) -> None:
    lab = Lab.create(home / "lab.db", buildings=2, access_per_building=4, seed=1, time_factor=0.0)
    lab.upsert_vlan_service("app-payments", 1214, "10.22.14.0/24", location="b")
    lab.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NETORCH_LAB__TIME_FACTOR": "0", "NETORCH_USER": "alice"}
    proc = subprocess.Popen(
        _netorch(home, "run", "vlan_deploy", "--param", "service=app-payments", "--wait"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert proc.stderr is not None
        line = ""
        for line in proc.stderr:  # the announcement arrives before anything is approved
            if "waiting for approval" in line:
                break
        match = re.search(r"approval (apr-[0-9a-f]+)", line)
        assert match, line
        approved = subprocess.run(
            _netorch(home, "approve", match.group(1), "--as", "bob", "--comment", "reviewed"),
            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert re.search(r"approval\s+│\s+succeeded\s+│.*approved by bob", out), out
    assert any(v.vid == 1214 for v in Lab.open(home / "lab.db").vlan_table("b-acc-03"))
