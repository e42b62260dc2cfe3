"""The API answers in the language the widget asks for (Accept-Language, from the page's lang):
refusals and confirmations alike, with English for everyone else."""

from __future__ import annotations

import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _call(language: str | None, method: str, path: str, body: dict | None = None):
    headers = {"Accept-Language": language} if language else {}
    client = Client(headers=headers)
    fn = getattr(client, method)
    if body is None:
        return fn("/api/v1" + path)
    return fn("/api/v1" + path, data=json.dumps(body), content_type="application/json")


def test_refusals_come_in_the_readers_language():
    german = _call("de-DE", "get", "/stories/987654")
    assert german.status_code == 404
    assert german.json()["error"] == {
        "code": "unknown_story",
        "message": "Es gibt keinen Artikel 987654.",
    }
    assert german["Content-Language"] == "de"
    login = {"email": "nobody@example.org", "password": "not the password"}
    assert (
        _call("es", "post", "/auth/login", login).json()["error"]["message"]
        == "Correo electrónico o contraseña incorrectos."
    )
    assert (
        _call("fr", "post", "/auth/password-reset", {"email": "not an address"}).json()["error"][
            "message"
        ]
        == "Ce n’est pas une adresse e-mail valide."
    )


def test_english_without_a_language_or_with_one_we_do_not_speak():
    for language in (None, "ja", "en-GB"):
        answer = _call(language, "get", "/stories/987654").json()["error"]["message"]
        assert answer == "There is no story 987654."


def test_a_confirmation_in_the_readers_language():
    answer = _call("de", "post", "/auth/password-reset", {"email": "ana@example.org"})
    assert answer.status_code == 202
    assert answer.json()["message"].startswith("Falls ein Konto diese Adresse verwendet")
