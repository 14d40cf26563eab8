"""Every tamper case of issue 3, done with direct database access outside our API (triggers dropped
first), on both backends: the SQLite file and a PostgreSQL database (as its superuser).

Each test builds a log of 30 records with signed checkpoints at 10 and 20 (and 30 where said),
attacks it, and expects ``verify`` to say TAMPERED, name the first bad record and what is wrong.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from audit_testkit import BOTH_BACKENDS, OpenLog, Tamper, fill

from audit.checkpoint import Checkpoint, sign_checkpoint
from audit.errors import AuditError
from audit.keys import SigningKey
from audit.log import AuditLog
from audit.record import body_text, format_ts, leaf_hash_of
from audit.verify import VerifyReport

pytestmark = BOTH_BACKENDS


def _build(open_log: OpenLog, *, final_checkpoint: bool = True) -> AuditLog:
    log = open_log()
    for _ in range(3):
        fill(log, 10)
        if final_checkpoint or log.count() < 30:
            log.checkpoint(reason="test")
    return log


def _verify(log: AuditLog, open_log: OpenLog) -> VerifyReport:
    log.close(checkpoint=False)
    return open_log().verify()


def test_an_untouched_log_verifies(open_log: OpenLog) -> None:
    log = _build(open_log)
    report = _verify(log, open_log)
    assert (report.status, report.records_checked, report.anchored_size) == ("OK", 30, 30)
    assert report.checkpoints_checked == 3


def test_edited_record(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper("""UPDATE records SET payload = '{"n":99}' WHERE seq = 14""")
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 14
    assert report.problem == "record 14 was altered: its content does not match its hash"


def test_edited_actor_with_its_own_hash_recomputed(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    (row,) = tamper.query("SELECT * FROM records WHERE seq = 14")
    seq, ts, run_id, kind, _, definition, version, payload, prev, *_ = row
    body = body_text(seq=seq, ts=ts, run_id=run_id, kind=kind, actor="user:mallory", definition=definition,
                     version=version, payload_json=payload)  # fmt: skip
    forged = hashlib.sha256(bytes.fromhex(prev) + body.encode()).hexdigest()
    tamper(f"UPDATE records SET actor = 'user:mallory', hash = '{forged}' WHERE seq = 14")
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 14
    assert "record 14 has a stored leaf hash that does not match" in report.problem


def test_deleted_record(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper("DELETE FROM records WHERE seq = 7")
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 7
    assert report.problem == "record 7 is missing (deleted?): after record 6 comes record 8"


def test_deleted_record_with_the_rest_renumbered(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper("DELETE FROM records WHERE seq = 7", "UPDATE records SET seq = seq - 1 WHERE seq > 7")
    report = _verify(log, open_log)
    assert report.first_bad_seq == 7
    assert report.problem == "record 7 holds what was record 8 (records swapped, or deleted and renumbered)"


def test_two_records_swapped(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper(
        "UPDATE records SET seq = 999999 WHERE seq = 12",
        "UPDATE records SET seq = 12 WHERE seq = 13",
        "UPDATE records SET seq = 13 WHERE seq = 999999",
    )
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 12
    assert "record 12 holds what was record 13" in report.problem


def test_two_records_contents_swapped_keeping_their_numbers(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    columns = "ts, run_id, kind, actor, definition, version, payload, prev_hash, hash, leaf_hash"
    tamper(
        f"CREATE TEMP TABLE saved AS SELECT {columns} FROM records WHERE seq = 12",
        f"UPDATE records SET ({columns}) = (SELECT {columns} FROM records WHERE seq = 13) WHERE seq = 12",
        f"UPDATE records SET ({columns}) = (SELECT {columns} FROM saved) WHERE seq = 13",
    )
    report = _verify(log, open_log)
    assert report.first_bad_seq == 12
    assert report.problem == "record 12 holds what was record 13 (records swapped, or deleted and renumbered)"


def test_truncated_tail(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper("DELETE FROM records WHERE seq > 24", "DELETE FROM checkpoints")
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 25
    assert "the log ends at record 24 but the signed checkpoint of size 30" in report.problem
    assert "records 25..30 were removed" in report.problem


def _rewrite_from(tamper: Tamper, start: int) -> None:
    """Rewrite every record from ``start`` with new content and a perfectly consistent chain."""
    ((prev,),) = tamper.query("SELECT hash FROM records WHERE seq = ?", (start - 1,))
    columns = "seq, ts, run_id, kind, actor, definition, version"
    for seq, ts, run_id, kind, actor, definition, version in tamper.query(
        f"SELECT {columns} FROM records WHERE seq >= ? ORDER BY seq", (start,)
    ):
        fields = {"seq": seq, "ts": ts, "run_id": run_id, "kind": kind, "actor": actor, "definition": definition,
                  "version": version}  # fmt: skip
        payload = '{"n":-1}'
        digest = hashlib.sha256(bytes.fromhex(prev) + body_text(**fields, payload_json=payload).encode()).hexdigest()
        leaf = leaf_hash_of(body_text(**fields, payload_json=payload, prev_hash=prev, hash_hex=digest))
        tamper.run(
            "UPDATE records SET payload = ?, prev_hash = ?, hash = ?, leaf_hash = ? WHERE seq = ?",
            (payload, prev, digest, leaf, seq),
        )
        prev = digest


def test_chain_rewritten_with_consistent_hashes_is_caught_by_the_signed_checkpoints(
    open_log: OpenLog, tamper: Tamper
) -> None:
    log = _build(open_log)
    _rewrite_from(tamper, 15)
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 11  # the last checkpoint that still matches covers 10
    assert "records 11..20 do not match the signed checkpoint of size 20" in report.problem
    assert "the chain was rewritten after record 10" in report.problem


def test_a_rewritten_chain_with_the_database_copies_deleted_is_still_caught_by_the_sink(
    open_log: OpenLog, tamper: Tamper
) -> None:
    log = _build(open_log)
    _rewrite_from(tamper, 3)
    tamper("DELETE FROM checkpoints")
    report = _verify(log, open_log)
    assert report.first_bad_seq == 1
    assert "the chain was rewritten from the start" in report.problem
    assert "jsonl" in report.problem


def test_a_record_edited_after_the_last_checkpoint_is_never_signed(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log, final_checkpoint=False)
    tamper("""UPDATE records SET payload = '{"n":99}' WHERE seq = 25""")
    log.close(checkpoint=False)
    log = open_log()
    with pytest.raises(AuditError, match="refusing to checkpoint: record 25 was altered"):
        log.checkpoint()
    assert max(cp.tree_size for cp in log.checkpoints()) == 20


def _fork(log: AuditLog, key: SigningKey, size: int) -> Checkpoint:
    honest = next(cp for cp in log.checkpoints() if cp.tree_size == size)
    return sign_checkpoint(
        key,
        log_id=log.log_id,
        tree_size=size,
        root_hash=hashlib.sha256(b"another history").hexdigest(),
        head_hash=honest.head_hash,
        time=format_ts(0),
        reason="fork",
    )


def test_two_checkpoints_of_the_same_size_with_different_roots_is_a_fork(
    open_log: OpenLog, key: SigningKey, tmp_path: Path
) -> None:
    log = _build(open_log)
    other_view = tmp_path / "seen-by-the-auditor.jsonl"
    other_view.write_text(json.dumps(_fork(log, key, 20).to_dict()) + "\n")
    report = log.verify(extra_checkpoints=[other_view])
    assert report.status == "TAMPERED"
    assert report.first_bad_seq == 11
    assert report.problem.startswith("fork at size 20: two signed checkpoints disagree")


def test_a_checkpoint_signed_by_another_key_is_reported(
    open_log: OpenLog, other_key: SigningKey, tmp_path: Path
) -> None:
    log = _build(open_log)
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps(_fork(log, other_key, 20).to_dict()) + "\n")
    report = log.verify(extra_checkpoints=[forged])
    assert report.status == "TAMPERED"
    assert "not by the trusted ed25519 key" in report.problem


def test_an_edited_checkpoint_copy_in_the_database_is_reported(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper('UPDATE checkpoints SET document = replace(document, \'"reason":"test"\', \'"reason":"x"\')')
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert "invalid signature" in report.problem and "database copy" in report.problem


def test_dropped_triggers_alone_are_reported(open_log: OpenLog, tamper: Tamper) -> None:
    log = _build(open_log)
    tamper()
    report = _verify(log, open_log)
    assert report.status == "TAMPERED"
    assert report.first_bad_seq is None
    assert report.problem.startswith("append-only triggers are missing (dropped?): records_no_update, records_no")


def test_a_replaced_database_is_reported(open_log: OpenLog, tamper: Tamper, tmp_path: Path) -> None:
    log = _build(open_log)
    log.close(checkpoint=False)
    tamper.replace_database()
    fresh = open_log()
    fill(fresh, 30)
    report = fresh.verify()
    assert report.status == "TAMPERED"
    assert "(database replaced?)" in report.problem


def test_without_any_checkpoint_the_status_is_unanchored_never_ok(open_log: OpenLog, tmp_path: Path) -> None:
    log = open_log()
    fill(log, 5)
    report = log.verify()
    assert (report.status, report.first_bad_seq, report.records_checked) == ("UNANCHORED", None, 5)
    empty = open_log(checkpoint_path=tmp_path / "none.jsonl")
    assert empty.verify().status == "UNANCHORED"
