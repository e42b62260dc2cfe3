"""Accounts that recover (issue 14, item 2): password reset and address verification on Django's
token generator, mail received from a real SMTP server the test starts (aiosmtpd), sign-out that
revokes the bearer token on the server, password change. Through the widget's API and the pages
the mailed links open."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.comments.conftest import Api
from tests.mailserver import link
from tests.tasks.helpers import drain

pytestmark = pytest.mark.django_db(transaction=True)


def _signup(email: str = "rosa@example.org", password: str = "correct horse 42") -> Api:  # noqa: S107
    api = Api()
    resp = api.post("/auth/signup", {"email": email, "password": password, "display_name": "Rosa"})
    assert resp.status_code == 201, resp.json_body
    api.token = resp.json_body["token"]
    return api


def _path(url: str) -> str:
    return urlsplit(url).path


def _link_parts(url: str) -> tuple[str, str]:
    uid, token = _path(url).rstrip("/").split("/")[-2:]
    return uid, token


def _csrf(page: bytes) -> str:
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, page
    return found.group(1).decode()


def test_password_reset_from_the_mailed_link_signs_every_device_out(mailbox, settings):
    settings.PUBLIC_URL = "https://comments.news.example"
    rosa = _signup()
    drain()  # the verification mail sent on sign-up
    resp = Api().post("/auth/password-reset", {"email": "Rosa@Example.org"})
    assert resp.status_code == 202
    assert "If an account uses this address" in resp.json_body["message"]
    drain()
    reset = [m for m in mailbox.receive("rosa@example.org", 2) if "password" in m["Subject"]]
    assert len(reset) == 1 and reset[0]["From"] == "News comments <comments@news.example>"
    url = link(reset[0], "/accounts/reset/")
    assert url.startswith("https://comments.news.example/accounts/reset/")

    # The page the link opens: Django's SetPasswordForm, with CSRF like any form here.
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(_path(url))
    assert page.status_code == 200 and b"Choose a new password" in page.content
    assert page["Referrer-Policy"] == "same-origin"
    mismatch = browser.post(
        _path(url),
        {
            "csrfmiddlewaretoken": _csrf(page.content),
            "new_password1": "a brand new secret 7",
            "new_password2": "another one",
        },
    )
    assert mismatch.status_code == 200 and b"civ-error" in mismatch.content
    done = browser.post(
        _path(url),
        {
            "csrfmiddlewaretoken": _csrf(mismatch.content),
            "new_password1": "a brand new secret 7",
            "new_password2": "a brand new secret 7",
        },
    )
    assert done.status_code == 200 and b"Your password is changed" in done.content

    assert rosa.get("/auth/me").status_code == 401  # the old sign-in ended
    assert (
        Api()
        .post("/auth/login", {"email": "rosa@example.org", "password": "correct horse 42"})
        .status_code
        == 401
    )
    login = Api().post(
        "/auth/login", {"email": "rosa@example.org", "password": "a brand new secret 7"}
    )
    assert login.status_code == 200
    # The link worked once.
    again = Client().get(_path(url))
    assert again.status_code == 400 and b"invalid or has expired" in again.content


def test_reset_through_the_api_and_bad_links_are_json_errors(mailbox):
    _signup("ana@example.org")
    assert Api().post("/auth/password-reset", {"email": "ana@example.org"}).status_code == 202
    drain()
    reset = [m for m in mailbox.receive("ana@example.org", 2) if "password" in m["Subject"]][0]
    uid, token = _link_parts(link(reset, "/accounts/reset/"))

    bad = Api().post(
        "/auth/password-reset/confirm",
        {"uid": uid, "token": token[:-2] + "xx", "new_password": "new pass phrase 9"},
    )
    assert bad.status_code == 400 and bad.json_body["error"]["code"] == "invalid_link"
    weak = Api().post(
        "/auth/password-reset/confirm", {"uid": uid, "token": token, "new_password": "password"}
    )
    assert weak.status_code == 400 and weak.json_body["error"]["code"] == "weak_password"
    ok = Api().post(
        "/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "new pass phrase 9"},
    )
    assert ok.status_code == 200 and ok.json_body["user"]["name"] == "Rosa"
    assert Api(ok.json_body["token"]).get("/auth/me").status_code == 200
    reused = Api().post(
        "/auth/password-reset/confirm",
        {"uid": uid, "token": token, "new_password": "other pass phrase 9"},
    )
    assert reused.status_code == 400 and reused.json_body["error"]["code"] == "invalid_link"
    garbage = Api().post(
        "/auth/password-reset/confirm",
        {"uid": "!!", "token": "x", "new_password": "other pass phrase 9"},
    )
    assert garbage.status_code == 400 and garbage.json_body["error"]["code"] == "invalid_link"


def test_a_reset_request_never_tells_whether_the_address_has_an_account(mailbox, settings):
    from civility.accounts.models import User

    _signup("known@example.org")
    User.objects.create_user(
        username="guest-x", email="guest@example.org", password=None, is_guest=True
    )
    drain()
    before = len(mailbox.messages)
    answers = [
        Api().post("/auth/password-reset", {"email": email})
        for email in ("known@example.org", "nobody@example.org", "guest@example.org")
    ]
    assert {a.status_code for a in answers} == {202}
    assert len({a.content for a in answers}) == 1  # word for word the same
    drain()
    mailbox.receive("known@example.org", 2)
    assert len(mailbox.messages) == before + 1  # only the real local account got a link
    assert not mailbox.to("nobody@example.org") and not mailbox.to("guest@example.org")

    bad = Api().post("/auth/password-reset", {"email": "not an address"})
    assert bad.status_code == 400 and bad.json_body["error"]["code"] == "invalid_email"


def test_reset_requests_are_rate_limited_per_address_whether_or_not_it_exists(mailbox, settings):
    settings.EMAIL_REQUESTS_PER_HOUR = 2
    for email in ("known@example.org", "nobody@example.org"):
        codes = [Api().post("/auth/password-reset", {"email": email}).status_code for _ in range(3)]
        assert codes[:2] == [202, 202]
        assert codes[2] == 429
    limited = Api().post("/auth/password-reset", {"email": "nobody@example.org"})
    assert limited.json_body["error"]["code"] == "rate_limited" and int(limited["Retry-After"]) > 0
    # One client asking for many addresses: four times the limit an hour, then refused.
    codes = [
        Api().post("/auth/password-reset", {"email": f"r{i}@example.org"}).status_code
        for i in range(3)
    ]
    assert codes == [202, 429, 429]  # 7 asked so far: the 8th passes, the 9th is past 4 x 2


def test_email_verification_link_confirms_the_address(mailbox):
    from civility.accounts.models import User

    rosa = _signup()
    assert rosa.get("/me").json_body["account"]["email_verified"] is False
    drain()
    mail = mailbox.receive("rosa@example.org")[0]
    assert mail["Subject"] == "Confirm your e-mail address"
    url = link(mail, "/accounts/verify/")
    page = Client().get(_path(url))
    assert page.status_code == 200 and b"rosa@example.org is confirmed" in page.content
    assert User.objects.get(email="rosa@example.org").email_verified_at is not None
    assert rosa.get("/me").json_body["account"]["email_verified"] is True
    # The link again (a second click, a mail scanner): still fine, nothing changes.
    uid, token = _link_parts(url)
    again = Api().post("/auth/verify-email", {"uid": uid, "token": token})
    assert again.status_code == 200
    assert (
        rosa.post("/me/verify-email").json_body["message"]
        == "Your e-mail address is already confirmed."
    )
    forged = Api().post("/auth/verify-email", {"uid": uid, "token": "1-abc"})
    assert forged.status_code == 400 and forged.json_body["error"]["code"] == "invalid_link"
    bad = Client().get(f"/accounts/verify/{uid}x/{token}/")
    assert bad.status_code == 400 and b"invalid or has expired" in bad.content


def test_verification_can_be_sent_again_and_old_links_die_with_the_address(mailbox):
    from civility.accounts.models import User

    rosa = _signup()
    drain()
    first = link(mailbox.receive("rosa@example.org")[0], "/accounts/verify/")
    resent = rosa.post("/me/verify-email")
    assert resent.status_code == 202 and "rosa@example.org" in resent.json_body["message"]
    drain()
    assert len(mailbox.receive("rosa@example.org", 2)) == 2
    user = User.objects.get(email="rosa@example.org")
    user.email = "rosa.new@example.org"
    user.save()
    uid, token = _link_parts(first)
    stale = Api().post("/auth/verify-email", {"uid": uid, "token": token})
    assert stale.status_code == 400 and stale.json_body["error"]["code"] == "invalid_link"


def test_sign_out_revokes_that_token_on_the_server_only(db):
    phone = _signup()
    laptop = Api(
        Api()
        .post("/auth/login", {"email": "rosa@example.org", "password": "correct horse 42"})
        .json_body["token"]
    )
    assert phone.token != laptop.token
    out = phone.post("/auth/logout")
    assert out.status_code == 200 and out.json_body == {"signed_out": True}
    assert phone.get("/auth/me").status_code == 401  # a copy of the token is worthless now
    assert phone.post("/auth/logout").status_code == 401
    assert laptop.get("/auth/me").status_code == 200  # the other device stays signed in


def test_password_change_keeps_this_device_and_ends_the_others(db):
    phone = _signup()
    laptop = Api(
        Api()
        .post("/auth/login", {"email": "rosa@example.org", "password": "correct horse 42"})
        .json_body["token"]
    )
    wrong = phone.post(
        "/me/password", {"old_password": "nope", "new_password": "fresh pass phrase 1"}
    )
    assert wrong.status_code == 403 and wrong.json_body["error"]["code"] == "wrong_password"
    weak = phone.post(
        "/me/password", {"old_password": "correct horse 42", "new_password": "12345678"}
    )
    assert weak.status_code == 400 and weak.json_body["error"]["code"] == "weak_password"
    ok = phone.post(
        "/me/password", {"old_password": "correct horse 42", "new_password": "fresh pass phrase 1"}
    )
    assert ok.status_code == 200
    assert phone.get("/auth/me").status_code == 401 and laptop.get("/auth/me").status_code == 401
    assert Api(ok.json_body["token"]).get("/auth/me").status_code == 200
    # A stolen token is no password oracle: five wrong guesses an hour, then refused.
    new = Api(ok.json_body["token"])
    codes = [
        new.post(
            "/me/password", {"old_password": f"guess {i}", "new_password": "fresh pass phrase 2"}
        ).status_code
        for i in range(5)
    ]
    assert codes == [403, 403, 429, 429, 429]  # the three tries above count too
    assert (
        new.post(
            "/me/password",
            {"old_password": "fresh pass phrase 1", "new_password": "fresh pass phrase 2"},
        ).status_code
        == 429
    )
    # Guests have no password to change.
    guest = Api()
    from civility.comments.models import Site

    Site.objects.create(name="N", slug="news", allow_guests=True)
    guest.token = guest.post("/auth/guest", {"site": "news", "name": "Gus"}).json_body["token"]
    refused = guest.post(
        "/me/password", {"old_password": "", "new_password": "fresh pass phrase 1"}
    )
    assert refused.status_code == 409 and refused.json_body["error"]["code"] == "no_password"


def test_email_settings_come_from_one_url():
    from civility.settings import _email_settings

    tls = _email_settings("smtp+tls://user%40news.example:p%40ss@mail.news.example")
    assert tls["EMAIL_HOST"] == "mail.news.example" and tls["EMAIL_PORT"] == 587
    assert tls["EMAIL_HOST_USER"] == "user@news.example" and tls["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert tls["EMAIL_USE_TLS"] is True and tls["EMAIL_USE_SSL"] is False
    ssl = _email_settings("smtps://mail.news.example?timeout=3")
    assert ssl["EMAIL_PORT"] == 465 and ssl["EMAIL_USE_SSL"] is True and ssl["EMAIL_TIMEOUT"] == 3
    plain = _email_settings("smtp://127.0.0.1:2525")
    assert plain["EMAIL_PORT"] == 2525 and not plain["EMAIL_USE_TLS"]
    assert _email_settings("console://")["EMAIL_BACKEND"].endswith("console.EmailBackend")
    with pytest.raises(SystemExit):
        _email_settings("carrier-pigeon://coop")
