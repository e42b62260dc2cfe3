"""`/metrics`: Prometheus text format, for monitoring only.

Allowed when the client (civility.clientip: the socket address, or the address a trusted proxy
reports) is in CIVILITY_METRICS_ALLOW (default loopback), or with ``Authorization: Bearer
<CIVILITY_METRICS_TOKEN>``. A request relayed by a proxy Civility was not told about
(forwarding headers, CIVILITY_TRUSTED_PROXIES empty) is refused without the token: behind such
a proxy every reader would come from the proxy's loopback address. Proxies should not pass
/metrics on at all (deploy/nginx.conf answers 404); Prometheus scrapes each node directly.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

from civility.clientip import Network, client_ip
from civility.errors import json_error
from civility.ops.collectors import ClusterCollector
from civility.ops.multiproc import ENV

log = logging.getLogger(__name__)
_cluster = CollectorRegistry(auto_describe=False)
_cluster.register(ClusterCollector())


@lru_cache(maxsize=4)
def allowed_networks(raw: str) -> tuple[Network, ...]:
    try:
        return tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in raw.split(",")
            if part.strip()
        )
    except ValueError:
        log.error("CIVILITY_METRICS_ALLOW %r is malformed: /metrics refuses every address", raw)
        return ()


def metrics_allowed(request: HttpRequest) -> bool:
    token = str(settings.METRICS_TOKEN or "")
    auth = request.headers.get("Authorization", "")
    if token and auth.startswith("Bearer "):
        return hmac.compare_digest(auth[7:].strip().encode(), token.encode())
    networks = allowed_networks(str(settings.METRICS_ALLOW or ""))
    relayed = request.META.get("HTTP_X_FORWARDED_FOR") or request.META.get("HTTP_FORWARDED")
    if not networks or (relayed and not str(settings.TRUSTED_PROXIES).strip()):
        return False
    try:
        address = ipaddress.ip_address(client_ip(request.META))
    except ValueError:
        return False
    return any(address in net for net in networks)


def exposition() -> bytes:
    """This server's metrics (all its worker processes under `civility serve`) and the
    cluster's gauges."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        local = generate_latest(registry)
    else:
        local = generate_latest(REGISTRY)
    return local + generate_latest(_cluster)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return json_error("forbidden", "Metrics are for monitoring only.", 403)
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
