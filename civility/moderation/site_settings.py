"""Site rules edited by site admins: word rules, link limit, pre-moderation, trust, thresholds."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from civility.audit import record
from civility.comments.models import Site
from civility.errors import Refused
from civility.events import emit
from civility.moderation.model_check import (
    DEFAULT_THRESHOLDS,
    LANGUAGE_POLICIES,
    thresholds_for,
    unsupported_language_policy,
)
from civility.moderation.models import WordRule
from civility.moderation.permissions import require_admin
from civility.moderation.rules import normalize_phrase
from civility.moderation.second_factor import SITE_SETTING, site_requires

MAX_PHRASE = 200


def threshold_rows(site: Site) -> list[dict[str, Any]]:
    current = thresholds_for(site)
    return [
        {"attribute": a, "hold": current[a]["hold"], "reject": current[a]["reject"]}
        for a in DEFAULT_THRESHOLDS
    ]


def _int(data: Any, name: str, low: int, high: int) -> int:
    raw = str(data.get(name, "")).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Refused("bad_setting", f"{name.replace('_', ' ')} must be a number {low}-{high}.")
    return int(raw)


def _threshold(data: Any, name: str) -> float | None:
    raw = str(data.get(name, "")).strip()
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise Refused("bad_setting", f"{name} must be a number between 0 and 1.") from None
    if not 0.0 <= value <= 1.0:
        raise Refused("bad_setting", f"{name} must be between 0 and 1.")
    return value


def update_settings(actor: Any, site: Site, data: Any) -> Site:
    """Validate everything first, then write it all in one transaction (or nothing)."""
    require_admin(actor, site)
    premod = str(data.get("premoderation", site.premoderation))
    if premod not in Site.PreModeration.values:
        raise Refused("bad_setting", f"Unknown pre-moderation mode {premod!r}.")
    trust = _int(data, "new_commenter_threshold", 0, 1000)
    max_links = _int(data, "max_links", 0, 100)
    thresholds: dict[str, dict[str, float | None]] = {}
    for attr in DEFAULT_THRESHOLDS:
        hold = _threshold(data, f"hold_{attr}")
        reject = _threshold(data, f"reject_{attr}")
        if hold is not None and reject is not None and reject < hold:
            raise Refused("bad_setting", f"{attr}: the reject threshold is below the hold one.")
        thresholds[attr] = {"hold": hold, "reject": reject}
    # Comments in a language the model does not read (absent from a form: left as it is).
    languages = str(data.get("unsupported_language", unsupported_language_policy(site)))
    if languages not in LANGUAGE_POLICIES:
        raise Refused("bad_setting", f"Unknown policy for other languages {languages!r}.")
    action = str(data.get("new_action", "hold"))
    if action not in WordRule.Action.values:
        raise Refused("bad_setting", f"Unknown word rule action {action!r}.")
    new_phrases = []
    for line in str(data.get("new_phrases", "")).splitlines():
        phrase = line.strip()
        if not phrase:
            continue
        if len(phrase) > MAX_PHRASE or not normalize_phrase(phrase):
            raise Refused("bad_setting", f"Word rule {phrase[:40]!r} is empty or too long.")
        new_phrases.append(phrase)
    getlist = getattr(data, "getlist", None)
    delete_ids = getlist("delete_rule") if getlist else data.get("delete_rule", [])
    try:
        delete_ids = [int(i) for i in delete_ids]
    except (TypeError, ValueError):
        raise Refused("bad_setting", "Rule ids must be numbers.") from None

    # A checkbox: absent from the form when unticked. Turning it on never locks its own
    # author out: staff without an authenticator app are sent to set one up.
    staff_2fa = str(data.get(SITE_SETTING, "")).lower() in {"on", "1", "true", "yes"}

    before = {
        "premoderation": site.premoderation,
        "new_commenter_threshold": site.new_commenter_threshold,
        "max_links": site.max_links,
        "thresholds": thresholds_for(site),
        "unsupported_language": unsupported_language_policy(site),
        SITE_SETTING: site_requires(site),
    }
    try:
        with transaction.atomic():
            site = Site.objects.select_for_update().get(pk=site.pk)
            site.premoderation = premod
            site.new_commenter_threshold = trust
            site.max_links = max_links
            site.settings = {
                **(site.settings or {}),
                "thresholds": thresholds,
                "unsupported_language": languages,
                SITE_SETTING: staff_2fa,
            }
            site.save(
                update_fields=["premoderation", "new_commenter_threshold", "max_links", "settings"]
            )
            deleted = list(
                WordRule.objects.filter(site=site, pk__in=delete_ids).values_list(
                    "phrase", flat=True
                )
            )
            WordRule.objects.filter(site=site, pk__in=delete_ids).delete()
            for phrase in new_phrases:
                WordRule.objects.create(site=site, phrase=phrase, action=action)
            record(
                "site.settings",
                site=site,
                actor=actor,
                data={
                    "before": before,
                    "after": {
                        "premoderation": premod,
                        "new_commenter_threshold": trust,
                        "max_links": max_links,
                        "thresholds": thresholds,
                        "unsupported_language": languages,
                        SITE_SETTING: staff_2fa,
                    },
                    "rules_added": [[p, action] for p in new_phrases],
                    "rules_deleted": deleted,
                },
            )
            emit(f"site:{site.pk}:queue", {"type": "site.settings", "actor": actor.get_username()})
    except IntegrityError:
        raise Refused("duplicate_rule", "One of these word rules exists already.", 409) from None
    return site
