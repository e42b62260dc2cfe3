"""E-mail in the reader's language (issue 14, item 5): the language a reader uses the widget in
(the Accept-Language it sends with the page's lang) is kept on the account, and each message to
them, sent later by the mail worker, is written in it. Received from a real SMTP server."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from tests.comments.conftest import Api
from tests.mailserver import body
from tests.tasks.helpers import drain

pytestmark = pytest.mark.django_db(transaction=True)


def _api(language: str, token: str | None = None) -> Api:
    api = Api(token)
    api.client = Client(headers={"Accept-Language": language})
    return api


def test_sign_up_in_german_then_use_french_the_mail_follows(mailbox, settings):
    from civility.accounts.models import User

    settings.PUBLIC_URL = "https://comments.news.example"
    german = _api("de")
    resp = german.post(
        "/auth/signup",
        {"email": "lena@example.org", "password": "correct horse 42", "display_name": "Lena"},
    )
    assert resp.status_code == 201, resp.json_body
    assert User.objects.get(email="lena@example.org").language == "de"
    drain()
    [verify] = mailbox.wait_for("lena@example.org")
    assert verify["Subject"] == "Bestätigen Sie Ihre E-Mail-Adresse"
    text = body(verify)
    assert text.startswith("Hallo Lena,") and "Stunden lang." in text

    # Lena reads a French page next: the widget says so, and the account keeps it.
    french = _api("fr", resp.json_body["token"])
    assert french.get("/auth/me").status_code == 200
    assert User.objects.get(email="lena@example.org").language == "fr"
    # A reset asked for from anywhere is written in the language she last used.
    assert _api("en").post("/auth/password-reset", {"email": "lena@example.org"}).status_code == 202
    drain()
    reset = [m for m in mailbox.wait_for("lena@example.org", 2) if m is not verify][-1]
    assert reset["Subject"] == "Réinitialisez votre mot de passe"
    assert "Bonjour Lena," in body(reset) and "une fois, pendant 24\u00a0heures" not in body(reset)
    assert "Le lien ne fonctionne qu’une fois, pendant 24 heures." in body(reset)


def test_a_reply_notification_in_spanish(mailbox, story, make_reader, settings):
    from django.db import transaction

    from civility.comments.actions import store_comment

    settings.PUBLIC_URL = "https://comments.news.example"
    ana, token = make_reader("ana", display_name="Ana")
    ana.email_verified_at = timezone.now()
    ana.save()
    spanish = _api("es", token)
    assert spanish.call("PUT", "/me/notifications", {"replies": True}).status_code == 200
    ana.refresh_from_db()
    assert ana.language == "es"
    bob, _ = make_reader("bob", display_name="Bob Stone")
    with transaction.atomic():
        mine = store_comment(story=story, author=ana, body="Buena idea.", status="approved")
    with transaction.atomic():
        store_comment(story=story, author=bob, body="No lo creo.", status="approved", parent=mine)
    drain()
    [mail] = mailbox.wait_for("ana@example.org")
    assert mail["Subject"] == "Bob Stone ha respondido a tu comentario"
    text = body(mail)
    assert text.startswith("Hola, Ana:") and "Cancélalos con un clic:" in text
    assert "No lo creo." in text


def test_a_reader_who_never_said_gets_the_default_language(mailbox, make_reader):
    from civility.accounts.actions import remember_language

    ben, _ = make_reader("ben", display_name="Ben")
    remember_language(user=ben, language="xx")  # not a language Civility speaks: ignored
    ben.refresh_from_db()
    assert ben.language in {"", "en"}
