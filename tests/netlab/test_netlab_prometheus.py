"""A real Prometheus accepts and scrapes the lab's /metrics (skipped where Prometheus is not installed)."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from netlab import Lab
from netlab.metrics_server import make_metrics_server

pytestmark = pytest.mark.prometheus


def test_promtool_accepts_the_page(lab: Lab, tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian package 'prometheus')")
    lab.inject("crc_errors")
    lab.inject("device_unreachable", device="b-acc-01")
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=lab.metrics_text(), capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _query(base: str, expr: str) -> list[dict[str, object]]:
    url = f"{base}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        body = json.loads(response.read())
    assert body["status"] == "success"
    return list(body["data"]["result"])


@pytest.mark.slow
def test_a_real_prometheus_scrapes_the_lab(lab: Lab, tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus is not installed (Debian package 'prometheus')")
    lab.inject("device_unreachable", device="b-acc-01")
    server = make_metrics_server(lab, "127.0.0.1", 0)
    server.start_background()
    web = _free_port()
    config = tmp_path / "prometheus.yml"
    host_port = server.url.removeprefix("http://")
    config.write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: netlab\n    static_configs:\n      - targets: ['{host_port}']\n"
    )
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{web}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{web}"
        deadline = time.monotonic() + 30
        result: list[dict[str, object]] = []
        while time.monotonic() < deadline and not result:
            time.sleep(0.5)
            try:
                result = _query(base, 'netlab_device_reachable{device="b-acc-01"}')
            except OSError:
                continue
        assert result, "Prometheus never scraped the lab"
        assert result[0]["value"][1] == "0"  # type: ignore[index]
        up = _query(base, 'netlab_interface_oper_up{device="b-dist-01",interface="TenGigabitEthernet1/0/1"}')
        assert up and up[0]["value"][1] == "0"  # type: ignore[index]  # the far end of b-acc-01 is dark
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        server.shutdown()
        server.server_close()
