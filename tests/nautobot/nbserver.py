"""A real Nautobot for tests: its own venv, a template database from a checked-in dump, runserver by PID.

Nautobot's 471 migrations take ~6 minutes of single-core Python, so they run once, when the pin
changes: ``python3 scripts/nautobot_dump.py`` migrates an empty database, adds a superuser with a
fixed API token, and writes ``tests/fixtures/nautobot/nautobot-<version>.sql.gz``. Tests restore
that dump once into a template database (~2 s) and give each test module its own
``CREATE DATABASE ... TEMPLATE`` copy (~0.2 s) behind its own ``nautobot-server runserver``.

Everything runs against the machine's PostgreSQL (127.0.0.1:5432, user postgres, trust auth) and
Redis (127.0.0.1:6379); nothing here starts or stops them (.ci/run does). The venv lives under
``~/.cache/netorch-nautobot`` (``NETORCH_NAUTOBOT_CACHE`` moves it), apart from netorch's own
dependencies: Nautobot pins Django and friends that netorch must not inherit.

Usage as a script: ``python3 tests/nautobot/nbserver.py venv|dump|serve``.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

NAUTOBOT_VERSION = "3.2.7"
REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "nautobot" / f"nautobot-{NAUTOBOT_VERSION}.sql.gz"
# A test-only superuser on a loopback server whose database is thrown away; the token is in the dump.
USERNAME = "netorch"
TOKEN = "0123456789abcdef0123456789abcdef6e657430"
PG = {"host": "127.0.0.1", "port": "5432", "user": "postgres"}
REDIS = {"host": "127.0.0.1", "port": "6379"}
DB_PREFIX = "netorch_nb_"

_CONFIG = '''\
"""nautobot_config.py for netorch's tests: every setting from NAUTOBOT_* variables, plus a cache prefix."""
import os

from nautobot.core.settings import *  # noqa: F403

# Several test servers share one Redis: each keeps its own cache keys, so one database's cached
# objects never answer for another's.
CACHES["default"]["KEY_PREFIX"] = os.environ.get("NETORCH_NB_CACHE_PREFIX", "netorch")  # noqa: F405
'''


class NautobotSetupError(RuntimeError):
    """The test Nautobot cannot be installed, restored or started; the message says which step."""


def cache_dir() -> Path:
    """Where the venv, the config file and server logs live."""
    return Path(os.environ.get("NETORCH_NAUTOBOT_CACHE", "~/.cache/netorch-nautobot")).expanduser()


def venv_dir() -> Path:
    """The venv holding exactly nautobot==NAUTOBOT_VERSION."""
    return cache_dir() / f"venv-{NAUTOBOT_VERSION}"


def nautobot_server() -> Path:
    """The nautobot-server entry point of the venv."""
    return venv_dir() / "bin" / "nautobot-server"


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """One process at a time (two test sessions may start at once): an flock on a file in the cache."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_venv() -> Path:
    """Install nautobot into its own venv once (~70 s); later calls only check the marker file."""
    marker = venv_dir() / f".netorch-nautobot-{NAUTOBOT_VERSION}"
    if marker.is_file():
        return venv_dir()
    with _locked("venv"):
        if marker.is_file():
            return venv_dir()
        python = shutil.which("python3") or sys.executable
        if not (venv_dir() / "bin" / "python").exists():
            _run([python, "-m", "venv", str(venv_dir())], "create the Nautobot venv")
        pip = str(venv_dir() / "bin" / "pip")
        _run([pip, "install", "-q", f"nautobot=={NAUTOBOT_VERSION}"], f"pip install nautobot=={NAUTOBOT_VERSION}")
        config_file().write_text(_CONFIG, encoding="utf-8")
        marker.write_text(NAUTOBOT_VERSION, encoding="utf-8")
    return venv_dir()


def config_file() -> Path:
    """The nautobot_config.py every server of the tests uses (rewritten when this module changes it)."""
    path = cache_dir() / "nautobot_config.py"
    if not path.is_file() or path.read_text(encoding="utf-8") != _CONFIG:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_CONFIG, encoding="utf-8")
    return path


def _run(cmd: list[str], what: str, *, env: dict[str, str] | None = None, stdin: bytes | None = None) -> str:
    done = subprocess.run(cmd, env=env, input=stdin, capture_output=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()[-5:]
        raise NautobotSetupError(f"cannot {what} (exit {done.returncode}): {' | '.join(tail)}")
    return done.stdout.decode(errors="replace")


def psql(sql: str, *, db: str = "postgres") -> str:
    """Run SQL as the postgres superuser over loopback; NautobotSetupError naming the statement."""
    cmd = [
        "psql",
        "-h",
        PG["host"],
        "-p",
        PG["port"],
        "-U",
        PG["user"],
        "-d",
        db,
        "-v",
        "ON_ERROR_STOP=1",
        "-Atqc",
        sql,
    ]
    return _run(cmd, f"run SQL '{sql[:60]}' on {db}")


def database_exists(name: str) -> bool:
    """Whether PostgreSQL has the database."""
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip() == "1"


def template_name() -> str:
    """The template database of this fixture: its name carries the dump's hash, so a new dump gets a new one."""
    digest = hashlib.sha256(FIXTURE.read_bytes()).hexdigest()[:10]
    return f"{DB_PREFIX}tpl_{NAUTOBOT_VERSION.replace('.', '_')}_{digest}"


def ensure_template() -> str:
    """Restore the checked-in dump into the template database once (~2 s); its name."""
    if not FIXTURE.is_file():
        raise NautobotSetupError(f"no database fixture '{FIXTURE}': run python3 scripts/nautobot_dump.py")
    name = template_name()
    if database_exists(name):
        return name
    with _locked("template"):
        if database_exists(name):
            return name
        staging = f"{name}_restoring"
        psql(f'DROP DATABASE IF EXISTS "{staging}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{staging}"')
        sql = gzip.decompress(FIXTURE.read_bytes())
        cmd = ["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", staging, "-v", "ON_ERROR_STOP=1"]
        _run([*cmd, "-q"], f"restore {FIXTURE.name}", stdin=sql)
        # Renamed only when complete: a restore killed half-way never passes for a template.
        psql(f'ALTER DATABASE "{staging}" RENAME TO "{name}"')
    return name


def fresh_database() -> str:
    """A new database copied from the template (~0.2 s); drop it with drop_database."""
    template = ensure_template()
    name = f"{DB_PREFIX}{uuid.uuid4().hex[:12]}"
    psql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


def drop_database(name: str) -> None:
    """Drop a test database, closing whatever still holds it open."""
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(db: str, *, cache_prefix: str | None = None) -> dict[str, str]:
    """The environment of a nautobot-server command on database ``db``: all settings by NAUTOBOT_* variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAUTOBOT_")}
    env.update(
        {
            "NAUTOBOT_CONFIG": str(config_file()),
            "NAUTOBOT_ROOT": str(cache_dir() / "root"),
            "NAUTOBOT_DB_ENGINE": "django.db.backends.postgresql",
            "NAUTOBOT_DB_HOST": PG["host"],
            "NAUTOBOT_DB_PORT": PG["port"],
            "NAUTOBOT_DB_NAME": db,
            "NAUTOBOT_DB_USER": PG["user"],
            "NAUTOBOT_DB_PASSWORD": "",
            "NAUTOBOT_REDIS_HOST": REDIS["host"],
            "NAUTOBOT_REDIS_PORT": REDIS["port"],
            "NAUTOBOT_ALLOWED_HOSTS": "127.0.0.1 localhost",
            "NAUTOBOT_SECRET_KEY": "netorch-tests-only-" + "x" * 40,
            "NAUTOBOT_INSTALLATION_METRICS_ENABLED": "false",
            "NAUTOBOT_LOG_LEVEL": "WARNING",
            "NETORCH_NB_CACHE_PREFIX": cache_prefix or db,
        }
    )
    return env


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class NautobotServer:
    """One `nautobot-server runserver` on its own database; stopped by its PID."""

    db: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The superuser's API token (from the dump)."""
        return TOKEN

    def start(self, *, ready_timeout_s: float = 240.0) -> NautobotServer:
        """Start runserver and wait until the REST API answers with the token accepted."""
        logs = cache_dir() / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.log = logs / f"{self.db}.log"
        cmd = [str(nautobot_server()), "runserver", f"127.0.0.1:{self.port}", "--insecure", "--noreload"]
        with open(self.log, "wb") as out:
            # --noreload: without it runserver forks a reloader and the PID we hold is not the server.
            self.process = subprocess.Popen(
                cmd, env=server_env(self.db), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + ready_timeout_s
        while True:
            if self.process.poll() is not None:
                raise NautobotSetupError(f"nautobot-server exited ({self.process.returncode}): {self._log_tail()}")
            if self._answers():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise NautobotSetupError(f"nautobot-server not ready in {ready_timeout_s:.0f} s: {self._log_tail()}")
            time.sleep(0.25)

    def _answers(self) -> bool:
        request = urllib.request.Request(
            f"{self.url}/api/status/", headers={"Authorization": f"Token {TOKEN}", "Accept": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def _log_tail(self) -> str:
        if self.log is None or not self.log.is_file():
            return "(no log)"
        return " | ".join(self.log.read_text(errors="replace").strip().splitlines()[-5:])

    def stop(self) -> None:
        """Terminate the server by its PID (then kill it if it lingers) and reap it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.process = None


@contextlib.contextmanager
def running_nautobot() -> Iterator[NautobotServer]:
    """A fresh database behind a started server; both removed afterwards."""
    ensure_venv()
    db = fresh_database()
    server = NautobotServer(db)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        drop_database(db)


_SUPERUSER = f"""
from django.contrib.auth import get_user_model
from nautobot.users.models import Token
user = get_user_model().objects.create_superuser("{USERNAME}", "{USERNAME}@example.invalid", "{USERNAME}-tests")
Token.objects.create(user=user, key="{TOKEN}", description="netorch tests")
"""


def dump() -> Path:
    """Migrate an empty database (~6 min), add the superuser and token, write the gzipped plain-SQL dump."""
    ensure_venv()
    db = f"{DB_PREFIX}dump_{os.getpid()}"
    drop_database(db)
    psql(f'CREATE DATABASE "{db}"')
    env = server_env(db)
    try:
        started = time.monotonic()
        _run([str(nautobot_server()), "migrate", "--no-input"], "migrate", env=env)
        print(f"migrate: {time.monotonic() - started:.0f} s", flush=True)
        _run([str(nautobot_server()), "shell", "--command", _SUPERUSER], "create the test superuser", env=env)
        cmd = ["pg_dump", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "--no-owner", "--no-privileges", db]
        sql = _run(cmd, "pg_dump").encode()
    finally:
        drop_database(db)
    FIXTURE.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same database dumps to the same bytes, so a regenerated fixture diffs honestly.
    FIXTURE.write_bytes(gzip.compress(sql, compresslevel=9, mtime=0))
    print(f"wrote {FIXTURE} ({FIXTURE.stat().st_size // 1024} KiB)", flush=True)
    return FIXTURE


def main(argv: list[str]) -> int:
    """`venv` installs, `dump` regenerates the fixture, `serve` runs a fresh server until Ctrl-C."""
    command = argv[1] if len(argv) > 1 else ""
    try:
        if command == "venv":
            print(ensure_venv())
        elif command == "dump":
            dump()
        elif command == "serve":
            with running_nautobot() as server:
                print(
                    f"Nautobot {NAUTOBOT_VERSION} at {server.url} (token {server.token}); Ctrl-C stops it", flush=True
                )
                with contextlib.suppress(KeyboardInterrupt):
                    while True:
                        time.sleep(3600)
        else:
            print("usage: nbserver.py venv|dump|serve", file=sys.stderr)
            return 2
    except NautobotSetupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
