"""A second factor (TOTP, django-otp) for moderators and admins, on the desk and on /admin/.

Codes are computed from the device's key with django_otp.oath.totp, as an authenticator app
would: no mocks. A device refuses a code it has accepted once, and slows down after a wrong one
(one second after the first), hence the short waits below.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from civility.moderation.models import AuditEntry
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, offset: int = 0) -> str:
    """The code an authenticator app shows now (offset: that many 30 s steps later)."""
    device.refresh_from_db()
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + offset)
    return f"{token:06d}"


def wait_out_throttle() -> None:
    time.sleep(1.2)  # django-otp: 1 s after the first wrong code


def enrolled(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def sign_in(client: Client, username: str, next_url: str = "/moderate/news/"):
    return client.post(
        "/moderate/login/", {"username": username, "password": PASSWORD, "next": next_url}
    )


def location(resp) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(resp["Location"])
    return parts.path, parse_qs(parts.query)


def require_on_site(site) -> None:
    site.settings = {**(site.settings or {}), "require_staff_2fa": True}
    site.save(update_fields=["settings"])


def test_enrolled_moderator_gives_a_code_after_the_password(make_staff, site) -> None:
    device = enrolled(make_staff("mona"))
    client = Client()
    resp = sign_in(client, "mona")
    assert resp.status_code == 302
    assert location(resp) == ("/moderate/verify/", {"next": ["/moderate/news/"]})
    # Signed in with the password alone, nothing of the desk is reachable.
    page = client.get("/moderate/news/")
    assert page.status_code == 302 and location(page)[0] == "/moderate/verify/"
    api = client.get("/moderate/news/api/queue")
    assert api.status_code == 403 and api.json()["error"]["code"] == "second_factor_required"
    assert client.get("/moderate/").status_code == 302

    form = client.get("/moderate/verify/?next=/moderate/news/")
    assert form.status_code == 200 and b"Confirm your sign-in" in form.content
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    target = {"otp_device": device.persistent_id, "next": "/moderate/news/"}
    resp = client.post("/moderate/verify/", {**target, "otp_token": wrong})
    assert resp.status_code == 400 and b"Invalid token" in resp.content
    assert client.get("/moderate/news/").status_code == 302
    wait_out_throttle()
    resp = client.post("/moderate/verify/", {**target, "otp_token": code(device)})
    assert resp.status_code == 302 and resp["Location"] == "/moderate/news/"
    assert client.get("/moderate/news/").status_code == 200
    assert client.get("/moderate/news/api/queue").status_code == 200


def test_a_code_works_once(make_staff) -> None:
    device = enrolled(make_staff("mona"))
    first, second = Client(), Client()
    sign_in(first, "mona")
    sign_in(second, "mona")
    now = code(device)
    target = {"otp_device": device.persistent_id, "next": "/moderate/news/"}
    assert first.post("/moderate/verify/", {**target, "otp_token": now}).status_code == 302
    # Someone who saw the code (and knows the password) cannot use it again.
    assert second.post("/moderate/verify/", {**target, "otp_token": now}).status_code == 400
    assert second.get("/moderate/news/").status_code == 302


def test_a_code_for_another_users_device_is_refused(make_staff) -> None:
    enrolled(make_staff("mona"))
    other = enrolled(make_staff("otto"))
    client = Client()
    sign_in(client, "mona")
    target = {"otp_device": other.persistent_id, "otp_token": code(other)}
    assert client.post("/moderate/verify/", target).status_code == 400
    assert client.get("/moderate/news/").status_code == 302


def test_staff_without_a_device_are_not_asked_unless_required(make_staff) -> None:
    make_staff("mona")
    client = Client()
    resp = sign_in(client, "mona")
    assert resp.status_code == 302 and resp["Location"] == "/moderate/news/"
    assert client.get("/moderate/news/").status_code == 200


def test_a_site_that_requires_it_sends_staff_to_set_it_up(make_staff, site) -> None:
    user = make_staff("mona")
    require_on_site(site)
    client = Client()
    resp = sign_in(client, "mona")
    assert location(resp) == ("/moderate/2fa/", {"next": ["/moderate/news/"]})
    assert location(client.get("/moderate/news/"))[0] == "/moderate/2fa/"
    api = client.get("/moderate/news/api/queue")
    assert api.status_code == 403
    assert api.json()["error"]["code"] == "second_factor_enrolment_required"

    page = client.get("/moderate/2fa/?next=/moderate/news/")
    assert page.status_code == 200
    assert b'src="data:image/svg+xml;base64,' in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    secret = page.context["secret"].replace(" ", "")
    assert secret == device.config_url.split("secret=")[1].split("&")[0].rstrip("=")
    # Reloading keeps the key the app scanned.
    assert client.get("/moderate/2fa/").context["secret"] == page.context["secret"]

    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    resp = client.post("/moderate/2fa/", {"otp_token": wrong, "next": "/moderate/news/"})
    assert resp.status_code == 400 and b"does not match" in resp.content
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    wait_out_throttle()
    resp = client.post("/moderate/2fa/", {"otp_token": code(device), "next": "/moderate/news/"})
    assert resp.status_code == 302 and resp["Location"] == "/moderate/news/"
    assert client.get("/moderate/news/").status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    entry = AuditEntry.objects.get(action="user.2fa_enrolled")
    assert (entry.actor, entry.target_user, entry.after) == (user, user, "totp")

    # The next sign-in asks for a code.
    later = Client()
    assert location(sign_in(later, "mona"))[0] == "/moderate/verify/"
    assert later.get("/moderate/2fa/").status_code == 302  # no second device without a code


def test_the_requirement_is_per_site(make_staff, site) -> None:
    from civility.comments.models import Site
    from civility.moderation.models import SiteMembership

    other = Site.objects.create(name="Other", slug="other", allowed_origins=["*"])
    require_on_site(other)
    user = make_staff("mona")
    SiteMembership.objects.create(site=other, user=user, role="moderator")
    client = Client()
    client.force_login(user)
    assert client.get("/moderate/news/").status_code == 200
    assert location(client.get("/moderate/other/"))[0] == "/moderate/2fa/"


def test_site_admins_turn_the_requirement_on(make_staff, site) -> None:
    admin = make_staff("ada", role="admin")
    client = Client()
    client.force_login(admin)
    form = {"premoderation": "none", "new_commenter_threshold": "1", "max_links": "2"}
    resp = client.post("/moderate/news/settings/", {**form, "require_staff_2fa": "on"})
    assert resp.status_code == 200 and resp.context["saved"]
    site.refresh_from_db()
    assert site.settings["require_staff_2fa"] is True
    entry = AuditEntry.objects.filter(action="site.settings").latest("id")
    assert entry.data["before"]["require_staff_2fa"] is False
    assert entry.data["after"]["require_staff_2fa"] is True
    # Its author, without a device, is sent to set one up, not locked out.
    assert location(client.get("/moderate/news/"))[0] == "/moderate/2fa/"
    assert location(client.get("/moderate/news/settings/"))[0] == "/moderate/2fa/"


def test_readers_cannot_enrol(make_reader) -> None:
    user, _ = make_reader("rita")
    client = Client()
    client.force_login(user)
    assert client.get("/moderate/2fa/").status_code == 403
    assert not TOTPDevice.objects.exists()


def test_the_setting_for_all_staff_covers_the_admin(make_staff, settings) -> None:
    settings.REQUIRE_STAFF_2FA = True
    root = make_staff("root", role=None, is_staff=True, is_superuser=True)
    client = Client()
    resp = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert resp.status_code == 302
    resp = client.get("/admin/", follow=True)
    assert resp.redirect_chain[-1][0].startswith("/moderate/2fa/?next=")
    assert "/admin/" in parse_qs(urlsplit(resp.redirect_chain[-1][0]).query)["next"][0]
    client.get("/moderate/2fa/")
    device = TOTPDevice.objects.get(user=root)
    resp = client.post("/moderate/2fa/", {"otp_token": code(device), "next": "/admin/"})
    assert resp["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_enrolled_admin_confirms_a_code_for_the_admin(make_staff) -> None:
    device = enrolled(make_staff("root", role=None, is_staff=True, is_superuser=True))
    client = Client()
    client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    resp = client.get("/admin/", follow=True)
    assert resp.redirect_chain[-1][0].startswith("/moderate/verify/")
    assert client.get("/admin/comments/site/").status_code == 302
    resp = client.post(
        "/moderate/verify/",
        {"otp_device": device.persistent_id, "otp_token": code(device), "next": "/admin/"},
    )
    assert resp["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/comments/site/").status_code == 200


def test_the_next_address_stays_on_this_site(make_staff) -> None:
    device = enrolled(make_staff("mona"))
    client = Client()
    sign_in(client, "mona")
    resp = client.post(
        "/moderate/verify/",
        {
            "otp_device": device.persistent_id,
            "otp_token": code(device),
            "next": "https://evil.example/steal",
        },
    )
    assert resp["Location"] == "/moderate/"
