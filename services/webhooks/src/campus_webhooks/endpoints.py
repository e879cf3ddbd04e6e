"""Which URLs a ministry may register: HTTPS to a public host.

Plain ``http://`` is accepted for loopback hosts (``127.0.0.1``, ``localhost``, ``[::1]``) in
development only, for a receiver on the developer's machine. Outside development an address
literal in a private, loopback or link-local range is refused (this service must not be a way
into the cluster's network); a name that resolves to such an address is not checked here.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_URL_LENGTH = 2048


def check_url(url: str, *, development: bool) -> str:
    """``url`` if it may be registered; ``ValueError`` with the reason otherwise."""
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"at most {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 0x20 for c in url):
        raise ValueError("no spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"not a URL: {exc}") from None
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("an absolute URL with a host is required")
    if parts.username or parts.password:
        raise ValueError("no credentials in the URL: authenticate the requests by their signature")
    if parts.fragment:
        raise ValueError("no fragment")
    if parts.scheme == "http" and development and host in LOOPBACK_HOSTS:
        return url
    if parts.scheme != "https":
        hint = " (http:// is accepted for 127.0.0.1 and localhost in development only)"
        raise ValueError("the URL must use https" + hint)
    if not development:
        if host == "localhost" or host.endswith(".localhost"):
            raise ValueError("not a public host")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return url  # a name
        if not address.is_global:
            raise ValueError("not a public address")
    return url
