"""`netorch audit`: verify, read, export and prove the tamper-evident audit log."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from audit.checkpoint import Checkpoint
from audit.errors import ProofError
from audit.log import AuditLog
from audit.proofs import verify_proof
from audit.record import AuditRecord
from orchestrator.audit_wiring import audit_paths, open_audit_log, trusted_verify_key
from orchestrator.cli.common import JsonOpt, console, fail, print_json, state

app = typer.Typer(
    help="The tamper-evident audit log: verify it, read it, export it, prove records to third parties.",
    no_args_is_help=True,
)

PublicKeyOpt = Annotated[
    str | None,
    typer.Option("--public-key", help="Trust this public key file (PEM) instead of the configured key."),
]
OutputOpt = Annotated[str | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")]
EXIT_TAMPERED, EXIT_UNANCHORED = 1, 3
_RELATIVE = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _open(ctx: typer.Context, *, public_key: str | None = None, sign: bool = False) -> AuditLog:
    settings = state(ctx).settings
    db = audit_paths(settings)["db"]
    if not db.exists():
        fail(f"no audit database at '{db}' (nothing has been audited in this home yet)")
    if public_key is not None:
        return open_audit_log(settings, verify_key=trusted_verify_key(settings, public_key))
    return open_audit_log(settings, create_key=sign)


def _since(value: str | None) -> datetime | None:
    """``30m``, ``2h``, ``7d`` back from now, or an ISO 8601 time (UTC when no offset is given)."""
    if value is None:
        return None
    match = _RELATIVE.match(value.strip())
    if match:
        return datetime.now(UTC) - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        fail(f"invalid --since {value!r} (use 30m, 2h, 7d or an ISO time such as 2026-11-28T14:00:00Z)")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    Path(output).write_text(text, encoding="utf-8")


@app.command("verify")
def verify(
    ctx: typer.Context,
    checkpoints: Annotated[
        list[str] | None,
        typer.Option("--checkpoints", help="Also compare with the checkpoints in this JSONL file (repeatable)."),
    ] = None,
    public_key: PublicKeyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Recompute every hash and compare with every signed checkpoint.

    Exit code 0 only for OK; 1 for TAMPERED (with the first bad record and what is wrong); 3 for
    UNANCHORED (the chain is consistent but no signed checkpoint vouches for it).

    Example: netorch audit verify --checkpoints /mnt/worm/audit-checkpoints.jsonl
    """
    with _open(ctx, public_key=public_key) as log:
        report = log.verify(extra_checkpoints=[Path(item) for item in (checkpoints or [])])
        path = log.location
    if json_out:
        print_json(report.to_dict())
    else:
        where = f" at record {report.first_bad_seq}" if report.first_bad_seq is not None else ""
        typer.echo(f"{report.status}{where}: audit log {path}")
        if report.problem:
            typer.echo(f"  problem: {report.problem}")
        for other in report.problems:
            if other != report.problem:
                typer.echo(f"  also: {other}")
        typer.echo(
            f"  {report.records_checked} of {report.head_seq} records checked, "
            f"{report.checkpoints_checked} signed checkpoints checked, anchored up to record {report.anchored_size}"
        )
        if report.status == "OK" and report.unanchored_records:
            typer.echo(f"  note: the last {report.unanchored_records} records are not covered by a checkpoint yet")
        if report.status == "UNANCHORED":
            typer.echo(
                "  no signed checkpoint covers these records: run `netorch audit checkpoint`, then keep the sink safe"
            )
        for source in report.sources:
            typer.echo(f"  source: {source}")
    if report.status == "TAMPERED":
        raise typer.Exit(EXIT_TAMPERED)
    if report.status == "UNANCHORED":
        raise typer.Exit(EXIT_UNANCHORED)


def _summary(record: AuditRecord) -> str:
    text = json.dumps(record.payload, sort_keys=True, separators=(",", ":"))
    return text if len(text) <= 80 else text[:77] + "..."


@app.command("show")
def show(
    ctx: typer.Context,
    run: Annotated[str | None, typer.Option("--run", help="Only this run id.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Exact kind, or a prefix such as 'tool.*'.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="30m, 2h, 7d, or an ISO 8601 time.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="At most this many (the newest).", min=1)] = 50,
    json_out: JsonOpt = False,
) -> None:
    """List audit records, newest last.

    Example: netorch audit show --run run-42 --kind 'tool.*' --since 2h
    """
    with _open(ctx) as log:
        found = log.records(run_id=run, kind=kind, since=_since(since), limit=limit, newest_first=True)
    found.reverse()
    if json_out:
        print_json([record.to_dict() for record in found])
        return
    table = Table(title=f"audit records ({len(found)} shown)")
    for column in ("seq", "time (UTC)", "kind", "actor", "run", "definition", "payload"):
        table.add_column(column, overflow="fold")
    for record in found:
        definition = f"{record.definition}@{record.version}" if record.version else (record.definition or "")
        table.add_row(
            str(record.seq),
            record.ts.replace("T", " ")[:23],
            record.kind,
            record.actor,
            record.run_id or "",
            definition,
            _summary(record),
        )
    console.print(table)


@app.command("export")
def export(
    ctx: typer.Context,
    fmt: Annotated[
        str, typer.Option("--format", help="Export format (jsonl: one canonical record per line).")
    ] = "jsonl",
    output: OutputOpt = None,
    run: Annotated[str | None, typer.Option("--run", help="Only this run id.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Exact kind, or a prefix such as 'run.*'.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="30m, 2h, 7d, or an ISO 8601 time.")] = None,
) -> None:
    """Export records as JSON Lines; each line is the record's canonical encoding (its Merkle leaf).

    Example: netorch audit export --format jsonl --output audit-2026-11.jsonl --since 30d
    """
    if fmt != "jsonl":
        fail(f"unknown export format {fmt!r} (expected jsonl)")
    count = 0
    with _open(ctx) as log, contextlib.ExitStack() as stack:
        # Only an output file is closed on the way out, never stdout.
        handle = stack.enter_context(Path(output).open("w", encoding="utf-8")) if output else sys.stdout
        for record in log.iter_records(run_id=run, kind=kind, since=_since(since)):
            handle.write(record.leaf() + "\n")
            count += 1
    if output is not None:
        typer.echo(f"exported {count} records to {output}", err=True)


@app.command("prove")
def prove(
    ctx: typer.Context,
    seq: Annotated[int | None, typer.Argument(help="Sequence number of the record to prove.", min=1)] = None,
    checkpoint: Annotated[
        int | None, typer.Option("--checkpoint", help="Prove against the checkpoint of this size (default: newest).")
    ] = None,
    consistency: Annotated[
        tuple[int, int] | None,
        typer.Option("--consistency", help="Prove that checkpoint size NEW extends checkpoint size OLD."),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """Write a self-contained proof: a record's inclusion, or the consistency of two checkpoints.

    Examples:
      netorch audit prove 1234 --output record-1234.proof.json
      netorch audit prove --consistency 1000 2000
    """
    if (seq is None) == (consistency is None):
        fail("give either SEQ or --consistency OLD NEW")
    with _open(ctx) as log:
        if consistency is not None:
            document = log.prove_consistency(consistency[0], consistency[1])
        else:
            assert seq is not None
            document = log.prove(seq, checkpoint_size=checkpoint)
    _write(json.dumps(document, indent=2, sort_keys=True) + "\n", output)
    if output is not None:
        typer.echo(f"wrote {document['type']} to {output}", err=True)


@app.command("verify-proof")
def verify_proof_cmd(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A proof file written by `netorch audit prove`.")],
    public_key: PublicKeyOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Check a proof with nothing but the proof file and a trusted key (no database needed).

    Example: netorch audit verify-proof record-1234.proof.json --public-key netorch-audit.pub
    """
    try:
        document: Any = json.loads(Path(file).read_text(encoding="utf-8"))
    except OSError as exc:
        fail(f"cannot read proof file '{file}': {exc.strerror}")
    except json.JSONDecodeError as exc:
        fail(f"proof file '{file}' is not JSON: {exc.msg} at line {exc.lineno}")
    key = trusted_verify_key(state(ctx).settings, public_key)
    try:
        result = verify_proof(document, key)
    except ProofError as exc:
        if json_out:
            print_json({"valid": False, "problem": str(exc)})
            raise typer.Exit(1) from None
        fail(f"proof rejected: {exc}")
    if json_out:
        print_json({"valid": True, "kind": result.kind, "summary": result.summary, "key_id": key.key_id})
        return
    typer.echo(f"VALID: {result.summary}, signed by {key.alg} key {key.key_id}")


def _checkpoint_row(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "tree_size": checkpoint.tree_size,
        "time": checkpoint.time,
        "reason": checkpoint.reason,
        "root_hash": checkpoint.root_hash,
        "key_id": checkpoint.key_id,
    }


@app.command("checkpoint")
def checkpoint_cmd(
    ctx: typer.Context,
    reason: Annotated[str, typer.Option("--reason", help="Why this checkpoint was taken.")] = "manual",
    json_out: JsonOpt = False,
) -> None:
    """Verify the records since the last checkpoint, then sign and export a new one now.

    Example: netorch audit checkpoint --reason "before audit export"
    """
    with _open(ctx, sign=True) as log:
        made = log.checkpoint(reason=reason)
        sink = log.sink.describe()
    if json_out:
        print_json(made.to_dict())
        return
    typer.echo(f"signed checkpoint of size {made.tree_size}, root {made.root_hash[:16]}…, exported to {sink}")


@app.command("checkpoints")
def checkpoints_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List the signed checkpoints (from the sink and the database copy), oldest first.

    Example: netorch audit checkpoints --json
    """
    with _open(ctx) as log:
        found = log.checkpoints()
    if json_out:
        print_json([item.to_dict() for item in found])
        return
    table = Table(title=f"signed checkpoints ({len(found)})")
    for column in ("size", "time (UTC)", "reason", "root", "key"):
        table.add_column(column)
    for item in found:
        row = _checkpoint_row(item)
        table.add_row(str(row["tree_size"]), row["time"], row["reason"], row["root_hash"][:16] + "…", row["key_id"])
    console.print(table)


@app.command("public-key")
def public_key_cmd(ctx: typer.Context, output: OutputOpt = None) -> None:
    """Print the public key that verifies this home's checkpoints (give it to auditors).

    Example: netorch audit public-key --output netorch-audit.pub
    """
    key = trusted_verify_key(state(ctx).settings)
    _write(key.public_pem(), output)
