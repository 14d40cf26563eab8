"""Where a netorch server may listen: the one bind rule of `netorch serve` and `netorch mcp … --transport http`.

A server without bearer tokens answers whoever reaches it, so it may listen on loopback only; so does
a server whose tokens are short enough to guess (the README's ``change-me`` copied into production).
"Loopback" is decided on the addresses the name resolves to, every one of them: ``0.0.0.0`` and ``::``
are every interface, and a host name counts only if all its addresses are loopback (``localhost``
usually is; a name that also resolves to a LAN address is not). An unresolvable or empty name is not
loopback: when in doubt, refuse. Everything is decided before binding.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from orchestrator.config import ApiConfig

__all__ = ["MIN_TOKEN_CHARS", "BindVerdict", "bind_verdict", "is_loopback"]

# 16 random characters are ~95 bits from an URL-safe alphabet: out of reach of online guessing.
MIN_TOKEN_CHARS = 16
_GENERATE = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and names that resolve only to them (e.g. localhost)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(ipaddress.ip_address(str(info[4][0])).is_loopback for info in infos)


@dataclass(frozen=True)
class BindVerdict:
    """Whether a server may listen on a host: a refusal (one line), else perhaps a warning."""

    refusal: str | None = None
    warning: str | None = None


def bind_verdict(api: ApiConfig, host: str, consequence: str, what: str = "") -> BindVerdict:
    """The bind rule for a server (``what``) authenticated by ``api.tokens``, whose abuse would ``consequence``."""
    served = f" {what}" if what else ""
    local = is_loopback(host)
    if not api.tokens:
        if not local:
            return BindVerdict(
                refusal=f"refusing to serve{served} on '{host}' with no api.tokens configured: anyone who can reach "
                f"it could {consequence} (add api.tokens to netorch.yaml, or serve on 127.0.0.1)"
            )
        return BindVerdict(warning=f"auth is OFF: no api.tokens configured; serving on loopback '{host}' only")
    weak = [t.name for t in api.tokens if len(t.token) < MIN_TOKEN_CHARS]
    if not weak:
        return BindVerdict()
    names = ", ".join(f"'{name}'" for name in weak)
    problem = f"api.tokens {names} shorter than {MIN_TOKEN_CHARS} characters"
    if not local:
        return BindVerdict(
            refusal=f"refusing to serve{served} on '{host}' with {problem}: a guessable token is no authentication "
            f"(generate one with {_GENERATE}, or serve on 127.0.0.1)"
        )
    return BindVerdict(warning=f"{problem}; fine on loopback '{host}', refused on any other address")
