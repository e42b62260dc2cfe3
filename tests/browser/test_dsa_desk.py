"""The desk's EU DSA pages in Debian's Chromium at 1280 and 390 px: the appeals queue, the
transparency report, the community guidelines and the queue's campaign card (closed and open).
axe-core (from tests/widget/node_modules) finds no serious or critical violation on any of them; a
campaign is rejected in one step from its card. Screenshots and axe results land in test-output/desk/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output")) / "desk"
AXE = REPO_ROOT / "tests" / "widget" / "node_modules" / "axe-core" / "axe.min.js"
RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ["violations"] });
  return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")) }));
}"""

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def width(request: pytest.FixtureRequest) -> int:
    return int(request.param)


def check_page(page: Any, name: str, width: int) -> None:
    """Screenshot, then axe-core (injected through DevTools: the desk's CSP stays as it is)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/widget")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(RUN_AXE)
    (SHOTS / f"axe-{name}-{width}.json").write_text(json.dumps(found, indent=2))
    bad = [v for v in found if v["impact"] in ("serious", "critical")]
    assert bad == [], bad


def test_dsa_desk_pages_are_accessible_and_a_campaign_goes_in_one_step(browser, live_server, width):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.comments.models import Comment, Site, Story
    from civility.moderation import actions, appeals
    from civility.moderation.models import SiteMembership, Statement

    site = Site.objects.create(
        name="Daily News", slug="daily", allowed_origins=["*"], premoderation="all"
    )
    story = Story.objects.create(site=site, url="https://news.example/a", title="Bus lanes")
    admin = User.objects.create_user("ada", password="desk-password-1")
    other = User.objects.create_user("ben", password="desk-password-2")
    SiteMembership.objects.create(site=site, user=admin, role="admin")
    SiteMembership.objects.create(site=site, user=other, role="moderator")
    reader = User.objects.create_user("reader")
    rejected = Comment.objects.create(
        story=story, author=reader, body="You lot are clowns.", html="<p>x</p>", status="pending"
    )
    actions.reject(other, rejected.pk, "Insulting", ground="model_insult")
    appeals.file_appeal(
        user=reader,
        statement_id=Statement.objects.get(comment=rejected).pk,
        text="It was a joke between friends.",
    )
    bots = [User.objects.create_user(f"bot{i}") for i in range(3)]
    campaign = [
        Comment.objects.create(
            story=story,
            author=bot,
            body=f"Vote NO on the bus lanes! Call {555 + i} now!",
            html="<p>x</p>",
            status="pending",
        )
        for i, bot in enumerate(bots)
    ]

    ctx = browser.new_context(viewport={"width": width, "height": 900})
    try:
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{live_server.url}/moderate/login/?next=/moderate/{site.slug}/appeals/")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", "desk-password-1")
        page.press("input[name=password]", "Enter")
        page.wait_for_url(re.compile(rf".*/moderate/{site.slug}/appeals/$"))
        expect(page.locator(".dsa-appeal")).to_contain_text("It was a joke between friends.")
        check_page(page, "appeals", width)

        page.goto(f"{live_server.url}/moderate/{site.slug}/transparency/")
        expect(page.get_by_role("heading", name=re.compile("Transparency report"))).to_be_visible()
        expect(page.locator("table").first).to_contain_text("Comments removed")
        check_page(page, "transparency", width)

        page.goto(f"{live_server.url}/moderate/{site.slug}/guidelines/")
        page.get_by_label("Off topic off_topic").fill("Keep to the article, please.")
        page.get_by_role("button", name="Save guidelines").click()
        expect(page.get_by_role("status")).to_contain_text("Saved")
        site.refresh_from_db()
        assert site.settings["guidelines"] == {"off_topic": "Keep to the article, please."}
        check_page(page, "guidelines", width)

        page.goto(f"{live_server.url}/moderate/{site.slug}/")
        page.locator("body[data-campaigns='1']").wait_for()
        card = page.locator(".dsa-campaign")
        expect(card).to_contain_text("3 near-same comments from 3 accounts")
        check_page(page, "queue-campaign", width)
        # One card, not three: its comments are folded into it (o / the button shows them).
        assert page.locator(".mod-card").count() == 0
        assert page.locator(".mod-item").count() == 1
        card.get_by_role("button", name="Show the 3 comments").click()
        expect(card.locator(".dsa-member")).to_have_count(3)
        check_page(page, "queue-campaign-open", width)
        card.get_by_role("button", name="Reject all 3").click()
        # The reason dialog, with the campaign's ground (spam) preselected: OK confirms it.
        expect(page.locator("#dialog input[value=spam]")).to_be_checked()
        page.locator("#dialog-ok").click()
        expect(page.locator("#status")).to_contain_text("Rejected 3 comments")
    finally:
        ctx.close()
    for c in campaign:
        c.refresh_from_db()
        assert c.status == "rejected"
        assert Statement.objects.get(comment=c).ground == "spam"
