"""The reader's address, honouring only the proxies the operator says are in front of Civility.

``CIVILITY_TRUSTED_PROXIES`` (settings.TRUSTED_PROXIES):
- empty (default): the socket address; forwarding headers are ignored, since anyone can send them;
- a number N: that many proxies in front of Civility, the nearest one at the socket address; the
  client is the address N hops back along ``Forwarded`` / ``X-Forwarded-For`` + the socket;
- a comma-separated list of addresses or CIDR networks: walking back from the socket address,
  every hop inside those networks is a proxy; the first hop outside them is the client.

Hops a client could have forged (left of the trusted ones) are never used. django-ipware was
tried first: its proxy count leaves out the proxy at the socket address and its trusted list
does not check the socket address itself, so both settings would have read differently from
every proxy's documentation; this is the standard right-to-left walk in ~40 lines.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings

_FOR = re.compile(r'for=(?:"?\[?)([^\]";,]+)', re.IGNORECASE)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_trusted(raw: str) -> tuple[int, tuple[Network, ...]]:
    """(proxy count, proxy networks) from the setting; raises ValueError when malformed."""
    raw = raw.strip()
    if not raw:
        return 0, ()
    if raw.isdigit():
        return int(raw), ()
    networks = tuple(ipaddress.ip_network(part.strip(), strict=False) for part in raw.split(","))
    return 0, networks


def _address(text: str) -> str | None:
    text = text.strip().strip('"')
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def forwarded_hops(meta: Mapping[str, Any]) -> list[str | None]:
    """The addresses the proxies recorded, client first (RFC 7239 Forwarded wins over XFF)."""
    forwarded = str(meta.get("HTTP_FORWARDED", "") or "")
    if forwarded:
        return [_address(m.group(1)) for m in _FOR.finditer(forwarded)]
    xff = str(meta.get("HTTP_X_FORWARDED_FOR", "") or "")
    return [_address(part) for part in xff.split(",") if part.strip()]


def client_ip(meta: Mapping[str, Any]) -> str:
    """The client's address for ``request.META`` (rate limits, hashed on comments)."""
    remote = _address(str(meta.get("REMOTE_ADDR", "") or "")) or ""
    count, networks = parse_trusted(settings.TRUSTED_PROXIES)
    if not count and not networks:
        return remote
    chain = [*forwarded_hops(meta), remote]
    if count:
        # chain[-1] is the nearest proxy; the client is `count` hops before it.
        index = len(chain) - 1 - count
        hop = chain[max(index, 0)]
        return hop or remote
    for hop in reversed(chain):
        if hop is None:
            return remote  # a malformed hop: nothing left of it can be trusted
        address = ipaddress.ip_address(hop)
        if not any(address in net for net in networks):
            return hop
    return chain[0] or remote


def hash_ip(ip: str) -> str:
    """The salted hash that stands for a reader's address wherever one is kept ("" for none)."""
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.IP_HASH_SALT}:{ip}".encode()).hexdigest()


def pseudonymous_address(ip: str) -> str:
    """A stand-in for ``ip`` where a library wants an IP address field (django-axes' lock-out
    rows): an IPv6 unique-local address (fd00::/8) made from `hash_ip`, so the same reader still
    maps to the same row while the stored value does not reveal the address."""
    return str(ipaddress.IPv6Address(b"\xfd" + bytes.fromhex(hash_ip(ip))[:15]))
