"""`netorch lab`: create, inspect and break the embedded network twin (netlab)."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.table import Table

from orchestrator.cli.common import JsonOpt, console, fail, print_json, state

app = typer.Typer(
    help="The embedded network twin: init, status, show, inject and clear faults, metrics.", no_args_is_help=True
)


def _open(ctx: typer.Context) -> Any:
    from netlab import Lab

    settings = state(ctx).settings
    return Lab.open(settings.lab_db, time_factor=settings.lab.time_factor)


def _parse_params(items: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            fail(f"bad --param '{item}': expected key=value, e.g. --param rate=50")
        params[key.strip()] = value.strip()
    return params


@app.command("init")
def init(
    ctx: typer.Context,
    buildings: Annotated[int | None, typer.Option(help="Buildings a, b, c, ... (1-26).")] = None,
    access_per_building: Annotated[int | None, typer.Option(help="Access switches per building.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the deterministic topology.")] = None,
    latency_ms: Annotated[float | None, typer.Option(help="Simulated latency of one device change.")] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing lab (its devices, faults and history are lost).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Create a fresh lab in $NETORCH_HOME/lab.db; flags default from netorch.yaml.

    An existing lab is replaced only with --force: its state, faults and config history are lost.
    Example: netorch lab init --buildings 8 --access-per-building 98 --seed 7
    """
    from netlab import Lab

    settings = state(ctx).settings
    if settings.lab_db.exists() and not force:
        fail(f"'{settings.lab_db}' already holds a lab; use --force to replace it (its state is lost)")
    lab_cfg = settings.lab
    started = time.perf_counter()
    lab = Lab.create(
        settings.lab_db,
        buildings=lab_cfg.buildings if buildings is None else buildings,
        access_per_building=lab_cfg.access_per_building if access_per_building is None else access_per_building,
        seed=lab_cfg.seed if seed is None else seed,
        latency_ms=lab_cfg.latency_ms if latency_ms is None else latency_ms,
        time_factor=lab_cfg.time_factor,
    )
    elapsed = time.perf_counter() - started
    info = lab.info()
    lab.close()
    if json_out:
        print_json({**info.model_dump(mode="json"), "seconds": round(elapsed, 3)})
        return
    console.print(
        f"Initialised lab: {info.devices} devices ({info.buildings} buildings x {info.access_per_building} access, "
        f"seed {info.seed}) in {elapsed:.2f} s at {info.db_path}",
        soft_wrap=True,
    )


@app.command("status")
def status(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Sizes, devices by role and platform, active faults and active alerts.

    Example: netorch lab status --json
    """
    lab = _open(ctx)
    info, faults, alerts = lab.info(), [f for f in lab.faults() if f.status == "active"], lab.active_alerts()
    lab.close()
    if json_out:
        print_json(
            {
                "lab": info.model_dump(mode="json"),
                "active_faults": [f.model_dump(mode="json") for f in faults],
                "active_alerts": [a.model_dump(mode="json") for a in alerts],
            }
        )
        return
    console.print(
        f"Lab {info.db_path}: {info.devices} devices, {info.interfaces} interfaces, {info.buildings} buildings, "
        f"seed {info.seed}, latency {info.latency_ms:g} ms x time factor {info.time_factor:g}",
        soft_wrap=True,
    )
    counts = Table(title="Devices")
    counts.add_column("role / platform")
    counts.add_column("count", justify="right")
    for key, value in sorted(info.by_role.items()) + sorted(info.by_platform.items()):
        counts.add_row(key, str(value))
    console.print(counts)
    _print_faults(faults, title=f"Active faults ({len(faults)})")
    _print_alerts(alerts)


def _print_faults(faults: list[Any], *, title: str) -> None:
    table = Table(title=title)
    for column in ("id", "kind", "device", "interface", "status", "summary"):
        table.add_column(column)
    for f in faults:
        resolved = f"{f.status} ({f.resolved_by})" if f.resolved_by else f.status
        table.add_row(f.id, f.kind, f.device or "-", f.interface or "-", resolved, f.summary)
    console.print(table)


def _print_alerts(alerts: list[Any]) -> None:
    table = Table(title=f"Active alerts ({len(alerts)})")
    for column in ("alert", "severity", "device", "interface", "summary"):
        table.add_column(column)
    for a in alerts:
        table.add_row(a.alertname, a.severity, a.device, a.interface or "-", a.summary)
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    device: Annotated[str, typer.Argument(help="Device name, e.g. b-acc-03.")],
    config: Annotated[bool, typer.Option("--config", help="Print the running configuration.")] = False,
    intended: Annotated[bool, typer.Option("--intended", help="Print the intended configuration.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """A device's health, interfaces and VLANs (or its running / intended configuration).

    Example: netorch lab show a-acc-01 --config
    """
    lab = _open(ctx)
    try:
        if config or intended:
            texts = {}
            if config:
                texts["running_config"] = lab.running_config(device)
            if intended:
                texts["intended_config"] = lab.intended_config(device)
            if json_out:
                print_json({"device": device, **texts})
            else:
                for text in texts.values():
                    typer.echo(text, nl=False)
            return
        health, interfaces, vlans = lab.health(device), lab.interface_states(device), lab.vlan_table(device)
    finally:
        lab.close()
    if json_out:
        print_json(
            {
                "health": health.model_dump(mode="json"),
                "interfaces": [i.model_dump(mode="json") for i in interfaces],
                "vlans": [v.model_dump(mode="json") for v in vlans],
            }
        )
        return
    reach = "reachable" if health.reachable else "UNREACHABLE"
    extra = (
        f", CPU {health.cpu_pct:g}%, memory {health.memory_pct:g}%, up {health.uptime_s} s" if health.reachable else ""
    )
    console.print(f"{device} ({health.platform} {health.os_version}, {health.mgmt_ip}): {reach}{extra}", soft_wrap=True)
    table = Table(title="Interfaces")
    for column in ("interface", "admin", "oper", "reason", "in err", "crc", "flaps", "description"):
        table.add_column(column)
    for i in interfaces:
        reason = i.err_disabled_reason or i.oper_reason or ""
        table.add_row(
            i.name,
            i.admin_status,
            i.oper_status,
            reason,
            str(i.in_errors),
            str(i.crc_errors),
            str(i.flaps),
            i.description,
        )
    console.print(table, markup=False)
    console.print(
        "VLANs: " + ", ".join(f"{v.vid} {v.name}" for v in vlans), markup=False, highlight=False, soft_wrap=True
    )


@app.command("inject")
def inject(
    ctx: typer.Context,
    kind: Annotated[str, typer.Argument(help="Fault kind, e.g. link_flap, crc_errors, push_fails.")],
    device: Annotated[str | None, typer.Option(help="Target device (default a-acc-01).")] = None,
    interface: Annotated[str | None, typer.Option(help="Target interface (default: a sensible port).")] = None,
    param: Annotated[list[str] | None, typer.Option("--param", help="Extra parameter key=value (repeatable).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Inject a fault and print its id.

    Example: netorch lab inject crc_errors --device b-acc-03 --interface Gi1/0/7 --param rate=50
    """
    params: dict[str, Any] = _parse_params(param or [])
    for name, value in (("device", device), ("interface", interface)):
        if value is not None:
            if name in params:
                fail(f"'{name}' given twice (as --{name} and --param {name}=...)")
            params[name] = value
    lab = _open(ctx)
    try:
        fault = lab.inject(kind, **params)
    finally:
        lab.close()
    if json_out:
        print_json(fault.model_dump(mode="json"))
        return
    console.print(fault.id, markup=False, highlight=False, soft_wrap=True)
    console.print(f"injected {fault.summary}", markup=False, highlight=False, soft_wrap=True)


@app.command("faults")
def faults(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List injected faults (active, and resolved by an operation).

    Example: netorch lab faults --json
    """
    lab = _open(ctx)
    found = lab.faults()
    lab.close()
    if json_out:
        print_json([f.model_dump(mode="json") for f in found])
        return
    _print_faults(found, title=f"Faults ({len(found)})")


@app.command("clear")
def clear(
    ctx: typer.Context,
    fault_id: Annotated[str | None, typer.Argument(help="Fault id, e.g. f3.")] = None,
    all_faults: Annotated[bool, typer.Option("--all", help="Clear every fault.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Clear one fault by id, or all of them, undoing their effects.

    Example: netorch lab clear f3   (or: netorch lab clear --all)
    """
    if (fault_id is None) == (not all_faults):
        fail("give a fault id or --all (not both)")
    lab = _open(ctx)
    try:
        cleared = lab.clear_all_faults() if all_faults else [lab.clear_fault(fault_id or "")]
    finally:
        lab.close()
    if json_out:
        print_json([f.model_dump(mode="json") for f in cleared])
        return
    console.print(f"cleared {len(cleared)} fault(s): " + (", ".join(f.id for f in cleared) or "none"), soft_wrap=True)


@app.command("events")
def events(
    ctx: typer.Context,
    device: Annotated[str | None, typer.Option(help="Only this device.")] = None,
    severity: Annotated[str | None, typer.Option(help="Minimum severity, e.g. warning.")] = None,
    limit: Annotated[int, typer.Option(help="How many of the most recent events.")] = 30,
    json_out: JsonOpt = False,
) -> None:
    """The most recent syslog events of the lab.

    Example: netorch lab events --device a-acc-01 --severity warning
    """
    lab = _open(ctx)
    try:
        found = lab.events(device=device, severity=severity, limit=limit)
    finally:
        lab.close()
    if json_out:
        print_json([e.model_dump(mode="json") for e in found])
        return
    for e in found:
        console.print(f"{e.ts:%Y-%m-%d %H:%M:%S} {e.device} {e.message}", markup=False, highlight=False, soft_wrap=True)


@app.command("serve-metrics")
def serve_metrics(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind (0 = any free port).")] = 9109,
) -> None:
    """Serve /metrics in Prometheus format until interrupted (Ctrl-C).

    Example: netorch lab serve-metrics --port 9109   (then scrape http://127.0.0.1:9109/metrics)
    """
    from netlab.metrics_server import make_metrics_server

    lab = _open(ctx)
    try:
        server = make_metrics_server(lab, host, port)
    except OSError as exc:
        lab.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    console.print(f"serving {server.url}/metrics (Ctrl-C to stop)", markup=False, highlight=False, soft_wrap=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        lab.close()


@app.command("vlan-service")
def vlan_service(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Service name, e.g. app-payments.")],
    vid: Annotated[int, typer.Option("--vid", min=1, max=4094, help="VLAN ID.")],
    subnet: Annotated[str, typer.Option("--subnet", help="IPv4 subnet, e.g. 10.22.14.0/24.")],
    location: Annotated[str | None, typer.Option("--location", help="Building letter or name (scope).")] = None,
    role: Annotated[str, typer.Option("--role", help="Device role in scope.")] = "access",
    json_out: JsonOpt = False,
) -> None:
    """Record a VLAN service request in the lab's Source of Truth (intent only; no device changes).

    This is what the ITSM request stores in Nautobot before `vlan_deploy` runs.

    Example: netorch lab vlan-service app-payments --vid 1214 --subnet 10.22.14.0/24 --location b
    """
    import ipaddress

    try:
        ipaddress.ip_network(subnet)
    except ValueError:
        fail(f"bad --subnet '{subnet}': expected a network such as 10.22.14.0/24")
    lab = _open(ctx)
    try:
        service = lab.upsert_vlan_service(name, vid, subnet, location=location, role=role)
    finally:
        lab.close()
    if json_out:
        print_json(service.model_dump(mode="json"))
        return
    console.print(
        f"VLAN service {service.name}: VID {service.vid}, {service.subnet}, "
        f"{len(service.targets)} target device(s) "
        f"({service.location or 'every building'}, role {service.role or 'any'})",
        soft_wrap=True,
    )
