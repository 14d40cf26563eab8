"""``AuditLog``: the append-only, hash-chained, Merkle-anchored change record.

    log = AuditLog.open(home / "audit.db")                  # key and sink default beside the db
    log.append("tool.call", actor="workflow:vlan_deploy", run_id=run.id, payload={...})
    log.checkpoint(reason="run.end")                        # sign and export the current state
    report = log.verify()                                   # OK | UNANCHORED | TAMPERED

See ``audit/README.md`` for the encodings, the threat model and the proof formats.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from audit.anchor import Anchor
from audit.base import AuditStore, CheckpointSink
from audit.checkpoint import Checkpoint
from audit.entry import Prepared, prepare_entry, record_filters
from audit.errors import AuditError, CheckpointNotFound, KeyProblem, ProofError, RecordNotFound, SinkError
from audit.group import GroupCommitter
from audit.keys import SigningKey, VerifyKey, load_signing_key, resolve_signing_key
from audit.merkle import verify_consistency, verify_inclusion
from audit.nodes import TreeReader
from audit.proofs import consistency_document, inclusion_document
from audit.record import (
    AuditRecord,
    body_from,
    chain_hash,
    encode_fields,
    format_ts,
    leaf_from,
    leaf_hash_of,
)
from audit.redact import Redactor
from audit.rows import Head, RecordQuery, Row, record_from_row
from audit.sinks import JsonlSink, read_checkpoint_file
from audit.store import SqliteStore
from audit.verify import CheckpointSource, VerifyReport, verify_store

__all__ = ["AuditLog"]

logger = logging.getLogger("audit.log")


class AuditLog:
    """The audit store of one netorch home; safe to share between threads and processes."""

    def __init__(self, store: AuditStore, sink: CheckpointSink, redactor: Redactor, anchor: Anchor) -> None:
        self._store, self.sink, self._redactor, self._anchor = store, sink, redactor, anchor
        self._clock = anchor.clock
        self._group: GroupCommitter[Prepared, AuditRecord] = GroupCommitter(self._commit)
        self._appended_unanchored = False
        self._closed = False

    @classmethod
    def open(
        cls,
        db_path: str | Path,
        *,
        checkpoint_path: str | Path | None = None,
        key: bytes | str | SigningKey | VerifyKey | None = None,
        key_file: str | Path | None = None,
        create_key: bool = True,
        sink: CheckpointSink | None = None,
        checkpoint_every_records: int = 1000,
        checkpoint_every_seconds: float = 300.0,
        redact_patterns: Iterable[str] = (),
        redactor: Redactor | None = None,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 30.0,
        trace: Callable[[str], None] | None = None,
    ) -> AuditLog:
        """Open (creating and migrating if needed) the audit database at ``db_path``.

        Args:
            checkpoint_path: JSONL sink file; default ``<db dir>/<db stem>-checkpoints.jsonl``.
            key: signing key (key text or a ``SigningKey``), or a ``VerifyKey`` to open the log for
                checking only; default: ``key_file``, else ``<db dir>/<db stem>.key``, generated
                (Ed25519, mode 0600) if missing — unless ``create_key`` is False, in which case
                a log without any key opens for reading only (no checkpoints, no verify).
            sink: a checkpoint sink to use instead of the JSONL file.
            checkpoint_every_records / checkpoint_every_seconds: automatic checkpoint policy,
                checked after each append.
            redact_patterns: extra regexes whose matches are redacted from payload strings.
            redactor: the process's shared ``Redactor`` (then ``redact_patterns`` is not used), so
                the log and every other store redact alike.
            clock: seconds since the epoch (tests pass a fake one).
            trace: called with every SQL statement the connection runs.
        """
        path = Path(db_path).expanduser()
        _check_intervals(checkpoint_every_records, checkpoint_every_seconds)
        keys = _resolve_keys(key, key_file, path.parent / f"{path.stem}.key", create_key)
        if sink is None:
            sink = JsonlSink(
                Path(checkpoint_path) if checkpoint_path else path.parent / f"{path.stem}-checkpoints.jsonl"
            )
        store = SqliteStore(path, busy_timeout=busy_timeout, trace=trace)
        return cls._assemble(
            store, sink, keys, redactor if redactor is not None else Redactor(redact_patterns), clock,
            checkpoint_every_records, checkpoint_every_seconds,
        )  # fmt: skip

    @classmethod
    def open_postgres(
        cls,
        url: str,
        *,
        admin_url: str | None = None,
        checkpoint_path: str | Path | None = None,
        key: bytes | str | SigningKey | VerifyKey | None = None,
        key_file: str | Path | None = None,
        create_key: bool = True,
        sink: CheckpointSink | None = None,
        checkpoint_every_records: int = 1000,
        checkpoint_every_seconds: float = 300.0,
        redact_patterns: Iterable[str] = (),
        redactor: Redactor | None = None,
        clock: Callable[[], float] = time.time,
        trace: Callable[[str], None] | None = None,
    ) -> AuditLog:
        """Open the audit log kept in the PostgreSQL database at ``url`` (needs the ``postgres`` extra).

        ``admin_url`` (a role that owns the schema) creates or migrates the schema and grants the
        INSERT-only role ``netorch_audit_writer``; ``url`` may then be a member of that role only.
        There is no directory to put defaults in: ``key``/``key_file`` and ``sink``/``checkpoint_path``
        say where the signing key and the exported checkpoints live (without a key the log opens for
        reading only). Other options as for ``open``.
        """
        from audit.pg_store import PgStore  # psycopg is an optional dependency

        _check_intervals(checkpoint_every_records, checkpoint_every_seconds)
        keys = _resolve_keys(key, key_file, None, create_key)
        if sink is None:
            if checkpoint_path is None:
                raise AuditError("a PostgreSQL audit log needs a checkpoint sink (or checkpoint_path) outside it")
            sink = JsonlSink(Path(checkpoint_path))
        store = PgStore(url, admin_url=admin_url, trace=trace)
        return cls._assemble(
            store, sink, keys, redactor if redactor is not None else Redactor(redact_patterns), clock,
            checkpoint_every_records, checkpoint_every_seconds,
        )  # fmt: skip

    @classmethod
    def _assemble(
        cls,
        store: AuditStore,
        sink: CheckpointSink,
        keys: tuple[SigningKey | None, VerifyKey | None],
        redactor: Redactor,
        clock: Callable[[], float],
        every_records: int,
        every_seconds: float,
    ) -> AuditLog:
        try:
            anchor = Anchor(
                store, keys[0], keys[1], sink, clock=clock, every_records=every_records, every_seconds=every_seconds
            )
        except BaseException:
            store.close()
            raise
        return cls(store, sink, redactor, anchor)

    # -- identity -------------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        """The database file (``AuditError`` for a log that is not kept in a file)."""
        path = getattr(self._store, "path", None)
        if not isinstance(path, Path):
            raise AuditError(f"the audit log in {self._store.describe()} is not a file")
        return path

    @property
    def location(self) -> str:
        """Where the log lives, for messages (``sqlite /srv/netorch/audit.db``)."""
        return self._store.describe()

    @property
    def log_id(self) -> str:
        """Random id of this log, created with the database and named in every checkpoint."""
        return self._store.log_id

    @property
    def verify_key(self) -> VerifyKey:
        """The key that checks this log's checkpoint signatures (``KeyProblem`` if it has none)."""
        if self._anchor.verify_key is None:
            raise KeyProblem("no audit key is available to check signatures; pass --public-key FILE")
        return self._anchor.verify_key

    # -- appending ------------------------------------------------------------------------------

    def _prepare(self, entry: Mapping[str, Any]) -> Prepared:
        return prepare_entry(entry, self._redactor)

    def _commit(self, prepared: Sequence[Prepared]) -> list[AuditRecord]:
        """Write prepared entries in one transaction; chain them to the head under the write lock."""
        if not prepared:
            return []
        records: list[AuditRecord] = []

        def build(head: Head) -> list[Row]:
            records.clear()
            rows: list[Row] = []
            seq, prev, last_ts = head
            ts = max(format_ts(self._clock()), last_ts)  # timestamps never go backwards along the chain
            for item in prepared:
                seq += 1
                fields: dict[str, Any] = {
                    "seq": seq,
                    "ts": ts,
                    "run_id": item.run_id,
                    "kind": item.kind,
                    "actor": item.actor,
                    "definition": item.definition,
                    "version": item.version,
                }
                encoded = encode_fields(**fields)
                digest = chain_hash(prev, body_from(encoded, item.payload_json))
                leaf = leaf_hash_of(leaf_from(encoded, item.payload_json, prev, digest))
                rows.append((seq, ts, item.run_id, item.kind, item.actor, item.definition, item.version,
                             item.payload_json, prev, digest, leaf))  # fmt: skip
                records.append(AuditRecord(**fields, payload=item.payload, prev_hash=prev, hash=digest,
                                           payload_json=item.payload_json))  # fmt: skip
                prev = digest
            return rows

        self._store.append(build)
        self._appended_unanchored = True
        if self._anchor.maybe_checkpoint(records[-1].seq) is not None:
            self._appended_unanchored = False
        return records

    def append(
        self,
        kind: str,
        *,
        actor: str,
        payload: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        definition: str | None = None,
        version: str | int | None = None,
    ) -> AuditRecord:
        """Append one record durably (redacted, hashed, committed with fsync) and return it.

        Raises:
            InvalidEntry: unknown kind, empty actor, or a payload value JSON cannot carry.
        """
        entry: dict[str, Any] = {"kind": kind, "actor": actor, "payload": payload, "run_id": run_id}
        entry.update({"definition": definition, "version": version})
        return self._commit([self._prepare(entry)])[0]

    def append_many(self, entries: Iterable[Mapping[str, Any]]) -> list[AuditRecord]:
        """Append several records in one transaction (one fsync); all of them or none."""
        return self._commit([self._prepare(entry) for entry in entries])

    async def aappend(
        self,
        kind: str,
        *,
        actor: str,
        payload: Mapping[str, Any] | None = None,
        run_id: str | None = None,
        definition: str | None = None,
        version: str | int | None = None,
    ) -> AuditRecord:
        """``append`` for asyncio code: concurrent calls are group-committed, off the event loop."""
        entry: dict[str, Any] = {"kind": kind, "actor": actor, "payload": payload, "run_id": run_id}
        entry.update({"definition": definition, "version": version})
        return await self._group.submit(self._prepare(entry))

    # -- anchoring ------------------------------------------------------------------------------

    def checkpoint(self, reason: str = "run.end") -> Checkpoint:
        """Verify the records since the last checkpoint, then sign and export the log's state.

        Raises:
            AuditError: the records since the last checkpoint do not verify (nothing is signed).
            SinkError: signed and kept in the database, but the external sink refused it.
        """
        checkpoint = self._anchor.checkpoint(reason)
        self._appended_unanchored = False
        return checkpoint

    def _sources(self, extra: Iterable[Path | str] = ()) -> list[CheckpointSource]:
        sources: list[CheckpointSource] = []
        try:
            exported = self.sink.read()
        except SinkError as exc:
            sources.append(CheckpointSource(self.sink.describe(), error=str(exc)))
        else:
            if exported is not None:
                sources.append(CheckpointSource(self.sink.describe(), exported))
        stored: list[Checkpoint] = []
        for row_id, document, _ in self._store.checkpoint_rows():
            try:
                stored.append(Checkpoint.from_dict(json.loads(document)))
            except (AuditError, ValueError):
                sources.append(
                    CheckpointSource("database copy", error=f"stored checkpoint #{row_id} is not a checkpoint")
                )
        sources.append(CheckpointSource("database copy", stored))
        for item in extra:
            try:
                sources.append(CheckpointSource(f"file {item}", read_checkpoint_file(Path(item))))
            except SinkError as exc:
                sources.append(CheckpointSource(f"file {item}", error=str(exc)))
        return sources

    def checkpoints(self, extra: Iterable[Path | str] = ()) -> list[Checkpoint]:
        """Every checkpoint signed by this log's key, from the sink and the database, oldest first."""
        key, seen, found = self.verify_key, set(), []
        for source in self._sources(extra):
            for checkpoint in source.checkpoints:
                identity = (checkpoint.tree_size, checkpoint.root_hash, checkpoint.time)
                valid = checkpoint.log_id == self.log_id and checkpoint.signature_problem(key) is None
                if valid and identity not in seen:
                    seen.add(identity)
                    found.append(checkpoint)
        return sorted(found, key=lambda cp: (cp.tree_size, cp.time))

    # -- reading --------------------------------------------------------------------------------

    def records(
        self,
        *,
        run_id: str | None = None,
        kind: str | None = None,
        since: datetime | str | None = None,
        limit: int | None = None,
        after_seq: int | None = None,
        newest_first: bool = False,
    ) -> list[AuditRecord]:
        """Records matching every given filter, in seq order (``kind`` ``"run.*"`` matches a prefix)."""
        query = record_filters(
            run_id=run_id, kind=kind, since=since, after_seq=after_seq, newest_first=newest_first, limit=limit
        )
        return [record_from_row(row) for row in self._store.select(query)]

    def iter_records(
        self, *, run_id: str | None = None, kind: str | None = None, since: datetime | str | None = None
    ) -> Iterator[AuditRecord]:
        """Like ``records`` but streamed in pages, for exports of any size."""
        after = 0
        while True:
            page = self.records(run_id=run_id, kind=kind, since=since, after_seq=after, limit=2000)
            yield from page
            if len(page) < 2000:
                return
            after = page[-1].seq

    def get(self, seq: int) -> AuditRecord:
        """The record with sequence number ``seq``; raises ``RecordNotFound`` naming it."""
        rows = self._store.select(RecordQuery(seq=seq))
        if not rows:
            raise RecordNotFound(f"no audit record {seq} (the log has {self.count()} records)")
        return record_from_row(rows[0])

    def head(self) -> AuditRecord | None:
        """The last record, or None for an empty log."""
        rows = self._store.select(RecordQuery(newest_first=True, limit=1))
        return record_from_row(rows[0]) if rows else None

    def count(self) -> int:
        """How many records the log holds (records are numbered from 1 without gaps)."""
        rows = self._store.select(RecordQuery(newest_first=True, limit=1))
        return int(rows[0][0]) if rows else 0

    # -- verification and proofs ----------------------------------------------------------------

    def verify(
        self, *, verify_key: VerifyKey | None = None, extra_checkpoints: Iterable[Path | str] = ()
    ) -> VerifyReport:
        """Recompute every hash and compare with every signed checkpoint (sink, database, files)."""
        return verify_store(self._store, verify_key or self.verify_key, self._sources(extra_checkpoints))

    def _checkpoint_for(self, size: int | None, at_least: int) -> Checkpoint:
        known = self.checkpoints()
        if size is not None:
            matching = [cp for cp in known if cp.tree_size == size]
            if not matching:
                sizes = ", ".join(str(cp.tree_size) for cp in known[-5:]) or "none"
                raise CheckpointNotFound(f"no signed checkpoint of size {size} (latest sizes: {sizes})")
            chosen = matching[-1]
        else:
            covering = [cp for cp in known if cp.tree_size >= at_least]
            if not covering:
                latest = known[-1].tree_size if known else 0
                raise CheckpointNotFound(
                    f"no signed checkpoint covers record {at_least} yet (latest covers {latest}); "
                    "run `netorch audit checkpoint` first"
                )
            chosen = covering[-1]
        if chosen.tree_size < at_least:
            raise CheckpointNotFound(f"the checkpoint of size {chosen.tree_size} does not cover record {at_least}")
        return chosen

    def prove(self, seq: int, *, checkpoint_size: int | None = None) -> dict[str, Any]:
        """An inclusion proof document for record ``seq`` (default: against the newest checkpoint).

        Built from the stored Merkle nodes (O(log n) reads) and checked against the signed root
        before it is returned, so a proof from records or nodes that were tampered with is refused.
        """
        record = self.get(seq)
        checkpoint = self._checkpoint_for(checkpoint_size, seq)
        with self._store.snapshot() as view:
            tree = TreeReader(view, checkpoint.tree_size)
            path = tree.inclusion_path(seq - 1)
            stored_leaf = tree.leaf(seq - 1)
        leaf = record.leaf_hash()
        if leaf != stored_leaf:
            raise AuditError(f"record {seq} does not match its stored leaf hash; run `netorch audit verify`")
        try:
            verify_inclusion(seq - 1, checkpoint.tree_size, leaf, path, bytes.fromhex(checkpoint.root_hash))
        except ProofError:
            raise AuditError(
                f"the records no longer match the signed {checkpoint.describe()}; run `netorch audit verify`"
            ) from None
        return inclusion_document(record, checkpoint, path)

    def prove_consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        """A consistency proof document between the signed checkpoints of two sizes."""
        if old_size > new_size:
            raise AuditError(f"old size {old_size} is larger than new size {new_size}")
        old = self._checkpoint_for(old_size, 0)
        new = self._checkpoint_for(new_size, 0)
        with self._store.snapshot() as view:
            tree = TreeReader(view, new_size)
            old_root, new_root = tree.root(old_size), tree.root(new_size)
            path = tree.consistency_path(old_size)
        for checkpoint, root in ((new, new_root), (old, old_root)):
            if root.hex() != checkpoint.root_hash:
                raise AuditError(
                    f"the records no longer match the signed {checkpoint.describe()}; run `netorch audit verify`"
                )
        verify_consistency(old_size, new_size, old_root, new_root, path)
        return consistency_document(old, new, path)

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self, *, checkpoint: bool = True) -> None:
        """Close the database; records this process appended since the last checkpoint get one."""
        if self._closed:
            return
        self._closed = True
        try:
            if checkpoint and self._appended_unanchored:
                try:
                    self._anchor.checkpoint("close")
                except AuditError as exc:
                    logger.error("closing checkpoint failed: %s", exc)
        finally:
            self._store.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _check_intervals(every_records: int, every_seconds: float) -> None:
    if every_records < 1 or every_seconds <= 0:
        raise AuditError("checkpoint intervals must be positive")


def _resolve_keys(
    key: bytes | str | SigningKey | VerifyKey | None,
    key_file: str | Path | None,
    default_file: Path | None,
    create: bool,
) -> tuple[SigningKey | None, VerifyKey | None]:
    """(signing key, verify key) from what ``open`` was given; (None, None) opens for reading only."""
    signing_key: SigningKey | None = None
    verify_key: VerifyKey | None = None
    if isinstance(key, VerifyKey):
        verify_key = key
    elif isinstance(key, SigningKey):
        signing_key = key
    elif key is not None:
        signing_key = load_signing_key(key, "the key given to AuditLog.open")
    elif key_file is not None or default_file is not None:
        configured = Path(key_file) if key_file else None
        try:
            signing_key = resolve_signing_key(
                key_file=configured,
                env_var=None,
                default_file=default_file or configured or Path("audit.key"),
                create=create,
            )
        except KeyProblem:
            if create:
                raise
    if signing_key is not None:
        verify_key = signing_key.verify_key()
    return signing_key, verify_key
