"""The desk's Content-Security-Policy, its session lifetime and Secure cookies.

The policy allows no inline script or style (civility/moderation/csp.py); the rendered desk pages
are checked to need none, and Chromium drives the desk under it (browser test below).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from base64 import b32decode
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

from civility.moderation.csp import POLICY
from tests.security.conftest import PASSWORD

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output"))


class InlineCode(HTMLParser):
    """Everything a policy without 'unsafe-inline' would block."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and not names.get("src") and names.get("type") != "application/json":
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{name}= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.found.append(f"javascript: URL on <{tag}>")


@pytest.fixture
def desk_pages(db, site, story, make_staff, make_reader):
    from civility.comments.models import Comment, Site
    from civility.moderation.models import SiteMembership

    admin = make_staff("ada", role="admin")
    Site.objects.create(name="Second", slug="second", allowed_origins=["*"])
    SiteMembership.objects.create(site=Site.objects.get(slug="second"), user=admin, role="admin")
    author, _ = make_reader("author")
    comment = Comment.objects.create(
        story=story, author=author, body="A <b>held</b> comment", html="<p>x</p>"
    )
    client = Client()
    client.force_login(admin)
    pages = [
        "/moderate/",
        "/moderate/news/",
        f"/moderate/news/?story={story.pk}",
        f"/moderate/news/comments/{comment.pk}/",
        f"/moderate/news/users/{author.pk}/",
        "/moderate/news/settings/",
        "/moderate/news/appeals/",
        "/moderate/news/transparency/",
        "/moderate/news/guidelines/",
        "/moderate/2fa/",
    ]
    return client, pages


@pytest.mark.django_db
def test_every_desk_page_sends_the_policy(desk_pages) -> None:
    client, pages = desk_pages
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        assert resp["Content-Security-Policy"] == POLICY, url
    assert Client().get("/moderate/login/")["Content-Security-Policy"] == POLICY
    assert client.get("/moderate/news/api/queue")["Content-Security-Policy"] == POLICY
    assert "script-src 'self'" in POLICY and "unsafe-inline" not in POLICY
    # Other paths keep their own headers (the embed runs inside publishers' pages).
    assert "Content-Security-Policy" not in Client().get("/api/v1/stories/1")


@pytest.mark.django_db
def test_desk_pages_need_no_inline_script_or_style(desk_pages) -> None:
    client, pages = desk_pages
    pages += ["/moderate/login/"]
    for url in pages:
        checker = InlineCode()
        checker.feed(client.get(url).content.decode())
        assert not checker.found, f"{url}: {checker.found}"


def _settings_in_a_fresh_process(**env: str) -> dict[str, object]:
    code = (
        "import json, civility.settings as s; print(json.dumps([s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_AGE]))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CIVILITY_")}
    clean.update(CIVILITY_SECRET_KEY="x" * 50, CIVILITY_DATA_DIR=os.environ["CIVILITY_DATA_DIR"])
    out = subprocess.run(
        [sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    secure, csrf_secure, age = json.loads(out.stdout)
    assert secure == csrf_secure
    return {"secure": secure, "age": age}


def test_cookies_are_secure_when_the_public_url_is_https() -> None:
    assert _settings_in_a_fresh_process()["secure"] is False  # http://127.0.0.1:8000
    https = {"CIVILITY_PUBLIC_URL": "https://comments.example"}
    assert _settings_in_a_fresh_process(**https)["secure"] is True
    off = _settings_in_a_fresh_process(**https, CIVILITY_SECURE_COOKIES="0")
    assert off["secure"] is False  # the variable still overrides
    on = _settings_in_a_fresh_process(CIVILITY_SECURE_COOKIES="1")
    assert on["secure"] is True


def test_desk_sessions_last_a_working_day() -> None:
    assert _settings_in_a_fresh_process()["age"] == 12 * 3600
    assert _settings_in_a_fresh_process(CIVILITY_SESSION_HOURS="2")["age"] == 2 * 3600


@pytest.mark.django_db
def test_the_desk_session_cookie_carries_the_lifetime(make_staff, settings) -> None:
    settings.SESSION_COOKIE_SECURE = True  # what an https PUBLIC_URL gives
    make_staff("mona")
    client = Client()
    resp = client.post("/moderate/login/", {"username": "mona", "password": PASSWORD})
    cookie = resp.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == settings.SESSION_COOKIE_AGE == 12 * 3600
    assert cookie["secure"] and cookie["httponly"]


# --- in Chromium --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_desk_under_its_policy_with_a_second_factor(browser, live_server, settings) -> None:
    """A moderator of a site that requires a second factor signs in, sets up the app from the
    key on the page, and works the live queue: no CSP violation anywhere on the way."""
    from django_otp.oath import totp

    from civility.accounts.models import User
    from civility.comments.models import Comment, Site, Story
    from civility.moderation.models import SiteMembership

    settings.PUBLIC_URL = live_server.url
    site = Site.objects.create(
        name="Daily News",
        slug="daily",
        allowed_origins=["*"],
        settings={"require_staff_2fa": True},
    )
    story = Story.objects.create(site=site, url="https://news.example/a", title="A story")
    moderator = User.objects.create_user("maria", password=PASSWORD)
    SiteMembership.objects.create(site=site, user=moderator, role="moderator")
    reader = User.objects.create_user("reader", password="reader-password-1")
    held = Comment.objects.create(story=story, author=reader, body="Held for review", html="x")

    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = ctx.new_page()
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))
    page.goto(f"{live_server.url}/moderate/login/?next=/moderate/daily/")
    page.fill("input[name=username]", "maria")
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(r".*/moderate/2fa/\?next=.*"))
    assert page.evaluate("document.querySelector('[data-testid=qr]').naturalWidth") > 0
    secret = page.locator("[data-testid=secret]").inner_text().replace(" ", "")
    key = b32decode(secret + "=" * (-len(secret) % 8))
    page.fill("input[name=otp_token]", f"{totp(key):06d}")
    page.press("input[name=otp_token]", "Enter")
    page.wait_for_url(re.compile(r".*/moderate/daily/$"))
    page.locator("body[data-live='1'][data-loaded='1']").wait_for()
    page.locator(f".mod-card[data-id='{held.pk}']").wait_for()
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(TEST_OUTPUT / "desk-under-csp.png"))
    assert page.evaluate("window.__csp") == []
    assert not [m for m in console if "Content Security Policy" in m]
    ctx.close()
