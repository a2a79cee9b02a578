"""Who may read and write through the review server: the analyst's own page, nobody else.

Human labels win in every report, so a write must come from the page this server
served, not from another web page open in the same browser or another local user:
- every request must name this server in `Host` (a DNS-rebinding page reaches a
  loopback server under its own host name, so a foreign name is refused);
- a write must come from this server's own origin (`Origin`, or where a browser
  sends none, `Sec-Fetch-Site: same-origin`), carry the session's token (generated
  at start and given only inside the page, sent back as `X-Stance-Token`), and be
  `application/json` (what HTML forms and "simple" cross-site requests cannot send
  without a preflight this server never answers).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from typing import Mapping, Optional

TOKEN_HEADER = "X-Stance-Token"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("", "0.0.0.0", "::")


def new_token() -> str:
    """A fresh unguessable token for one serving session."""
    return secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    """Whether binding to `host` keeps the server on this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Refusal:
    """Why a request is refused: the HTTP status and a one-line reason."""

    status: int
    reason: str


def _split_host(value: str) -> tuple[str, Optional[str]]:
    """("name", "port") of a Host header value, IPv6 brackets removed."""
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else None
    name, sep, port = value.rpartition(":")
    return (name, port) if sep else (value, None)


def _is_ip_literal(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class RequestGuard:
    """Checks each request's headers against the address the server listens on and the session token."""

    def __init__(self, bound_host: str, port: int, token: str):
        self.bound_host, self.port, self.token = bound_host, int(port), token

    def expected_hosts(self) -> str:
        """The Host values accepted, for messages."""
        if self.bound_host in WILDCARD_HOSTS:
            return f"an IP address or localhost, with port {self.port}"
        names = ("127.0.0.1", "localhost") if is_loopback(self.bound_host) else (self.bound_host,)
        return " or ".join(f"{n}:{self.port}" for n in names)

    def host_allowed(self, value: str) -> bool:
        name, port = _split_host(value.strip().lower())
        if port != str(self.port):
            return False
        if self.bound_host in WILDCARD_HOSTS:  # any address of this machine; never a DNS name but localhost
            return name == "localhost" or _is_ip_literal(name)
        if is_loopback(self.bound_host):
            return name in {*LOOPBACK_HOSTS, self.bound_host.lower()}
        return name == self.bound_host.lower()

    def check_read(self, headers: Mapping[str, str]) -> Optional[Refusal]:
        """None when a GET may be answered; else why not."""
        host = headers.get("Host") or ""
        if not self.host_allowed(host):
            return Refusal(421, f"Host {host!r} is not this server's address; expected {self.expected_hosts()}")
        return None

    def check_write(self, headers: Mapping[str, str]) -> Optional[Refusal]:
        """None when a POST may be carried out; else why not."""
        refused = self.check_read(headers)
        if refused is not None:
            return refused
        own_origin = f"http://{headers.get('Host', '').strip()}"
        origin = headers.get("Origin")
        if origin is not None:
            if origin.strip().lower() != own_origin.lower():
                return Refusal(403, f"Origin {origin!r} is not this page's origin ({own_origin}); "
                                    "labels are accepted only from the review page itself")
        elif (headers.get("Sec-Fetch-Site") or "").strip().lower() != "same-origin":
            return Refusal(403, "no Origin header and no Sec-Fetch-Site: same-origin; "
                                "labels are accepted only from the review page itself")
        token = (headers.get(TOKEN_HEADER) or "").strip()
        if not hmac.compare_digest(token.encode("utf-8", "replace"), self.token.encode("utf-8")):
            return Refusal(403, f"{'wrong' if token else 'no'} {TOKEN_HEADER} header; expected the token of the "
                                "review page this server is serving (reload the page)")
        kind = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind != "application/json":
            return Refusal(415, f"Content-Type {kind or 'missing'!r}; expected application/json")
        return None
