"""Full verification: recompute every hash and compare with every signed checkpoint.

What is checked, and what each failure means:

- the append-only triggers exist (missing ones mean someone dropped them);
- every checkpoint, from every source, carries a valid signature by the trusted key and names this
  log (a foreign log id means the database was replaced);
- records are numbered 1, 2, 3… without gaps (a gap is a deleted record);
- each record's hash is SHA-256(previous hash || body) and its prev_hash is the previous record's
  hash (an edited, swapped, inserted or renumbered record breaks one of these);
- at every checkpoint size, the Merkle root and head hash recomputed from the records equal the
  signed ones (a chain rewritten with consistent hashes breaks this; two signed checkpoints of one
  size with different roots are a fork);
- no checkpoint covers more records than exist (a truncated tail).

With nothing to compare against the status is UNANCHORED, never OK: a self-consistent chain
proves nothing against someone who can rewrite it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from audit.base import AuditStore
from audit.chain import check_row
from audit.checkpoint import Checkpoint
from audit.keys import VerifyKey
from audit.merkle import Frontier
from audit.record import GENESIS_HASH

__all__ = ["CheckpointSource", "VerifyReport", "verify_store"]

Status = Literal["OK", "UNANCHORED", "TAMPERED"]


@dataclass(frozen=True)
class CheckpointSource:
    """Checkpoints from one place (the sink, the database copy, a file), or why they could not be read."""

    name: str
    checkpoints: list[Checkpoint] = field(default_factory=list)
    error: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    """The outcome of ``AuditLog.verify()``: a value, never an exception."""

    status: Status
    first_bad_seq: int | None
    problem: str | None
    records_checked: int
    checkpoints_checked: int
    head_seq: int
    anchored_size: int
    problems: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True only for status OK."""
        return self.status == "OK"

    @property
    def unanchored_records(self) -> int:
        """Records after the last checkpoint that matched: not yet protected against a rewrite."""
        return self.head_seq - self.anchored_size

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "unanchored_records": self.unanchored_records}


@dataclass
class _Problems:
    items: list[tuple[int | None, str]] = field(default_factory=list)

    def add(self, seq: int | None, text: str) -> None:
        self.items.append((seq, text))

    def first(self) -> tuple[int | None, str] | None:
        with_seq = [item for item in self.items if item[0] is not None]
        if with_seq:
            return min(with_seq, key=lambda item: item[0] or 0)
        return self.items[0] if self.items else None


def _anchors(
    sources: list[CheckpointSource], key: VerifyKey, log_id: str, problems: _Problems
) -> dict[int, list[tuple[Checkpoint, str]]]:
    """Valid checkpoints by tree size, each with where it came from (duplicates dropped)."""
    anchors: dict[int, list[tuple[Checkpoint, str]]] = {}
    seen: set[tuple[int, str, str]] = set()
    for source in sources:
        if source.error is not None:
            problems.add(None, f"{source.name}: {source.error}")
            continue
        for checkpoint in source.checkpoints:
            if checkpoint.log_id != log_id:
                problems.add(
                    None,
                    f"{checkpoint.describe()} from {source.name} belongs to log {checkpoint.log_id}, "
                    f"but this database is log {log_id} (database replaced?)",
                )
                continue
            bad_signature = checkpoint.signature_problem(key)
            if bad_signature is not None:
                problems.add(None, f"{bad_signature} (from {source.name})")
                continue
            identity = (checkpoint.tree_size, checkpoint.root_hash, checkpoint.head_hash)
            if identity in seen:
                continue
            seen.add(identity)
            anchors.setdefault(checkpoint.tree_size, []).append((checkpoint, source.name))
    return anchors


def _compare(size: int, root: str, head: str, group: list[tuple[Checkpoint, str]], last_good: int) -> str | None:
    """Compare the recomputed state at ``size`` with the signed checkpoints of that size."""
    matching = [(cp, src) for cp, src in group if cp.root_hash == root and cp.head_hash == head]
    other = [(cp, src) for cp, src in group if (cp, src) not in matching]
    if not other:
        return None
    bad, bad_source = other[0]
    if matching:
        good, good_source = matching[0]
        return (
            f"fork at size {size}: two signed checkpoints disagree ({good.describe()} from {good_source} "
            f"matches the records; {bad.describe()} from {bad_source} has root {bad.root_hash[:16]}…)"
        )
    since = f"after record {last_good}" if last_good else "from the start"
    return (
        f"records {last_good + 1}..{size} do not match the signed {bad.describe()} from {bad_source}: "
        f"the chain was rewritten {since}"
    )


def verify_store(store: AuditStore, key: VerifyKey, sources: list[CheckpointSource]) -> VerifyReport:
    """Verify every record of ``store`` against the checkpoints of ``sources``."""
    problems = _Problems()
    anchors = _anchors(sources, key, store.log_id, problems)
    frontier, prev, last_good, checked = Frontier(), GENESIS_HASH, 0, 0
    record_problem = False
    with store.snapshot() as view:
        if 0 in anchors:
            text = _compare(0, frontier.root().hex(), GENESIS_HASH, anchors[0], 0)
            if text:
                problems.add(1, text)
        for expected, row in enumerate(view.rows(), start=1):
            result = check_row(row, expected, prev)
            if result.problem is not None:
                problems.add(expected, result.problem)
                record_problem = True
                break
            frontier.append(result.leaf_hash)
            prev, checked = result.hash, expected
            if expected in anchors:
                text = _compare(expected, frontier.root().hex(), prev, anchors[expected], last_good)
                if text:
                    problems.add(last_good + 1, text)
                    record_problem = True
                    break
                last_good = expected
        head = view.head()[0]
    for problem in store.guard_problems():
        problems.add(None, problem)
    beyond = [size for size in anchors if size > head]
    if beyond and not record_problem:
        size = max(beyond)
        checkpoint, source = anchors[size][0]
        problems.add(
            head + 1,
            f"the log ends at record {head} but the signed {checkpoint.describe()} from {source} "
            f"covers {size} records: records {head + 1}..{size} were removed",
        )
    first = problems.first()
    status: Status
    if first is not None:
        status = "TAMPERED"
    elif last_good == 0 and not (head == 0 and 0 in anchors):
        status = "UNANCHORED"  # nothing signed covers any record
    else:
        status = "OK"
    return VerifyReport(
        status=status,
        first_bad_seq=first[0] if first else None,
        problem=first[1] if first else None,
        records_checked=checked,
        checkpoints_checked=sum(len(group) for group in anchors.values()),
        head_seq=head,
        anchored_size=last_good,
        problems=[text for _, text in problems.items],
        sources=[
            f"{s.name}: {len(s.checkpoints)} checkpoint(s)" if s.error is None else f"{s.name}: unreadable"
            for s in sources
        ],
    )
