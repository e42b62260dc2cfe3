"""A site admin in Debian's Chromium, at 1280 and 390 px: the settings page's threshold sliders
(keyboard) and their live preview on stored scores, a word rule added and a sentence tested, and
a moderator added on the members page. No sideways scrolling at 390 px; axe-core finds no
serious or critical violations on either page. Screenshots and axe results in test-output/.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TEST_OUTPUT = Path(os.environ.get("CIVILITY_TEST_OUTPUT", REPO_ROOT / "test-output"))
AXE = REPO_ROOT / "tests" / "widget" / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ["violations"] });
  return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")) }));
}"""

NO_SIDEWAYS_SCROLL = (
    "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
)


@pytest.fixture
def admin_site(live_server, settings):
    """A site with an admin, a second account to add, and comments with stored scores: some
    clean, some a little toxic, some very (the preview reads these, it scores nothing)."""
    from civility.accounts.models import User
    from civility.comments.models import Comment, Site, Story
    from civility.moderation.models import SiteMembership

    settings.PUBLIC_URL = live_server.url
    site = Site.objects.create(
        name="Daily News", slug="daily", allowed_origins=["https://news.example"]
    )
    site.settings = {
        "thresholds": {
            "TOXICITY": {"hold": 0.8, "reject": None},
            "INSULT": {"hold": 0.8, "reject": None},
        }
    }
    site.save()
    story = Story.objects.create(site=site, url="https://news.example/a", title="A")
    admin = User.objects.create_user("ada", password="admin-password-1")
    SiteMembership.objects.create(site=site, user=admin, role="admin")
    User.objects.create_user("mo", email="mo@news.example", password="mo-password-1")
    reader = User.objects.create_user("reader", password="reader-password-1")
    for i in range(40):
        toxicity = [0.05, 0.45, 0.65, 0.85][i % 4]
        Comment.objects.create(
            story=story,
            author=reader,
            body=f"Comment number {i} about the harbour plans, level {toxicity}.",
            html="<p>x</p>",
            status="approved" if toxicity < 0.8 else "pending",
            scores={
                "version": "test",
                "scores": {"TOXICITY": toxicity, "INSULT": toxicity / 2},
                "spans": [],
            },
        )
    return site


def sign_in(browser: Any, live_server: Any, width: int, next_url: str) -> tuple[Any, Any]:
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    page.goto(f"{live_server.url}/moderate/login/?next={next_url}")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "admin-password-1")
    page.press("input[name=password]", "Enter")
    page.wait_for_url(re.compile(".*" + re.escape(next_url) + "$"))
    return ctx, page


def serious_violations(page: Any, name: str) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    found = page.evaluate(RUN_AXE)
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    (TEST_OUTPUT / f"axe-{name}.json").write_text(json.dumps(found, indent=2))
    return [v for v in found if v["impact"] in ("serious", "critical")]


def preview_counts(page: Any) -> dict[str, list[int]]:
    """The preview table: {row label: [now, with these values]}."""
    rows = page.locator("#threshold-preview tbody tr")
    out = {}
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td")
        out[rows.nth(i).locator("th").inner_text()] = [
            int(cells.nth(0).inner_text()),
            int(cells.nth(1).inner_text()),
        ]
    return out


@pytest.mark.parametrize("width", [1280, 390])
def test_admin_sets_thresholds_rules_and_members(browser, live_server, admin_site, width):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/widget")
    from civility.moderation.models import SiteMembership, WordRule
    from civility.moderation.site_settings import preview_thresholds

    site = admin_site
    url = f"/moderate/{site.slug}/settings/"
    ctx, page = sign_in(browser, live_server, width, url)

    # The preview of the saved values: 10 of 40 held (0.85 >= 0.8), nothing changes yet.
    page.locator("#threshold-preview[data-ready='1']").wait_for()
    assert preview_counts(page)["Held for a moderator"] == [10, 10]
    assert "Of the last 40 scored comments" in page.locator(".set-summary").inner_text()

    # Keyboard only: the TOXICITY hold slider down from 0.80 to 0.60 (20 steps of 0.01).
    slider = page.locator("#hold_TOXICITY")
    slider.focus()
    for _ in range(20):
        page.keyboard.press("ArrowLeft")
    assert page.locator("#hold_TOXICITY_out").inner_text() == "0.60"
    page.locator("#threshold-preview[data-ready='1']").wait_for()
    page.wait_for_function(
        "() => document.querySelector('.set-summary').textContent.includes('would hold 20')"
    )
    expected = preview_thresholds(site, {"TOXICITY": {"hold": 0.6}})
    assert expected["proposed"]["hold"] == 20
    assert preview_counts(page)["Held for a moderator"] == [10, 20]
    assert page.locator("#threshold-preview h3", has_text="Would be held").count() == 1
    assert page.locator("#threshold-preview li", has_text="(now published)").count() >= 1
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the settings page scrolls sideways"
    page.screenshot(path=str(TEST_OUTPUT / f"settings-preview-{width}.png"), full_page=True)
    assert serious_violations(page, f"settings-{width}") == []

    # "never" turns a slider off; saving stores what is on screen.
    page.locator("input[name=reject_THREAT_off]").check()
    assert page.locator("#reject_THREAT").is_disabled()
    page.get_by_role("button", name="Save thresholds").click()
    page.locator(".mod-ok", has_text="Thresholds saved.").wait_for()
    site.refresh_from_db()
    assert site.settings["thresholds"]["TOXICITY"]["hold"] == 0.6
    assert site.settings["thresholds"]["THREAT"]["reject"] is None

    # A word rule added in the table, then a sentence tested against the rules.
    page.fill("textarea[name=new_phrases]", "idiot")
    page.select_option("select[name=new_action]", "reject")
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator(".mod-ok", has_text="1 word rule added.").wait_for()
    rule = WordRule.objects.get(site=site)
    assert (rule.phrase, rule.action) == ("idiot", "reject")
    page.fill("textarea[name=sentence]", "What an 1d10t, honestly.")
    page.get_by_role("button", name="Test", exact=True).click()
    result = page.locator("#rule-test-result")
    result.wait_for()
    assert result.locator("mark").inner_text() == "1d10t"
    assert "would be rejected" in result.inner_text()
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    page.screenshot(path=str(TEST_OUTPUT / f"settings-rules-{width}.png"), full_page=True)
    assert serious_violations(page, f"settings-rules-{width}") == []

    # The members page: add a moderator by e-mail.
    page.get_by_role("link", name="Members", exact=True).first.click()
    page.wait_for_url(re.compile(f".*/moderate/{site.slug}/members/$"))
    page.fill("input[name=who]", "mo@news.example")
    page.get_by_role("button", name="Add or invite", exact=True).click()
    page.locator(".mod-ok", has_text="mo is now a moderator.").wait_for()
    assert SiteMembership.objects.get(site=site, user__username="mo").role == "moderator"
    assert page.locator("#threshold-preview").count() == 0
    assert page.evaluate(NO_SIDEWAYS_SCROLL), "the members page scrolls sideways"
    page.screenshot(path=str(TEST_OUTPUT / f"members-{width}.png"), full_page=True)
    assert serious_violations(page, f"members-{width}") == []
    ctx.close()
