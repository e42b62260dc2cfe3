"""The widget and single-use SSO tokens, in Chromium: the same page again (a reload) carries
the same token, which the server refuses as a replay; the session the token gave is kept.

The publisher's page is served on the same site as Civility (localhost, another port), as with a
comments.news.example subdomain: there the widget may keep its session in storage. (Cross-site,
browsers that block third-party storage give the widget no memory between page loads: each
page needs a fresh token, which is what publishers sign per page view.)
"""

from __future__ import annotations

import time

import jwt
import pytest

from tests.comments.test_browser import article, publisher  # noqa: F401 - a fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reload_keeps_the_session_a_used_token_gave(browser, live_server, publisher) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from civility.accounts.models import UsedSsoToken
    from civility.comments.models import Site

    origin, root = publisher
    origin = origin.replace("127.0.0.1", "localhost")  # same site as the live server
    site = Site.objects.create(
        name="News",
        slug="news",
        allowed_origins=[origin],
        premoderation="none",
        sso_secret="publisher-shared-secret-0123456789abcdef",
    )
    now = int(time.time())
    user = {"id": "7", "username": "Pat Subscriber"}
    claims = {"jti": "page-view-1", "iat": now, "exp": now + 600, "user": user}
    token = jwt.encode(claims, site.sso_secret, algorithm="HS256")
    name = article(root, live_server.url, "sso.html", f'data-sso-token="{token}"')
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{origin}/{name}")
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.get_by_text("Signed in as")).to_contain_text("Pat Subscriber")
    replays = []
    page.on(
        "response",
        lambda r: replays.append(r.status) if r.url.endswith("/api/v1/auth/sso") else None,
    )
    page.reload()
    expect(frame.get_by_text("Signed in as")).to_contain_text("Pat Subscriber")
    expect(frame.locator(".civ-live")).not_to_contain_text("Sign-in failed")
    assert replays == [401]  # the server did refuse the token the second time
    assert UsedSsoToken.objects.count() == 1
    ctx.close()
