"""Login lock-out (django-axes) on every password form: the API, the desk and /admin/.

After CIVILITY_LOGIN_FAILURE_LIMIT wrong passwords for one username from one address, that pair
is refused with 429 and Retry-After, even with the right password, until the lock-out ends or
staff lift it. Never an HTML page under /api/.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from civility.clientip import pseudonymous_address
from tests.security.conftest import PASSWORD, Api

pytestmark = pytest.mark.django_db


def _api_login(email: str, password: str, address: str = "198.51.100.7", **headers: str):
    api = Api()
    api.client = Client(REMOTE_ADDR=address, headers=headers or None)
    return api.post("/auth/login", {"email": email, "password": password})


@pytest.fixture
def account(db):
    """A local account as sign-up makes it: the e-mail is the username."""
    from civility.accounts.models import User

    email = "carol@example.org"
    user = User.objects.create_user(username=email, email=email, password="carol-password-1")
    return user, "carol-password-1"


def _assert_locked_json(resp) -> None:
    assert resp.status_code == 429, resp.content[:200]
    assert resp["Content-Type"].startswith("application/json")
    assert resp.json_body["error"]["code"] == "locked_out"
    assert "try again in" in resp.json_body["error"]["message"]
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    assert 0 < int(resp["Retry-After"]) <= cool_off


def test_100_wrong_api_logins_are_stopped_at_the_limit(account) -> None:
    from axes.models import AccessAttempt

    user, _ = account
    limit = settings.LOGIN_FAILURE_LIMIT
    statuses = [_api_login(user.email, f"wrong-{i}").status_code for i in range(100)]
    # The first limit - 1 are plain wrong passwords; the limit-th locks; the rest are refused
    # without their password being checked at all.
    assert statuses[: limit - 1] == [401] * (limit - 1)
    assert statuses[limit - 1 :] == [429] * (100 - limit + 1)
    (attempt,) = AccessAttempt.objects.all()
    assert attempt.failures_since_start == limit
    # The address is stored as its salted pseudonym, never in the clear.
    assert (attempt.username, attempt.ip_address) == (
        user.email,
        pseudonymous_address("198.51.100.7"),
    )
    assert "198.51.100.7" not in str(AccessAttempt.objects.values())
    _assert_locked_json(_api_login(user.email, "wrong-again"))


def test_the_right_password_is_refused_while_locked_out(account) -> None:
    user, password = account
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        _api_login(user.email, f"wrong-{i}")
    _assert_locked_json(_api_login(user.email, password))
    _assert_locked_json(_api_login(user.email.upper(), password))  # the same account
    # The lock is on this username from this address only.
    assert _api_login(user.email, password, address="198.51.100.8").status_code == 200
    other = _api_login("someone-else@example.org", "wrong", address="198.51.100.7")
    assert other.status_code == 401


def test_the_lock_out_expires(account) -> None:
    from axes.models import AccessAttempt

    user, password = account
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        _api_login(user.email, f"wrong-{i}")
    assert _api_login(user.email, password).status_code == 429
    # Time passes: the failures are now older than the cool-off period.
    past = settings.AXES_COOLOFF_TIME + timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)
    resp = _api_login(user.email, password)
    assert resp.status_code == 200 and resp.json_body["token"]
    assert not AccessAttempt.objects.exists()  # a successful sign-in clears the count


def test_staff_lift_a_lock_out(account) -> None:
    user, password = account
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        _api_login(user.email, f"wrong-{i}")
    assert _api_login(user.email, password).status_code == 429
    call_command("axes_reset_username", user.email)
    assert _api_login(user.email, password).status_code == 200


def test_the_address_is_the_reader_behind_the_trusted_proxy(account, settings) -> None:
    """With one trusted proxy, readers behind it are told apart by X-Forwarded-For, and a
    forged header from a reader cannot dodge the count (CIVILITY_TRUSTED_PROXIES)."""
    from axes.models import AccessAttempt

    settings.TRUSTED_PROXIES = "1"
    user, password = account
    proxy = "10.0.0.2"
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        forged = f"192.0.2.{i}, 203.0.113.5"  # the reader prepends junk; the proxy appends
        _api_login(user.email, f"wrong-{i}", address=proxy, X_FORWARDED_FOR=forged)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        pseudonymous_address("203.0.113.5")
    }
    locked = _api_login(user.email, password, address=proxy, X_FORWARDED_FOR="203.0.113.5")
    assert locked.status_code == 429
    # Another reader behind the same proxy signs in.
    ok = _api_login(user.email, password, address=proxy, X_FORWARDED_FOR="203.0.113.6")
    assert ok.status_code == 200


def test_desk_login_locks_out_with_a_clear_page(make_staff) -> None:
    make_staff("dora")
    client = Client(REMOTE_ADDR="198.51.100.9")
    limit = settings.LOGIN_FAILURE_LIMIT
    for i in range(limit - 1):
        resp = client.post("/moderate/login/", {"username": "dora", "password": f"bad-{i}"})
        assert resp.status_code == 200 and b"didn't match" in resp.content
    resp = client.post("/moderate/login/", {"username": "dora", "password": "bad-last"})
    assert resp.status_code == 429
    assert b"Too many failed sign-ins" in resp.content and int(resp["Retry-After"]) > 0
    assert "Content-Security-Policy" in resp  # still a desk page
    resp = client.post("/moderate/login/", {"username": "dora", "password": PASSWORD})
    assert resp.status_code == 429 and b"Too many failed sign-ins" in resp.content
    assert "_auth_user_id" not in client.session


def test_admin_login_locks_out_too(make_staff) -> None:
    make_staff("root", role=None, is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR="198.51.100.10")
    for i in range(settings.LOGIN_FAILURE_LIMIT):
        resp = client.post("/admin/login/", {"username": "root", "password": f"bad-{i}"})
    assert resp.status_code == 429 and b"Too many failed sign-ins" in resp.content
    resp = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert resp.status_code == 429
    assert client.get("/admin/").status_code == 302  # still signed out
