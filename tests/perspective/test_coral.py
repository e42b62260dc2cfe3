"""Coral's external moderation phase: signatures (valid, rotated, forged, missing) and decisions."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from civility.comments.models import Site
from civility.moderation.models import WordRule
from civility.perspective.coral import coral_decision, verify_signature

pytestmark = pytest.mark.django_db

OLD, NEW = "ssc_old-secret-0f3a", "ssc_new-secret-9b1c"
URL = "/coral/moderate/daily"


@pytest.fixture
def site(db: Any) -> Site:
    site = Site.objects.create(
        name="Daily", slug="daily", settings={"coral": {"signing_secrets": [NEW, OLD]}}
    )
    WordRule.objects.create(site=site, phrase="frobnicator", action="reject")
    WordRule.objects.create(site=site, phrase="wibble", action="hold")
    return site


def coral_body(text: str, role: str = "COMMENTER", action: str = "NEW") -> bytes:
    """As Coral sends it: JSON.stringify(request, null, 2)."""
    request = {
        "action": action,
        "comment": {"body": text, "parentID": None},
        "author": {"id": "baf4e943-1", "role": role},
        "story": {"id": "245b3856-2", "url": "http://localhost:1313/posts/a-story-url/"},
        "site": {"id": "a4bede88-3"},
        "tenantID": "19ba5794-4",
        "tenantDomain": "localhost",
    }
    return json.dumps(request, indent=2).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(client: Any, body: bytes, header: str | None, url: str = URL) -> Any:
    extra = {} if header is None else {"HTTP_X_CORAL_SIGNATURE": header}
    return client.post(url, data=body, content_type="application/json", **extra)


BANNED = "What a frobnicator you are."


def _assert_banned_word_rejection(resp: Any) -> None:
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert data["status"] == "REJECTED"
    assert data["actions"] == [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]
    assert data["moderationAction"]["status"] == "REJECTED"
    assert data["moderationAction"]["rejectionReason"]["code"] == "BANNED_WORD"


def test_valid_signature(client: Any, site: Site) -> None:
    body = coral_body(BANNED)
    _assert_banned_word_rejection(send(client, body, signature(NEW, body)))


def test_rotated_secrets_any_matching_signature_is_accepted(client: Any, site: Site) -> None:
    body = coral_body(BANNED)
    # Coral sends one signature per active secret; during rotation ours may know only one.
    both = f"{signature('ssc_coral-only-new', body)},{signature(OLD, body)}"
    _assert_banned_word_rejection(send(client, body, both))
    _assert_banned_word_rejection(send(client, body, signature(OLD, body)))
    site.settings = {"coral": {"signing_secrets": [NEW]}}  # OLD retired
    site.save()
    assert send(client, body, signature(OLD, body)).status_code == 401


def test_forged_signatures_are_refused(client: Any, site: Site) -> None:
    body = coral_body(BANNED)
    tampered = coral_body("A perfectly nice comment.")
    for header in (
        signature("ssc_attacker", body),  # wrong secret
        signature(NEW, tampered),  # signature of another body
        "sha256=" + "0" * 64,
        "sha1=" + hmac.new(NEW.encode(), body, hashlib.sha1).hexdigest(),
        signature(NEW, body)[:-2],  # truncated
        "garbage",
    ):
        resp = send(client, body, header)
        assert resp.status_code == 401, header
        assert resp.json()["error"]["code"] == "bad_signature"


def test_missing_signature_is_refused(client: Any, site: Site) -> None:
    for header in (None, ""):
        resp = send(client, coral_body(BANNED), header)
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "missing_signature"


def test_unknown_or_unconfigured_site(client: Any, site: Site) -> None:
    body = coral_body(BANNED)
    assert send(client, body, signature(NEW, body), "/coral/moderate/nope").status_code == 404
    Site.objects.create(name="Plain", slug="plain")
    resp = send(client, body, signature(NEW, body), "/coral/moderate/plain")
    assert resp.status_code == 403
    assert resp.json()["error"]["code"] == "coral_not_configured"


def test_malformed_request_is_400_after_signature(client: Any, site: Site) -> None:
    for body in (b"not json", b"[]", json.dumps({"action": "DELETE"}).encode()):
        resp = send(client, body, signature(NEW, body))
        assert resp.status_code == 400
        assert resp.json()["error"]["code"] == "invalid_request"


def test_staff_and_empty_comments_need_nothing(client: Any, site: Site) -> None:
    for body in (coral_body(BANNED, role="MODERATOR"), coral_body("   ")):
        resp = send(client, body, signature(NEW, body))
        assert resp.status_code == 204 and resp.content == b""


def test_html_body_is_stripped_before_rules(client: Any, site: Site) -> None:
    body = coral_body("<p>What a <b>frob</b>nicator &amp; more</p>")
    resp = send(client, body, signature(NEW, body))
    assert resp.status_code == 200
    assert resp.json()["moderationAction"]["rejectionReason"]["code"] == "BANNED_WORD"


def test_signature_helper_accepts_whitespace_and_case() -> None:
    body = b'{"a": 1}'
    sig = signature(NEW, body)
    assert verify_signature(f" sha256={sig[7:].upper()} , sha256=00", body, [NEW])
    assert not verify_signature(sig, body, [])


def test_decision_mapping() -> None:
    assert coral_decision("approve", []) is None
    held = coral_decision(
        "hold", [{"action": "hold", "code": "model_insult", "attribute": "INSULT"}]
    )
    assert held == {
        "status": "SYSTEM_WITHHELD",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
    }
    assert coral_decision("hold", [{"action": "hold", "code": "model_unavailable"}]) == {
        "status": "PREMOD"
    }
    rejected = coral_decision(
        "reject",
        [
            {"action": "hold", "code": "model_insult", "attribute": "INSULT"},
            {"action": "reject", "code": "model_identity_attack", "attribute": "IDENTITY_ATTACK"},
            {"action": "reject", "code": "model_threat", "attribute": "THREAT"},
        ],
    )
    assert rejected is not None
    assert rejected["moderationAction"]["rejectionReason"]["code"] == "HATE_SPEECH"
    threat = coral_decision(
        "reject", [{"action": "reject", "code": "model_threat", "attribute": "THREAT"}]
    )
    assert threat is not None
    assert threat["moderationAction"]["rejectionReason"]["code"] == "HARASSMENT_BULLYING"


def test_model_decisions_end_to_end(client: Any, site: Site, scorer: Any) -> None:
    """With the real model: a clean comment needs nothing, a hateful threat does not pass."""
    clean = coral_body("Thanks for the thoughtful article, I learned a lot about the budget.")
    resp = send(client, clean, signature(NEW, clean))
    assert resp.status_code == 204
    nasty = coral_body("You are a worthless idiot and I will kill you, you stupid piece of trash.")
    resp = send(client, nasty, signature(NEW, nasty))
    assert resp.status_code == 200
    data = resp.json()
    assert data["status"] in {"SYSTEM_WITHHELD", "REJECTED"}
    assert data["actions"] == [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]


def test_cli_manages_signing_secrets(client: Any, capsys: Any) -> None:
    from civility.perspective.cli import apikey_main

    Site.objects.create(name="Cli", slug="cli")
    body = coral_body("hello")
    url = "/coral/moderate/cli"
    assert send(client, body, signature(NEW, body), url).status_code == 403
    assert apikey_main(["coral", "cli", "--add", NEW]) == 0
    assert apikey_main(["coral", "cli", "--add", OLD]) == 0
    out = capsys.readouterr().out
    assert "/coral/moderate/cli" in out and "2 signing secret(s)" in out and NEW not in out
    assert send(client, body, signature(OLD, body), url).status_code in {200, 204}
    assert apikey_main(["coral", "cli", "--remove", OLD]) == 0
    assert send(client, body, signature(OLD, body), url).status_code == 401
    assert send(client, body, signature(NEW, body), url).status_code in {200, 204}
    assert apikey_main(["coral", "cli", "--remove", OLD]) == 1
    assert apikey_main(["coral", "nosuchsite"]) == 1
