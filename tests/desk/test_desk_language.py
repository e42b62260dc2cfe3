"""The desk in the moderator's language (issue 14, item 5): a browser that asks for German gets
the sign-in, the frame, the queue page and the cards moderation.js draws in German, its dialogs
too, at 1280 and 390 px, with axe-core's check and screenshots in test-output/desk/."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import axe_violations, held, loaded, page_width, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_desk_speaks_the_browsers_language(desk, browser, live_server, width):
    from playwright.sync_api import expect

    held(desk["story"], desk["reader"], "You people are vermin and should leave.", "model_threat")
    ctx = browser.new_context(
        locale="de-DE", viewport={"width": width, "height": 844 if width < 800 else 900}
    )
    seen: list[str] = []
    ctx.on("request", lambda r: seen.append(r.url))
    page = ctx.new_page()
    page.goto(f"{live_server.url}/moderate/login/?next=/moderate/daily/")
    expect(page.get_by_role("heading", name="Zum Moderieren anmelden")).to_be_visible()
    page.get_by_label("Benutzername").fill("maria")
    page.get_by_label("Passwort").fill("desk-password-1")
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r".*/moderate/daily/$"))
    loaded(page)

    assert page.locator("html").get_attribute("lang") == "de"
    # Template comments stay comments (Django's {# #} is one line only).
    assert "{#" not in page.locator("body").inner_text()
    expect(page.get_by_role("link", name="Daily News: Warteschlangen")).to_be_visible()
    expect(page.locator("#tabs [data-queue=pending]")).to_contain_text("Wartend")
    card = page.locator(".mod-card").first
    expect(card.get_by_role("button", name="Freigeben (a)")).to_be_visible()
    expect(card.get_by_role("button", name="Verfasser sperren (b)")).to_be_visible()
    expect(card.locator(".mod-badge").first).to_have_text("wartet")
    expect(card.locator(".mod-history")).to_contain_text("Konto 0 Tage alt")
    expect(page.locator("#live")).to_have_text("live")

    # The reject dialog, drawn by moderation.js, in German too.
    card.get_by_role("button", name="Ablehnen (r)").click()
    dialog = page.locator("#dialog")
    expect(dialog.get_by_text("Begründung (der Verfasser sieht sie)")).to_be_visible()
    expect(page.locator("#dialog-title")).to_have_text(re.compile(r"^#\d+ ablehnen$"))
    # The grounds, with the one the checks flagged preselected.
    expect(dialog.get_by_label(re.compile(r"Drohung"))).to_be_checked()
    expect(dialog).to_contain_text("Angriff auf eine Gruppe")
    shot(page, "desk-de-reject", width)
    page.keyboard.press("Escape")

    # The shortcut list.
    page.locator("#keys-open").click()
    expect(page.get_by_role("heading", name="Tastenkürzel")).to_be_visible()
    expect(page.locator("#keys")).to_contain_text("nächster / vorheriger Kommentar")
    page.keyboard.press("Escape")

    assert page_width(page) <= width  # no sideways scrolling, German's long words included
    shot(page, "desk-de", width)
    assert axe_violations(page, "desk-de", width) == []
    # The catalogue comes from Civility itself, like every other script of the desk.
    assert [u for u in seen if "/embed/i18n/de.js" in u]
    assert [u for u in seen if not u.startswith(live_server.url)] == []
    ctx.close()


def test_an_english_browser_gets_the_english_desk(desk, open_desk, width):
    from playwright.sync_api import expect

    held(desk["story"], desk["reader"], "Held for the English check.")
    page = open_desk()
    loaded(page)
    assert page.locator("html").get_attribute("lang") == "en"
    expect(page.locator("#tabs [data-queue=pending]")).to_contain_text("Pending")
    expect(
        page.locator(".mod-card").first.get_by_role("button", name="Approve (a)")
    ).to_be_visible()


def test_the_desk_pages_render_in_french(desk, client: Any) -> None:
    client.force_login(desk["moderator"])
    page = client.get("/moderate/daily/settings/", headers={"Accept-Language": "fr"})
    assert page.status_code in (200, 403)
    queue = client.get("/moderate/daily/", headers={"Accept-Language": "fr"}).content.decode()
    assert '<html lang="fr">' in queue and "Raccourcis clavier" in queue
    assert "Files de modération de Daily News" in queue
    assert '<script src="/embed/i18n/fr.js' in queue
