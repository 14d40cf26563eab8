"""The PostgreSQL schema of the audit log: named migrations, append-only triggers, an INSERT-only role.

Everything lives in the schema ``audit``. Three layers keep the evidence unchanged:

1. triggers refuse UPDATE, DELETE and TRUNCATE on every evidence table, created ``ENABLE ALWAYS``
   so that ``session_replication_role = replica`` does not switch them off;
2. the role ``netorch_audit_writer`` (NOLOGIN; grant it to the role netorch connects as) may only
   SELECT and INSERT: even with the triggers dropped, it cannot change a row;
3. what the owner or a superuser could still do is caught by the signed checkpoints outside the
   database, and ``missing_guards`` reports triggers that were dropped or disabled and privileges
   that were widened.

Text columns use the "C" collation: the read filters compare bytes (``kind >= 'run.' AND kind <
'run/'``), which a linguistic collation would reorder.
"""

from __future__ import annotations

from audit.migrations import Migration

__all__ = ["EVIDENCE_TABLES", "PG_MIGRATIONS", "REQUIRED_TRIGGERS", "SCHEMA", "WRITER_ROLE", "pg_ledger"]

SCHEMA = "audit"
WRITER_ROLE = "netorch_audit_writer"
EVIDENCE_TABLES = ("records", "checkpoints", "meta", "audit_migrations", "nodes")
# Statement-level: a statement is refused even when it would touch no row.
_OPS = (("update", "UPDATE", "STATEMENT"), ("delete", "DELETE", "STATEMENT"), ("truncate", "TRUNCATE", "STATEMENT"))
REQUIRED_TRIGGERS = tuple(f"{table}_no_{op}" for table in EVIDENCE_TABLES for op, _, _ in _OPS)


def _append_only(table: str) -> tuple[str, ...]:
    statements: list[str] = []
    for op, verb, level in _OPS:
        name = f"{table}_no_{op}"
        statements.append(
            f"CREATE TRIGGER {name} BEFORE {verb} ON {SCHEMA}.{table} FOR EACH {level} "
            f"EXECUTE FUNCTION {SCHEMA}.refuse_change()"
        )
        statements.append(f"ALTER TABLE {SCHEMA}.{table} ENABLE ALWAYS TRIGGER {name}")
    return tuple(statements)


def pg_ledger() -> tuple[str, ...]:
    """Statements that create the schema and the migration ledger if they are missing."""
    return (
        f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
        f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.audit_migrations (
            name TEXT COLLATE "C" PRIMARY KEY,
            sha256 TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )""",
    )


_TEXT = 'TEXT COLLATE "C"'

PG_MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        "0001_append_only_function",
        (
            f"""CREATE FUNCTION {SCHEMA}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit % are append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END
            $$""",
            *_append_only("audit_migrations"),
        ),
    ),
    Migration(
        "0002_records",
        (
            f"""CREATE TABLE {SCHEMA}.records (
                seq BIGINT PRIMARY KEY CHECK (seq > 0),
                ts {_TEXT} NOT NULL,
                run_id {_TEXT},
                kind {_TEXT} NOT NULL,
                actor {_TEXT} NOT NULL,
                definition {_TEXT},
                version {_TEXT},
                payload {_TEXT} NOT NULL,
                prev_hash {_TEXT} NOT NULL,
                hash {_TEXT} NOT NULL,
                leaf_hash BYTEA NOT NULL
            )""",
            f"CREATE INDEX records_run ON {SCHEMA}.records (run_id, seq)",
            f"CREATE INDEX records_kind ON {SCHEMA}.records (kind, seq)",
            f"CREATE INDEX records_ts ON {SCHEMA}.records (ts)",
            *_append_only("records"),
        ),
    ),
    Migration(
        "0003_checkpoints",
        (
            f"""CREATE TABLE {SCHEMA}.checkpoints (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                tree_size BIGINT NOT NULL,
                document TEXT NOT NULL,
                frontier TEXT NOT NULL
            )""",
            f"CREATE INDEX checkpoints_size ON {SCHEMA}.checkpoints (tree_size)",
            *_append_only("checkpoints"),
        ),
    ),
    Migration(
        "0004_meta",
        (
            f"CREATE TABLE {SCHEMA}.meta (name {_TEXT} PRIMARY KEY, value TEXT NOT NULL)",
            *_append_only("meta"),
        ),
    ),
    Migration(
        "0005_nodes",
        (
            f"""CREATE TABLE {SCHEMA}.nodes (
                level INTEGER NOT NULL,
                idx BIGINT NOT NULL,
                hash BYTEA NOT NULL,
                PRIMARY KEY (level, idx)
            )""",
            *_append_only("nodes"),
        ),
    ),
    Migration(
        "0006_writer_role",
        (
            # Roles are shared by every database of the cluster: another audit database may have made it.
            f"""DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{WRITER_ROLE}') THEN
                    CREATE ROLE {WRITER_ROLE} NOLOGIN;
                END IF;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
            END $$""",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {SCHEMA} FROM PUBLIC",
            f"GRANT USAGE ON SCHEMA {SCHEMA} TO {WRITER_ROLE}",
            f"GRANT SELECT, INSERT ON {SCHEMA}.records, {SCHEMA}.checkpoints, {SCHEMA}.nodes TO {WRITER_ROLE}",
            f"GRANT SELECT ON {SCHEMA}.meta, {SCHEMA}.audit_migrations TO {WRITER_ROLE}",
            f"GRANT USAGE ON SEQUENCE {SCHEMA}.checkpoints_id_seq TO {WRITER_ROLE}",
        ),
    ),
)
