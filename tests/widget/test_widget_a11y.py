"""axe-core (from npm, tests/widget/package.json) run inside the widget's iframe: no serious or
critical violations, light and dark, at 1280 and 390 px, with every panel the widget has open:
the thread with replies and a collapsed one, the Featured tab, the composer with its preview
and the "are you sure?" nudge, notes (toasts), a report form and a reader's profile.

scripts/test.sh installs axe-core with `npm ci --prefix tests/widget` (the lockfile is committed,
node_modules is not). The results land in test-output/widget/axe-*.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .helpers import SHOTS, approved, shot, sign_in_as_guest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"

RUN_AXE = """async () => {
  const r = await axe.run(document, { resultTypes: ["violations"] });
  return r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")) }));
}"""


def axe_violations(page: Any, name: str, width: int) -> list[dict[str, Any]]:
    """Inject axe-core into the widget's frame (DevTools evaluation: the widget's CSP allows no
    script but its own, and needs no change for this) and return its violations."""
    frame = next(f for f in page.frames if "/embed/thread" in f.url)
    if not frame.evaluate("typeof window.axe !== 'undefined'"):
        frame.evaluate(AXE.read_text(encoding="utf-8"))
    found = frame.evaluate(RUN_AXE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / f"axe-{name}-{width}.json").write_text(json.dumps(found, indent=2))
    return found


def serious(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.fixture
def axe_available() -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed: npm ci --prefix tests/widget")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_widget_has_no_serious_accessibility_violations(
    axe_available, widget, open_page, width, scheme
):
    from playwright.sync_api import expect

    from civility.accounts.models import User
    from civility.moderation import actions as moderation
    from civility.moderation.models import WordRule

    story, seed = widget["story"], widget["seed"]
    bob = User.objects.create_user(username="bob", display_name="Bob Stone", badges=["subscriber"])
    first = approved(story, bob, "I *agree*.", seed)
    approved(story, bob, "> Finally!\n\nQuite.", first)
    other = approved(story, bob, "See https://example.org/plan")
    editor = User.objects.create_superuser(username="editor", password="x" * 12)
    moderation.feature(editor, seed.pk)
    WordRule.objects.create(site=widget["site"], phrase="scoundrel", action="hold")

    page, frame = open_page(widget["url"], color_scheme=scheme)
    expect(frame.locator(".civ-count")).to_have_text("4 comments")
    expect(frame.get_by_role("tab", name="Featured (1)")).to_be_visible()
    frame.locator(f"#comment-{seed.pk}").locator(".civ-react").first.click()  # a "sign in" note
    frame.locator(f"#comment-{first.pk}").get_by_role("button", name="Collapse").first.click()
    reading = axe_violations(page, f"reading-{scheme}", width)
    assert serious(reading) == [], reading

    sign_in_as_guest(frame)
    frame.get_by_label("Add a comment").fill("You **scoundrel**, with a preview.")
    frame.get_by_role("button", name="Preview").click()
    expect(frame.locator(".civ-preview strong")).to_have_text("scoundrel")
    expect(frame.locator(".civ-nudge")).to_be_visible()
    theirs = frame.locator(f"#comment-{other.pk}")
    theirs.get_by_role("button", name="Report").click()
    seed_node = frame.locator(f"#comment-{seed.pk}")
    seed_node.get_by_role("button", name="Maria Lopez", exact=True).click()
    expect(seed_node.locator(".civ-profile")).to_be_visible()
    frame.get_by_role("button", name="Your data").click()
    writing = axe_violations(page, f"writing-{scheme}", width)
    shot(page, f"axe-writing-{scheme}", width)
    assert serious(writing) == [], writing

    frame.get_by_role("button", name="Post anyway").click()
    expect(frame.locator(".civ-toast-warn").first).to_be_visible()
    frame.get_by_role("tab", name="Featured (1)").click()
    featured = axe_violations(page, f"featured-{scheme}", width)
    assert serious(featured) == [], featured
