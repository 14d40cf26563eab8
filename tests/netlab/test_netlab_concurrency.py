"""Several processes share one lab database: no lost update, each idempotency key applied once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from netlab import Lab

_WORKER = textwrap.dedent(
    """
    import os
    import sys
    import time
    from netlab import Lab

    db, me, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    lab = Lab.open(db, time_factor=0)
    print("ready", me, flush=True)
    while not os.path.exists(go):  # start together, so that the writes really interleave
        time.sleep(0.005)
    for i in range(40):
        # shared keys on a-acc-01: both processes race for the same 40 changes
        lab.apply("vlan_create", "a-acc-01", {"vid": 100 + i, "name": f"shared{i}"}, idempotency_key=f"shared/{i}")
        # own changes on a-acc-02: every one must survive
        lab.apply("vlan_create", "a-acc-02", {"vid": 200 + me * 100 + i, "name": f"p{me}v{i}"})
        if i % 10 == 0:
            lab.clear_fault(lab.inject("high_cpu", device=f"b-acc-0{me + 1}").id)
    print("done", me)
    """
)


def test_two_processes_writing_at_once(tmp_path: Path) -> None:
    db = tmp_path / "lab.db"
    Lab.create(db, buildings=2, access_per_building=4, time_factor=0).close()
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(db), str(n), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (0, 1)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().startswith("ready")
    go.touch()
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    lab = Lab.open(db)
    shared = lab.config_history("a-acc-01")
    assert len(shared) == 41  # the initial version plus exactly one per idempotency key
    assert [v.version for v in shared] == list(range(1, 42))
    assert sorted(v.idempotency_key for v in shared[1:]) == sorted(f"shared/{i}" for i in range(40))
    own = lab.config_history("a-acc-02")
    assert [v.version for v in own] == list(range(1, 82))  # 2 x 40 changes, none lost
    vids = {v.vid for v in lab.vlan_table("a-acc-02")}
    assert {200 + i for i in range(40)} | {300 + i for i in range(40)} <= vids
    assert {100 + i for i in range(40)} <= {v.vid for v in lab.vlan_table("a-acc-01")}
    assert lab.faults() == []
    cpu = {"SYS-1-CPURISINGTHRESHOLD", "SYS-4-CPU_HIGH"}  # IOS-XE b-acc-01, EOS b-acc-02
    assert sum(e.mnemonic in cpu for e in lab.events(limit=1000)) == 8
