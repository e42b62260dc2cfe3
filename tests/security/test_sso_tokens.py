"""Publisher SSO tokens: each signs in once (jti kept until it expires), a bounded lifetime
(exp - iat <= CIVILITY_SSO_MAX_TOKEN_SECONDS), a jti required."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from django.utils import timezone

from civility.accounts.models import UsedSsoToken, User

pytestmark = pytest.mark.django_db


def token(site, jti: str | None = "t-1", lifetime: int = 300, **claims) -> str:
    now = int(time.time())
    body = {"iat": now, "exp": now + lifetime, "user": {"id": "42", "username": "Pat"}}
    if jti is not None:
        body["jti"] = jti
    body.update(claims)
    return jwt.encode(body, site.sso_secret, algorithm="HS256")


def sso(anon, tok: str, slug: str = "news"):
    return anon.post("/auth/sso", {"site": slug, "token": tok})


def error_code(resp) -> str:
    return resp.json_body["error"]["code"]


def test_a_token_signs_in_once(site, anon) -> None:
    tok = token(site)
    assert sso(anon, tok).status_code == 200
    replay = sso(anon, tok)
    assert replay.status_code == 401 and error_code(replay) == "sso_replayed"
    assert sso(anon, token(site, jti="t-2")).status_code == 200  # a new token: fine
    assert User.objects.filter(sso_id="42").count() == 1


def test_jtis_are_per_site(site, anon) -> None:
    from civility.comments.models import Site

    other = Site.objects.create(
        name="Other",
        slug="other",
        allowed_origins=["*"],
        sso_secret="other-site-secret-0123456789abcdefgh",
    )
    assert sso(anon, token(site, jti="same")).status_code == 200
    assert sso(anon, token(other, jti="same"), slug="other").status_code == 200


def test_a_ten_year_token_is_refused(site, anon) -> None:
    resp = sso(anon, token(site, lifetime=10 * 365 * 24 * 3600))
    assert resp.status_code == 401 and error_code(resp) == "sso_invalid"
    assert "lives too long" in resp.json_body["error"]["message"]
    assert not User.objects.filter(sso_id="42").exists()
    assert not UsedSsoToken.objects.exists()


def test_the_longest_lifetime_is_a_setting(site, anon, settings) -> None:
    settings.SSO_MAX_TOKEN_SECONDS = 120
    assert sso(anon, token(site, jti="a", lifetime=120)).status_code == 200
    assert error_code(sso(anon, token(site, jti="b", lifetime=121))) == "sso_invalid"


@pytest.mark.parametrize("jti", [None, "", "   "])
def test_a_jti_is_required(site, anon, jti) -> None:
    resp = sso(anon, token(site, jti=jti))
    assert resp.status_code == 401 and error_code(resp) == "sso_invalid"
    assert not User.objects.filter(sso_id="42").exists()


def test_a_token_from_the_future_is_refused(site, anon) -> None:
    later = int(time.time()) + 3600
    resp = sso(anon, token(site, iat=later, exp=later + 60))
    assert resp.status_code == 401 and error_code(resp) == "sso_invalid"


def test_used_tokens_are_forgotten_once_expired(site, anon) -> None:
    UsedSsoToken.objects.create(
        site=site, jti_digest="0" * 64, expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert sso(anon, token(site, jti="fresh")).status_code == 200
    (kept,) = UsedSsoToken.objects.all()
    assert kept.expires_at > timezone.now()
    assert kept.jti_digest != "fresh"  # stored as a digest


def test_a_refused_sign_in_does_not_use_the_token_up(site, anon) -> None:
    """The jti is recorded in the sign-in's transaction: a sign-in refused after the signature
    check leaves nothing behind."""
    bad = token(site, jti="x", user={"id": "42", "username": "x" * 81})
    assert error_code(sso(anon, bad)) == "invalid_name"
    assert not UsedSsoToken.objects.exists()
