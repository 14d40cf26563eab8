"""A tiny HTTP server for ``/metrics`` (stdlib only), so a real Prometheus can scrape the lab.

``GET /metrics`` serves the whole lab; ``?device=a-acc-01`` or ``?location=building-b`` narrows it
(useful at 5,000 devices, where the full page is ~150 MB). ``GET /-/healthy`` answers 200.
"""

from __future__ import annotations

import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from netlab.errors import LabError
from netlab.lab import Lab
from netlab.metrics import CONTENT_TYPE

__all__ = ["MetricsServer", "make_metrics_server"]


class MetricsServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its lab."""

    daemon_threads = True
    lab: Lab

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:9109."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def start_background(self) -> threading.Thread:
        """Serve in a daemon thread (for tests and embedding); stop with shutdown()."""
        thread = threading.Thread(target=self.serve_forever, name="netlab-metrics", daemon=True)
        thread.start()
        return thread


class _Handler(BaseHTTPRequestHandler):
    server: MetricsServer

    def log_message(self, format: str, *args: object) -> None:
        """Silence per-request logging (a scrape every second would flood the terminal)."""

    def _send(self, status: HTTPStatus, body: str, content_type: str = "text/plain; charset=utf-8") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        """Serve /metrics and /-/healthy."""
        url = urlsplit(self.path)
        if url.path == "/-/healthy":
            self._send(HTTPStatus.OK, "netlab metrics: healthy\n")
            return
        if url.path != "/metrics":
            self._send(HTTPStatus.NOT_FOUND, "not found: try /metrics\n")
            return
        query = parse_qs(url.query)
        try:
            text = self.server.lab.metrics_text(
                device=query.get("device", [None])[0], location=query.get("location", [None])[0]
            )
        except LabError as exc:
            self._send(HTTPStatus.BAD_REQUEST, f"{exc}\n")
            return
        self._send(HTTPStatus.OK, text, CONTENT_TYPE)


def make_metrics_server(lab: Lab, host: str = "127.0.0.1", port: int = 9109) -> MetricsServer:
    """Bind the server (port 0 picks a free port); call serve_forever() or start_background()."""
    server = MetricsServer((host, port), _Handler)
    server.lab = lab
    return server
