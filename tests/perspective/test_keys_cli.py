"""`civility apikey create|list|revoke`, keys stored hashed, daily counts only."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from civility.perspective.cli import apikey_main
from civility.perspective.models import ApiKey, ApiKeyUsage

from .conftest import ANALYZE, post

pytestmark = pytest.mark.django_db(transaction=True)


def _create(capsys: Any, *args: str) -> str:
    assert apikey_main(["create", *args]) == 0
    out = capsys.readouterr()
    return out.out.strip()


def test_create_prints_key_once_and_stores_only_its_hash(capsys: Any) -> None:
    raw = _create(capsys, "newsroom", "--qps", "5")
    assert raw.startswith("civ_") and len(raw) > 30
    key = ApiKey.objects.get(name="newsroom")
    assert key.qps == 5
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    stored = [str(v) for v in ApiKey.objects.values_list(flat=False).get(pk=key.pk)]
    assert all(raw not in v for v in stored)
    # `list` never shows the key again, only its prefix.
    assert apikey_main(["list"]) == 0
    listing = capsys.readouterr().out
    assert "newsroom" in listing and raw not in listing and raw[:8] in listing


def test_duplicate_name_and_bad_qps_are_refused(capsys: Any) -> None:
    _create(capsys, "dup")
    assert apikey_main(["create", "dup"]) == 1
    assert "already exists" in capsys.readouterr().err
    assert apikey_main(["create", "zero", "--qps", "0"]) == 2
    assert ApiKey.objects.count() == 1


def test_revoke_by_name_and_id_then_key_is_refused(client: Any, capsys: Any) -> None:
    raw_a = _create(capsys, "a", "--qps", "100")
    raw_b = _create(capsys, "b", "--qps", "100")
    body = {"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}
    assert post(client, ANALYZE, body, raw_a).status_code == 400  # accepted key, empty text
    assert apikey_main(["revoke", "a"]) == 0
    b_id = str(ApiKey.objects.get(name="b").pk)
    assert apikey_main(["revoke", b_id]) == 0
    assert apikey_main(["revoke", "nobody"]) == 1
    for raw in (raw_a, raw_b):
        resp = post(client, ANALYZE, body, raw)
        assert resp.status_code == 403
        assert resp.json()["error"]["status"] == "PERMISSION_DENIED"
    capsys.readouterr()
    apikey_main(["list"])
    assert capsys.readouterr().out.count("revoked") == 2


def test_usage_is_counted_per_key_day_and_method(client: Any, capsys: Any) -> None:
    raw = _create(capsys, "counted", "--qps", "100")
    body = {"comment": {"text": ""}, "requestedAttributes": {"TOXICITY": {}}}
    for _ in range(3):
        post(client, ANALYZE, body, raw)
    usage = ApiKeyUsage.objects.get(key__name="counted", method="analyze")
    assert usage.requests == 3 and usage.over_quota == 0
    capsys.readouterr()
    apikey_main(["list"])
    row = [line for line in capsys.readouterr().out.splitlines() if "counted" in line][0]
    assert row.split()[4] == "3"


def test_coral_secret_rotation_is_audited_without_the_secret(capsys: Any) -> None:
    from civility.comments.models import Site
    from civility.moderation.models import AuditEntry

    Site.objects.create(name="News", slug="news")
    secret = "ssc_0123456789abcdefghij"
    assert apikey_main(["coral", "news", "--add", secret]) == 0
    assert apikey_main(["coral", "news", "--add", secret]) == 0  # already there: no change
    assert apikey_main(["coral", "news", "--remove", secret]) == 0
    assert apikey_main(["coral", "news", "--remove", secret]) == 1  # gone: a clear refusal
    assert "not configured" in capsys.readouterr().err
    entries = AuditEntry.objects.filter(action__startswith="site.coral_secret").order_by("id")
    assert [e.action for e in entries] == ["site.coral_secret_added", "site.coral_secret_removed"]
    assert all(secret not in str(e.data) and e.data["secret_prefix"] == secret[:8] for e in entries)
