"""The widget speaks the page's language (issue 14, item 5), in Chromium at 1280 and 390 px.

A German news page (<html lang="de">) gets a German comment section: labels, counts with their
plural, the report form's reasons (from the server's catalogue), the API's answers and relative
times. A data-lang attribute on the embed script wins over the page's lang. The catalogue comes
from Civility itself: no request leaves the two origins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .helpers import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def article(root: Path, civility_url: str, name: str, page_lang: str, extra: str = "") -> None:
    (root / "favicon.ico").write_bytes(b"")
    (root / name).write_text(
        f"""<!doctype html><html lang="{page_lang}"><head><meta charset="utf-8">
<title>Busspuren beschlossen</title></head><body style="margin:0 auto;max-width:48rem;padding:0 8px">
<h1>Busspuren in der Hauptstraße beschlossen</h1><p>Artikeltext.</p>
<div id="civility-thread"></div>
<script src="{civility_url}/embed.js" data-site="news" {extra} async></script>
</body></html>"""
    )


def only_our_origins(seen: list[str], *origins: str) -> None:
    allowed = {urlsplit(o).netloc for o in origins}
    strangers = [u for u in seen if u.startswith("http") and urlsplit(u).netloc not in allowed]
    assert strangers == [], strangers


def test_the_widget_follows_the_pages_lang(widget, open_page, width, seen_requests):
    from playwright.sync_api import expect

    article(widget["root"], widget["civility"], "article.html", "de-DE")
    page, frame = open_page(widget["url"])
    expect(frame.locator("html")).to_have_attribute("lang", "de")
    expect(frame.locator("#civ-count")).to_have_text("1 Kommentar")
    # The iframe's accessible name on the publisher's page is German too.
    expect(page.locator("#civility-thread iframe")).to_have_attribute("title", "Leserkommentare")
    expect(frame.get_by_label("Sortieren")).to_be_visible()
    expect(frame.locator("#civ-sort option").first).to_have_text("Neueste zuerst")
    seed = frame.locator(f"#comment-{widget['seed'].pk}")
    expect(seed.locator("time")).to_have_text("gerade eben")
    seed.locator(".civ-react").click()
    expect(seed.locator(".civ-toast")).to_have_text(
        "Melden Sie sich an, um Kommentare mit „Gefällt mir“ zu markieren."
    )

    frame.get_by_role("button", name="Als Gast kommentieren").click()
    frame.get_by_label("Ihr Name").fill("Jo Leser")
    frame.get_by_role("button", name="Als Gast kommentieren").last.click()
    expect(frame.get_by_text("Angemeldet als")).to_be_visible()
    expect(frame.get_by_label("Kommentar schreiben")).to_be_visible()
    # The report form's reasons come from the server's catalogue, in the same language.
    seed.get_by_role("button", name="Melden").click()
    reasons = frame.get_by_label("Warum melden Sie diesen Kommentar?")
    expect(reasons.locator("option")).to_contain_text(["Beleidigend oder herabwürdigend"])
    expect(reasons.locator("option")).to_contain_text(["Hassrede"])
    shot(page, "i18n-de-report", width)
    seed.get_by_role("button", name="Meldung senden").click()
    toast = seed.locator(".civ-toast")
    expect(toast).to_contain_text("Meldung gesendet.")
    # The API's own answer is German too (the widget sends the page's language).
    reports = widget["seed"].reports.all()
    assert [r.reason for r in reports] == ["abusive"]
    assert "Thank" not in toast.inner_text() and "moderator" not in toast.inner_text().lower()
    shot(page, "i18n-de", width)
    only_our_origins(seen_requests, widget["origin"], widget["civility"])


def test_data_lang_wins_over_the_pages_lang(widget, open_page, width, seen_requests):
    from playwright.sync_api import expect

    from .helpers import approved

    approved(widget["story"], widget["maria"], "Zweiter Kommentar.")
    article(widget["root"], widget["civility"], "article.html", "de", 'data-lang="fr"')
    page, frame = open_page(widget["url"])
    expect(frame.locator("html")).to_have_attribute("lang", "fr")
    # French says "2 commentaires", and "Commenter en tant qu'invité" with its typography.
    expect(frame.locator("#civ-count")).to_have_text("2 commentaires")
    expect(frame.get_by_role("button", name="Commenter en tant qu’invité")).to_be_visible()
    shot(page, "i18n-fr-data-lang", width)
    only_our_origins(seen_requests, widget["origin"], widget["civility"])


def test_an_english_page_loads_no_catalogue(widget, open_page, seen_requests):
    from playwright.sync_api import expect

    page, frame = open_page(widget["url"])
    expect(frame.locator("#civ-count")).to_have_text("1 comment")
    assert not [u for u in seen_requests if "/embed/i18n/" in u]


def test_the_catalogue_is_a_cacheable_script_of_our_strings_only(client: Any) -> None:
    response = client.get("/embed/i18n/es.js")
    body = response.content.decode()
    assert response.status_code == 200 and "javascript" in response["Content-Type"]
    assert "max-age" in response["Cache-Control"]
    assert "no hay comentarios." in body  # "Todav\\u00eda no hay comentarios."
    # Civility's strings only, not the admin's calendar and date pickers.
    assert "Calendario" not in body and "Medianoche" not in body
    assert client.get("/embed/i18n/xx.js").status_code == 404


def test_listing_counts_are_worded_in_the_pages_language(widget, open_page, width, seen_requests):
    from playwright.sync_api import expect

    (widget["root"] / "listing.html").write_text(
        f"""<!doctype html><html lang="es"><head><meta charset="utf-8"><title>Portada</title></head>
<body><a id="one" href="/article.html" data-civility-count="{widget["url"]}">Comentarios</a>
<a id="none" href="/otra.html" data-civility-count="{widget["origin"]}/otra.html">Comentarios</a>
<script src="{widget["civility"]}/count.js" data-site="news" async></script></body></html>"""
    )
    page, _ = open_page(f"{widget['origin']}/listing.html")
    expect(page.locator("#one")).to_have_text("1 comentario")
    expect(page.locator("#none")).to_have_text("0 comentarios")
    only_our_origins(seen_requests, widget["origin"], widget["civility"])


def test_the_counts_api_words_counts_in_the_asked_language(client: Any, widget) -> None:
    url = f"/api/v1/counts?site=news&url={widget['url']}"
    german = client.get(url, headers={"Accept-Language": "de"}).json()
    assert german["counts"] == {widget["url"]: 1}
    assert german["labels"] == {widget["url"]: "1 Kommentar"}
    french = client.get(url, headers={"Accept-Language": "fr-CA"}).json()
    assert french["labels"] == {widget["url"]: "1 commentaire"}
    assert client.get(url).json()["labels"] == {widget["url"]: "1 comment"}
