"""`civility demo` as a publisher first meets it (issue 14, item 6 and its defects), in a real
process: the start page at /, the demo article (also in German), Swagger UI and Django's admin
from local static files (WhiteNoise: hashed names, compressed, cached for a year), createsite
snippets that point at the running demo, and a clear refusal when the port is taken.

Browser checks run in Debian's Chromium at 1280 and 390 px (screenshots in test-output/publisher/)
and assert that no request leaves the demo's origin.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

REPO = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO / "test-output")) / "publisher"
WIDTHS = {"desktop": 1280, "phone": 390}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CIVILITY_", "DATABASE_URL"))}
    env.update(
        CIVILITY_DATA_DIR=str(data_dir),
        CIVILITY_SECRET_KEY="demo-server-test-key",
        CIVILITY_LOG_LEVEL="ERROR",
        CIVILITY_REQUEST_LOG="0",
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _civility(*args: str, data_dir: Path, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "civility", *args],
        cwd=REPO,
        env=_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - our own server
    try:
        with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 - our own server
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data_dir = tmp_path_factory.mktemp("demo-data")
    port = _free_port()
    log = (data_dir / "demo.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "civility", "demo", "--port", str(port)],
        cwd=REPO,
        env=_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300  # migrations, the model, 31 comments scored, collectstatic
    while True:
        if proc.poll() is not None:
            pytest.fail(f"civility demo exited: {(data_dir / 'demo.log').read_text()[-3000:]}")
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"civility demo did not start: {(data_dir / 'demo.log').read_text()}")
        time.sleep(0.5)
    yield {"base": base, "port": port, "data_dir": data_dir, "log": data_dir / "demo.log"}
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_the_banner_names_the_start_page_and_api_docs(demo):
    banner = demo["log"].read_text()
    assert f"Start page:             {demo['base']}/" in banner
    assert f"{demo['base']}/api/v1/docs" in banner and "Moderator login:" in banner


def test_static_files_have_hashed_names_compression_and_long_caching(demo):
    status, _, html = _get(f"{demo['base']}/admin/login/")
    assert status == 200
    css = re.findall(r'href="(/static/admin/css/base\.[0-9a-f]{12}\.css)"', html.decode())
    assert css, "the admin's stylesheet has no content hash in its name"
    status, headers, body = _get(demo["base"] + css[0], **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Content-Encoding") == "gzip"
    assert b"body" in gzip.decompress(body)
    cache = headers.get("Cache-Control", "")
    assert "immutable" in cache and int(re.search(r"max-age=(\d+)", cache)[1]) >= 31536000
    # API docs: Swagger UI from this server, never a CDN.
    status, _, docs = _get(f"{demo['base']}/api/v1/docs")
    page = docs.decode()
    assert status == 200
    assert re.search(r'src="/static/ninja/swagger-ui-bundle\.[0-9a-f]{12}\.js"', page), page
    assert not re.search(r"cdn|jsdelivr|unpkg|https?://", page.replace(demo["base"], ""))


def test_createsite_prints_a_snippet_for_the_running_demo(demo):
    result = _civility(
        "manage", "createsite", "courier", "--origin", "https://courier.example",
        data_dir=demo["data_dir"],
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f'<script src="{demo["base"]}/embed.js" data-site="courier"' in result.stdout
    assert "127.0.0.1:8000" not in result.stdout
    result = _civility(
        "manage", "createsite", "courier", "--url", "https://comments.courier.example/",
        data_dir=demo["data_dir"],
    )  # fmt: skip
    assert '<script src="https://comments.courier.example/embed.js"' in result.stdout
    result = _civility(
        "manage", "createsite", "courier", "--url", "courier", data_dir=demo["data_dir"]
    )
    assert result.returncode != 0 and "--url must look like" in result.stderr


def test_a_second_demo_on_a_taken_port_fails_before_printing_the_login(demo, tmp_path):
    result = _civility("demo", "--port", str(demo["port"]), data_dir=tmp_path, timeout=60)
    assert result.returncode == 1
    assert f"port {demo['port']} on 127.0.0.1 is already in use" in result.stderr
    assert "Moderator login" not in result.stdout and "Moderator login" not in result.stderr
    assert not (tmp_path / "demo-moderator.txt").exists()  # it stopped before creating anything


def test_demo_help_explains_its_options(tmp_path):
    result = _civility("demo", "--help", data_dir=tmp_path, timeout=60)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert "--port PORT port to serve the demo on (default 8000)" in text
    assert "--host HOST address to listen on" in text and "--url URL" in text
    bad = _civility("demo", "--port", "99999", data_dir=tmp_path, timeout=60)
    assert bad.returncode == 2 and "99999 is not a port number" in bad.stderr


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def page(request: pytest.FixtureRequest, browser: Any, demo: dict[str, Any]) -> Iterator[Any]:
    width = WIDTHS[request.param]
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    seen: list[str] = []
    ctx.on("request", lambda r: seen.append(r.url))
    errors: list[str] = []
    p = ctx.new_page()
    p.set_default_timeout(30_000)
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.width = width  # type: ignore[attr-defined]
    yield p
    ctx.close()
    assert errors == [], errors
    # Zero third-party requests: everything came from the demo itself.
    strangers = [
        u
        for u in seen
        if u.startswith("http") and urlsplit(u).netloc != urlsplit(demo["base"]).netloc
    ]
    assert strangers == [], strangers


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(250)
    page.screenshot(path=str(SHOTS / f"{name}-{page.width}.png"), full_page=True)


@pytest.mark.browser
def test_start_page_leads_to_the_article_the_desk_and_the_docs(demo, page):
    from playwright.sync_api import expect

    page.goto(demo["base"] + "/")
    expect(page.get_by_role("heading", name="Civility")).to_be_visible()
    _shot(page, "start-page")
    page.get_by_role("link", name="Demo article with comments").click()
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.locator("#civ-count")).to_contain_text("comments")
    page.go_back()
    page.get_by_role("link", name="Deutsch").click()
    expect(page.frame_locator("#civility-thread iframe").locator("#civ-count")).to_contain_text(
        "Kommentare"
    )
    _shot(page, "demo-article-de")
    page.goto(demo["base"] + "/")
    page.get_by_role("link", name="Moderation desk").click()
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_label("Password")).to_be_visible()  # the desk's sign-in
    page.goto(demo["base"] + "/")
    page.get_by_role("link", name="API documentation").click()
    # Swagger UI drew the OpenAPI document: from local assets, it works offline.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Civility")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    _shot(page, "api-docs")


@pytest.mark.browser
def test_django_admin_is_styled(demo, page):
    from playwright.sync_api import expect

    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(demo["base"] + "/admin/login/")
    expect(page.locator("#header")).to_be_visible()
    # The admin's stylesheet applied: its header has a colour, the login box a width.
    background = page.locator("#header").evaluate("e => getComputedStyle(e).backgroundColor")
    assert background not in {"rgba(0, 0, 0, 0)", "transparent"}, background
    assert failed == [], failed
    _shot(page, "admin-login")
