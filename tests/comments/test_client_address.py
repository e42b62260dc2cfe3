"""Client addresses behind proxies, per-address limits larger than per-reader ones, Retry-After,
and posting that survives a Redis that is down (a real redis-server the test starts and kills)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from typing import Any

import pytest

from civility.clientip import client_ip

from .conftest import Api


def meta(remote: str, xff: str = "", forwarded: str = "") -> dict[str, str]:
    out = {"REMOTE_ADDR": remote}
    if xff:
        out["HTTP_X_FORWARDED_FOR"] = xff
    if forwarded:
        out["HTTP_FORWARDED"] = forwarded
    return out


def test_without_trusted_proxies_forwarding_headers_are_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXIES = ""
    assert client_ip(meta("203.0.113.9", xff="1.2.3.4")) == "203.0.113.9"


def test_a_proxy_count_takes_the_hop_that_many_back(settings: Any) -> None:
    settings.TRUSTED_PROXIES = "1"
    # nginx at 10.0.0.1 appended the client; anything left of it the client could have forged.
    assert client_ip(meta("10.0.0.1", xff="6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    settings.TRUSTED_PROXIES = "2"  # a CDN, then nginx
    assert client_ip(meta("10.0.0.1", xff="6.6.6.6, 198.51.100.7, 10.9.9.9")) == "198.51.100.7"
    assert client_ip(meta("10.0.0.1")) == "10.0.0.1"  # no header: the socket, never a guess


def test_trusted_networks_walk_back_from_the_socket(settings: Any) -> None:
    settings.TRUSTED_PROXIES = "10.0.0.0/8, 127.0.0.1"
    assert client_ip(meta("10.0.0.1", xff="6.6.6.6, 198.51.100.7, 10.0.0.2")) == "198.51.100.7"
    # The socket is not a trusted proxy: its headers mean nothing.
    assert client_ip(meta("203.0.113.9", xff="198.51.100.7")) == "203.0.113.9"
    # RFC 7239 Forwarded, with an IPv6 address and port.
    fwd = 'for=192.0.2.60;proto=http, for="[2001:db8::17]:4711"'
    assert client_ip(meta("127.0.0.1", forwarded=fwd)) == "2001:db8::17"
    # A malformed hop stops the walk: the nearest trusted hop's view is used.
    assert client_ip(meta("10.0.0.1", xff="198.51.100.7, not-an-ip")) == "10.0.0.1"


def test_readers_behind_one_proxy_are_not_limited_as_one(settings: Any, site, story, make_reader):
    settings.TRUSTED_PROXIES = "127.0.0.1"
    site.rate_limit_per_minute, site.ip_rate_limit_per_minute = 5, 8
    site.save()
    readers = [Api(make_reader()[1]) for _ in range(10)]

    def post(api: Api, body: str, client: str) -> Any:
        api.client.defaults.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=client)
        return api.post(f"/stories/{story.pk}/comments", {"body": body})

    # Ten readers at ten addresses behind the proxy: every one is heard.
    for i, api in enumerate(readers):
        assert post(api, f"hello from {i}", f"198.51.100.{i + 1}").status_code == 201
    # Ten readers sharing one address (a newsroom's NAT): the larger per-address limit applies.
    codes = [post(api, f"again {i}", "203.0.113.5").status_code for i, api in enumerate(readers)]
    assert codes == [201] * 8 + [429] * 2
    refused = post(readers[9], "once more", "203.0.113.5")
    assert refused.status_code == 429 and refused.json_body["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 60
    # A forged X-Forwarded-For from a client that is not the proxy changes nothing.
    settings.TRUSTED_PROXIES = "10.0.0.0/8"
    assert post(readers[0], "forged", "192.0.2.1").status_code == 201  # socket 127.0.0.1 counted


def test_the_per_reader_limit_says_when_to_retry(site, story, reader) -> None:
    _, alice = reader
    site.rate_limit_per_minute = 1
    site.save()
    assert alice.post(f"/stories/{story.pk}/comments", {"body": "one"}).status_code == 201
    refused = alice.post(f"/stories/{story.pk}/comments", {"body": "two"})
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()

    def start() -> subprocess.Popen:
        proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--dir", str(tmp_path)],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    state = {"proc": start()}
    yield port, state, start
    state["proc"].kill()
    state["proc"].wait()


def test_posts_and_reads_survive_redis_going_down(settings: Any, own_redis, site, story, reader):
    from civility import events

    port, state, start = own_redis
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 0.25,
                "SOCKET_TIMEOUT": 0.5,
            },
        }
    }
    events._redis_client = None
    _, alice = reader
    site.rate_limit_per_minute = 100
    site.save()
    try:
        assert alice.post(f"/stories/{story.pk}/comments", {"body": "up"}).status_code == 201
        import redis

        assert redis.Redis(port=port).keys("civility:hits:*"), "the limits counted in Redis"
        state["proc"].kill()
        state["proc"].wait()
        posted = [
            alice.post(f"/stories/{story.pk}/comments", {"body": f"down {i}"}).status_code
            for i in range(20)
        ]
        assert posted == [201] * 20
        thread = alice.get(f"/stories/{story.pk}/comments?sort=oldest")
        assert thread.status_code == 200
        assert len(thread.json_body["comments"]) == 21
        state["proc"] = start()  # back: posts keep working, through Redis again
        assert alice.post(f"/stories/{story.pk}/comments", {"body": "back"}).status_code == 201
    finally:
        events._redis_client = None


def test_live_events_without_redis_send_the_catch_up_and_a_retry(
    settings: Any, own_redis, site, story, reader, client
) -> None:
    from civility import events

    port, state, _start = own_redis
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    events._redis_client = None
    try:
        state["proc"].kill()
        state["proc"].wait()
        resp = client.get(f"/api/v1/stories/{story.pk}/events")
        assert resp.status_code == 200 and resp["Content-Type"] == "text/event-stream"
        body = b"".join(resp.streaming_content)  # ends by itself: no live source to wait on
        assert f"retry: {events.REDIS_LOST_RETRY_MS}".encode() in body
    finally:
        events._redis_client = None
