"""The staff invitation e-mail in the inviting admin's language (issue 14, item 5): the desk
answers a German admin in German, and the invited account, made in that request, gets its mail
in German from a real SMTP server."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.mailserver import body as mail_body
from tests.mailserver import mailbox  # noqa: F401 (a fixture)
from tests.tasks.helpers import drain

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_german_admin_invites_in_german(mailbox, site, site_admin):  # noqa: F811
    from civility.accounts.models import User

    admin = Client(headers={"Accept-Language": "de"})
    admin.force_login(site_admin)
    page = admin.post(
        f"/moderate/{site.slug}/members/",
        {"op": "add", "who": "nina@paper.example", "role": "moderator"},
    )
    assert page.status_code == 200 and '<html lang="de">' in page.content.decode()
    assert User.objects.get(email="nina@paper.example").language == "de"
    # A refusal on the same page is German too.
    again = admin.post(
        f"/moderate/{site.slug}/members/",
        {"op": "add", "who": "nina@paper.example", "role": "moderator"},
    )
    assert "ist hier bereits Moderator" in again.content.decode()

    drain()
    [message] = mailbox.wait_for("nina@paper.example")
    assert (
        message["Subject"] == f"Sie sind eingeladen, die Kommentare von {site.name} zu moderieren"
    )
    text = mail_body(message)
    assert text.startswith("Hallo,")
    assert f"Sie wurden zum Moderator der Kommentare von {site.name} ernannt." in text
    assert "/accounts/reset/" in text and "/moderate/login/" in text
