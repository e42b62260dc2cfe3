"""Chromium (Debian's, via Playwright) against a live server: the embed on another origin.

A publisher page is served from 127.0.0.1 on its own port; Civility's live server answers on
localhost, a different site, so the iframe is cross-site exactly as on a real news page.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import fixtures

from .test_xss_stored import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Same place tests/conftest.py's TEST_OUTPUT names (that conftest is not importable as a module).
SHOTS = (
    Path(
        os.environ.get("CIVILITY_TEST_OUTPUT", Path(__file__).resolve().parents[2] / "test-output")
    )
    / "browser"
)


@pytest.fixture
def publisher(tmp_path) -> Iterator[tuple[str, Path]]:
    """A static 'news site' on another origin; returns (origin, its document root)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


def article(root: Path, civility_url: str, name: str = "article.html", extra: str = "") -> str:
    (root / name).write_text(
        f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Bus lanes approved</title></head><body>
<h1>Bus lanes approved on Main Street</h1><p>Article text.</p>
<div id="civility-thread"></div>
<script src="{civility_url}/embed.js" data-site="news" {extra} async></script>
</body></html>"""
    )
    return name


@pytest.fixture
def setup(live_server, publisher):
    origin, root = publisher
    news = fixtures.news_with_maria(origin, maria_as="Maria")
    page_name = article(root, live_server.url)
    return {**news, "url": f"{origin}/{page_name}"}


def test_reader_posts_replies_and_reacts_on_a_cross_origin_page(browser, setup, live_server):
    from playwright.sync_api import expect

    from civility.comments.models import Comment

    ctx = browser.new_context(viewport={"width": 900, "height": 1200})
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    page.on("console", lambda m: print("console:", m.text))
    page.goto(setup["url"])
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.locator(".civ-count")).to_have_text("1 comment")

    frame.get_by_role("button", name="Comment as guest").click()
    frame.get_by_label("Your name").fill("Jo Reader")
    frame.get_by_role("button", name="Comment as guest").last.click()
    expect(frame.get_by_text("Signed in as")).to_be_visible()

    frame.get_by_label("Add a comment").fill("Great news for the **14 bus**.")
    frame.get_by_role("button", name="Post comment").click()
    mine = frame.locator(".civ-comment", has_text="Great news for the")
    expect(mine.locator("strong")).to_have_text("14 bus")
    expect(frame.locator(".civ-count")).to_have_text("2 comments")

    seed = frame.locator(f"#comment-{setup['seed'].pk}")
    seed.get_by_role("button", name="Reply").click()
    frame.get_by_label("Reply to Maria").fill("Agreed, Maria.")
    frame.get_by_role("button", name="Post reply").click()
    expect(seed.locator(".civ-replies .civ-comment")).to_contain_text("Agreed, Maria.")

    like = seed.locator(".civ-react").first
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_contain_text("1")

    # The iframe grew to its content.
    height = page.locator("#civility-thread iframe").evaluate(
        "f => f.getBoundingClientRect().height"
    )
    assert height > 320

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "embed-thread.png"), full_page=True)

    stored = {c.body: c for c in Comment.objects.all()}
    assert stored["Great news for the **14 bus**."].status == "approved"
    assert stored["Agreed, Maria."].parent_id == setup["seed"].pk
    assert Comment.objects.get(pk=setup["seed"].pk).reaction_count == 1
    ctx.close()


def test_new_comment_arrives_live(browser, setup):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments import actions

    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    # The stream's headers come with its first chunk, which the server sends once it has
    # subscribed: from then on a new comment is pushed, not caught up on the next connect.
    with page.expect_response(lambda r: "/events?" in r.url):
        page.goto(setup["url"])
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.locator(".civ-count")).to_have_text("1 comment")
    tom = User.objects.create_user(username="tom", display_name="Tom")
    actions.post_comment(story=setup["story"], author=tom, body="Arrived *live*")
    expect(frame.locator(".civ-comment", has_text="Arrived live").locator("em")).to_have_text(
        "live"
    )
    expect(frame.locator(".civ-count")).to_have_text("2 comments")
    ctx.close()


XSS_PROBE = """
window.__xss = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = (...args) => { window.__xss.push(name + ":" + args.join(",")); };
}
"""


def test_no_xss_payload_executes_in_the_browser(browser, setup):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments import actions

    hacker = User.objects.create_user(
        username="hacker", display_name='<img src=x onerror=alert("name")>'
    )
    from civility.moderation import actions as moderation

    editor = User.objects.create_superuser(username="editor", password="x" * 12)
    for payload in PAYLOADS:
        comment = actions.post_comment(story=setup["story"], author=hacker, body=payload)
        if comment.status != comment.Status.APPROVED:
            # The model may hold junk like entity soup; what matters here is how an approved
            # payload renders, so a moderator lets it through.
            moderation.approve(editor, comment.pk)
    total = len(PAYLOADS) + 1
    ctx = browser.new_context()
    ctx.add_init_script(XSS_PROBE)
    page = ctx.new_page()
    page.set_default_timeout(30_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(setup["url"])
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.locator(".civ-count")).to_have_text(f"{total} comments")
    more = frame.get_by_role("button", name="Load more comments")
    shown = frame.locator(".civ-list > .civ-comment")
    while more.is_visible():
        before = shown.count()
        more.click()
        expect(shown).not_to_have_count(before)  # the next page has arrived
    expect(frame.locator(".civ-list > .civ-comment")).to_have_count(total)
    # Give event handlers (onerror, onload, autofocus) their chance, hover and focus everything.
    for link in frame.locator(".civ-body a").all():
        link.hover()
        link.focus()
    page.wait_for_timeout(1000)
    inner = page.frames[1]
    assert inner.evaluate("window.__xss") == []
    assert page.evaluate("window.__xss") == []
    assert dialogs == []
    scripts = inner.evaluate("[...document.scripts].map(s => s.src || s.type)")
    assert scripts == ["application/json", f"{inner.url.split('/embed')[0]}/embed/assets/thread.js"]
    assert (
        inner.evaluate(
            "document.querySelectorAll('.civ-body img, .civ-body svg, .civ-body iframe').length"
        )
        == 0
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "xss-corpus.png"), full_page=True)
    ctx.close()


def test_deep_thread_continues_and_sort_switches(browser, setup):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments import actions

    u = User.objects.create_user(username="deep", display_name="Deep Diver")
    parent = setup["seed"].pk
    for level in range(1, 8):
        parent = actions.post_comment(
            story=setup["story"], author=u, body=f"level {level} reply", parent_id=parent
        ).pk
    actions.post_comment(story=setup["story"], author=u, body="a later top-level comment")
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(setup["url"])
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.locator(".civ-count")).to_have_text("9 comments")
    # Newest first: the later top-level comment leads; oldest first: the seed does.
    expect(frame.locator(".civ-list > .civ-comment").first).to_contain_text("a later top-level")
    frame.get_by_label("Sort").select_option("oldest")
    expect(frame.locator(".civ-list > .civ-comment").first).to_contain_text("Finally!")
    # Indentation stops at the visual depth limit; the rest is one keyboard press away.
    expect(frame.get_by_text("level 5 reply")).to_have_count(0)
    cont = frame.get_by_role("button", name="Continue this thread")
    cont.focus()
    page.keyboard.press("Enter")
    expect(frame.get_by_text("level 7 reply")).to_be_visible()
    frame.get_by_role("button", name="Back to all comments").click()
    expect(frame.get_by_text("a later top-level comment")).to_be_visible()
    ctx.close()


def test_publisher_sso_token_signs_the_reader_in(browser, setup, publisher, live_server):
    import time

    import jwt
    from playwright.sync_api import expect

    site = setup["site"]
    site.sso_secret = "publisher-shared-secret-0123456789abcdef"
    site.save()
    now = int(time.time())
    claims = {
        "jti": "j1",
        "iat": now,
        "exp": now + 600,
        "user": {"id": "42", "username": "Pat Subscriber", "badges": ["subscriber"]},
    }
    token = jwt.encode(claims, site.sso_secret, algorithm="HS256")
    origin, root = publisher
    name = article(root, live_server.url, "sso.html", f'data-sso-token="{token}"')
    ctx = browser.new_context()
    page = ctx.new_page()
    page.goto(f"{origin}/{name}")
    frame = page.frame_locator("#civility-thread iframe")
    expect(frame.get_by_text("Signed in as")).to_contain_text("Pat Subscriber")
    frame.get_by_label("Add a comment").fill("Posted with my newspaper account.")
    frame.get_by_role("button", name="Post comment").click()
    posted = frame.locator(".civ-comment", has_text="Posted with my newspaper account.")
    expect(posted.locator(".civ-badge")).to_have_text("subscriber")
    # A forged token is refused with a clear message, and nobody is signed in.
    forged = jwt.encode(claims, "not-the-secret-0123456789abcdef-xyz", algorithm="HS256")
    name = article(root, live_server.url, "forged.html", f'data-sso-token="{forged}"')
    page.goto(f"{origin}/{name}")
    expect(frame.locator(".civ-live")).to_contain_text(
        "Sign-in failed: The sign-on token is invalid"
    )
    expect(frame.get_by_text("Signed in as")).to_have_count(0)
    ctx.close()


def test_count_js_splits_long_listings_into_short_requests(browser, setup, live_server, publisher):
    """A listing with 150 long article links: every link gets its count, and no request line
    is longer than web servers accept (gunicorn refuses lines over 4 KB with an HTML 414)."""
    from civility.comments.models import Comment, Story

    origin, root = publisher
    site, author = setup["site"], setup["seed"].author
    urls = [
        f"{origin}/2026/11/30/a-rather-long-article-slug-about-bus-lanes-{i:03d}"
        for i in range(150)
    ]
    story = Story.objects.create(site=site, url=urls[-1], title="Last")
    Comment.objects.create(story=story, author=author, body="x", html="<p>x</p>", status="approved")
    links = "".join(f'<a data-civility-count="{u}">comments</a>' for u in urls)
    (root / "listing.html").write_text(
        f'<!doctype html><html lang="en"><body>{links}'
        f'<script src="{live_server.url}/count.js" data-site="news" async></script></body></html>'
    )
    page = browser.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/v1/counts" in r.url else None)
    page.goto(f"{origin}/listing.html")
    anchors = page.locator("a[data-civility-count]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('a')].every(a => a.textContent !== 'comments')"
    )
    texts = anchors.all_text_contents()
    assert texts[-1] == "1 comment" and set(texts[:-1]) == {"0 comments"}
    assert len(asked) > 1 and max(len(u) for u in asked) < 3500
