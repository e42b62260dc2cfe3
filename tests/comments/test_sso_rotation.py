"""A site admin rotates the SSO secret on the desk's settings page: the new secret is shown once,
signs readers in at once, and the old one is refused from that moment (no grace period; see
civility/moderation/site_settings.py). Turning SSO off refuses every token."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from civility.moderation.models import AuditEntry, SiteMembership

from .test_bad_input import sso_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(site):
    from civility.accounts.models import User

    admin = User.objects.create_user("ada", password="pw-ada")
    SiteMembership.objects.create(site=site, user=admin, role="admin")
    client = Client()
    client.force_login(admin)
    return client


def token(site, key, jti):
    return sso_token(site, _key=key, jti=jti, iat=int(time.time()))


def test_rotation_revokes_the_old_secret_and_shows_the_new_one_once(site, anon, admin_client):
    url = f"/moderate/{site.slug}/settings/"
    old = site.sso_secret
    assert (
        anon.post("/auth/sso", {"site": "news", "token": token(site, old, "j1")}).status_code == 200
    )
    page = admin_client.get(url).content.decode()
    assert old not in page  # the secret is never on the page

    resp = admin_client.post(url, {"op": "sso_rotate", "confirm": "on"})
    assert resp.status_code == 200
    new = resp.context["new_sso_secret"]
    assert new and new != old and len(new) >= 40
    assert f'<code id="new-sso-secret">{new}</code>' in resp.content.decode()
    assert "no-store" in resp["Cache-Control"]  # not kept by a browser or proxy
    site.refresh_from_db()
    assert site.sso_secret == new

    refused = anon.post("/auth/sso", {"site": "news", "token": token(site, old, "j2")})
    assert refused.status_code == 401 and refused.json_body["error"]["code"] == "sso_invalid"
    accepted = anon.post("/auth/sso", {"site": "news", "token": token(site, new, "j3")})
    assert accepted.status_code == 200, accepted.json_body

    # Shown once: the next visit does not show it; the audit log never holds it.
    assert new not in admin_client.get(url).content.decode()
    entry = AuditEntry.objects.get(action="site.sso_rotated")
    assert entry.data == {"old_secret_revoked": True}
    assert new not in str(entry.data) and old not in str(entry.data)


def test_turning_sso_off_refuses_every_token(site, anon, admin_client):
    url = f"/moderate/{site.slug}/settings/"
    old = site.sso_secret
    assert admin_client.post(url, {"op": "sso_disable"}).status_code == 200
    resp = anon.post("/auth/sso", {"site": "news", "token": token(site, old, "k1")})
    assert resp.status_code == 403 and resp.json_body["error"]["code"] == "sso_disabled"
    assert admin_client.post(url, {"op": "sso_disable"}).status_code == 409
    # On again: a fresh secret, audited as "enabled".
    resp = admin_client.post(url, {"op": "sso_rotate"})
    new = resp.context["new_sso_secret"]
    ok = anon.post("/auth/sso", {"site": "news", "token": token(site, new, "k2")})
    assert ok.status_code == 200
    assert list(
        AuditEntry.objects.filter(action__startswith="site.sso")
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["site.sso_disabled", "site.sso_enabled"]
