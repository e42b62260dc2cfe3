"""Site rules edited by a site's admins on the desk (never Django admin): publishing and
pre-moderation, the model's thresholds (with a preview on stored scores), word rules (a table,
and a sentence tested against them), who may embed the thread, guests and local accounts, and
the SSO secret. One action function per change: validate (raise `Refused`), write in one
transaction, `audit.record`; views call these and nothing else.

SSO secret rotation revokes the old secret at once (no grace period): a rotation is mostly done
because the secret may have leaked, and a grace period would keep a leaked secret signing people
in. Readers already signed in keep their sessions (those are Civility's own tokens); only new
sign-ins fail until the publisher's backend signs with the new secret, which the page shows once.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from civility.audit import record
from civility.comments.models import Comment, Site
from civility.errors import Refused, whole_number, whole_numbers
from civility.events import emit
from civility.moderation.model_check import (
    ATTRIBUTE_LABELS,
    DEFAULT_THRESHOLDS,
    LANGUAGE_POLICIES,
    model_votes,
    thresholds_for,
    unsupported_language_policy,
)
from civility.moderation.models import WordRule
from civility.moderation.permissions import require_admin
from civility.moderation.rules import RuleMatch, match_word_rules, normalize_phrase
from civility.moderation.second_factor import SITE_SETTING, site_requires
from civility.verdicts import APPROVE, HOLD, REJECT, strictest

MAX_PHRASE = 200
MAX_ORIGINS = 50
MAX_TEST_SENTENCE = 5000
# The preview replays the thresholds on this many of the site's newest scored comments.
PREVIEW_SIZE = 500
MAX_PREVIEW_SIZE = 5000
PREVIEW_EXAMPLES = 3

Thresholds = dict[str, dict[str, float | None]]


def threshold_rows(site: Site) -> list[dict[str, Any]]:
    current = thresholds_for(site)
    return [
        {
            "attribute": a,
            "label": ATTRIBUTE_LABELS.get(a, a.lower()),
            "hold": current[a]["hold"],
            "reject": current[a]["reject"],
            "pairs": [("hold", current[a]["hold"]), ("reject", current[a]["reject"])],
        }
        for a in DEFAULT_THRESHOLDS
    ]


def _int(data: Any, name: str, low: int, high: int) -> int:
    raw = str(data.get(name, "")).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Refused(
            "bad_setting",
            _("%(field)s must be a number %(low)s-%(high)s.")
            % {"field": name.replace("_", " "), "low": low, "high": high},
        )
    return int(raw)


def _ticked(data: Any, name: str) -> bool:
    """A checkbox: absent from a form when unticked."""
    return str(data.get(name, "")).lower() in {"on", "1", "true", "yes"}


def _threshold(data: Any, name: str) -> tuple[bool, float | None]:
    """(given, value) for one threshold field: a number 0-1, empty or "<name>_off" = never."""
    if _ticked(data, f"{name}_off"):
        return True, None
    if name not in data:
        return False, None
    raw = str(data.get(name, "")).strip()
    if raw == "":
        return True, None
    try:
        value = float(raw)
    except ValueError:
        raise Refused(
            "bad_setting", _("%(field)s must be a number between 0 and 1.") % {"field": name}
        ) from None
    if not 0.0 <= value <= 1.0:
        raise Refused("bad_setting", _("%(field)s must be between 0 and 1.") % {"field": name})
    return True, round(value, 4)


def parse_thresholds(data: Any) -> Thresholds:
    """The thresholds a form (or the preview's query) gives, attribute by attribute; an
    attribute or a field it leaves out is not in the result (left as it is)."""
    given: Thresholds = {}
    for attr in DEFAULT_THRESHOLDS:
        for key in ("hold", "reject"):
            present, value = _threshold(data, f"{key}_{attr}")
            if present:
                given.setdefault(attr, {})[key] = value
    return given


def proposed_thresholds(site: Site, given: Thresholds, *, sliders: bool = False) -> Thresholds:
    """The site's thresholds with ``given`` on top, checked: reject may not be below hold.
    ``sliders``: the values come from the page's sliders (see below)."""
    merged = {attr: dict(limits) for attr, limits in thresholds_for(site).items()}
    for attr, limits in given.items():
        for key, value in limits.items():
            now = merged[attr].get(key)
            # The sliders step by 0.01: one left where it was (the model's 0.734 shown as
            # 0.73) keeps the exact value.
            if sliders and value is not None and now is not None and round(now, 2) == value:
                value = now
            merged[attr][key] = value
    for attr, limits in merged.items():
        hold, reject = limits.get("hold"), limits.get("reject")
        if hold is not None and reject is not None and reject < hold:
            raise Refused(
                "bad_setting",
                _("%(attribute)s: the reject threshold is below the hold one.")
                % {"attribute": attr},
            )
    return merged


# Limits on the Site row an admin sets on the publishing form: field -> (low, high). Absent
# from a form: left as it is.
LIMITS = {
    "max_comment_length": (1, 100_000),
    "edit_window_minutes": (0, 7 * 24 * 60),
    "rate_limit_per_minute": (1, 1000),
    "ip_rate_limit_per_minute": (1, 100_000),
}


def _limits_now(site: Site) -> dict[str, int]:
    return {
        "max_comment_length": site.max_comment_length,
        "edit_window_minutes": site.edit_window_seconds // 60,
        "rate_limit_per_minute": site.rate_limit_per_minute,
        "ip_rate_limit_per_minute": site.ip_rate_limit_per_minute,
    }


def _publishing(site: Site, data: Any) -> dict[str, Any]:
    premod = str(data.get("premoderation", site.premoderation))
    if premod not in Site.PreModeration.values:
        raise Refused("bad_setting", _("Unknown pre-moderation mode %(mode)r.") % {"mode": premod})
    # Comments in a language the model does not read (absent from a form: left as it is).
    languages = str(data.get("unsupported_language", unsupported_language_policy(site)))
    if languages not in LANGUAGE_POLICIES:
        raise Refused(
            "bad_setting",
            _("Unknown policy for other languages %(policy)r.") % {"policy": languages},
        )
    return {
        "premoderation": premod,
        "new_commenter_threshold": _int(data, "new_commenter_threshold", 0, 1000),
        "max_links": _int(data, "max_links", 0, 100),
        **{
            name: _int(data, name, low, high) if name in data else now
            for (name, (low, high)), now in zip(
                LIMITS.items(), _limits_now(site).values(), strict=True
            )
        },
        "unsupported_language": languages,
        # Turning it on never locks its own author out: staff without an authenticator app
        # are sent to set one up.
        SITE_SETTING: _ticked(data, SITE_SETTING),
    }


def _publishing_now(site: Site) -> dict[str, Any]:
    return {
        "premoderation": site.premoderation,
        "new_commenter_threshold": site.new_commenter_threshold,
        "max_links": site.max_links,
        **_limits_now(site),
        "thresholds": thresholds_for(site),
        "unsupported_language": unsupported_language_policy(site),
        SITE_SETTING: site_requires(site),
    }


def _new_phrases(data: Any) -> list[str]:
    phrases = []
    for line in str(data.get("new_phrases", "")).splitlines():
        phrase = _clean_phrase(line, allow_empty=True)
        if phrase:
            phrases.append(phrase)
    return phrases


def _clean_phrase(raw: Any, *, allow_empty: bool = False) -> str:
    phrase = " ".join(str(raw or "").split())
    if not phrase and allow_empty:
        return ""
    if len(phrase) > MAX_PHRASE or not normalize_phrase(phrase):
        raise Refused(
            "bad_setting", _("Word rule %(phrase)r is empty or too long.") % {"phrase": phrase[:40]}
        )
    return phrase


def _rule_action(raw: Any) -> str:
    action = str(raw or "hold")
    if action not in WordRule.Action.values:
        raise Refused("bad_setting", _("Unknown word rule action %(action)r.") % {"action": action})
    return action


def _announce(site: Site, actor: Any, kind: str = "site.settings") -> None:
    """Open desks hear that the rules changed (after the commit)."""
    name = actor.get_username()
    transaction.on_commit(lambda: emit(f"site:{site.pk}:queue", {"type": kind, "actor": name}))


def update_settings(actor: Any, site: Site, data: Any) -> Site:
    """Publishing rules, thresholds given and new word rules from one form: validate
    everything first, then write it all in one transaction (or nothing). Thresholds the form
    leaves out stay as they are."""
    require_admin(actor, site)
    values = _publishing(site, data)
    given = parse_thresholds(data)
    thresholds = proposed_thresholds(site, given)
    action = _rule_action(data.get("new_action"))
    new_phrases = _new_phrases(data)
    getlist = getattr(data, "getlist", None)
    delete_ids = getlist("delete_rule") if getlist else data.get("delete_rule", [])
    delete_ids = whole_numbers(delete_ids, "bad_setting", "Rule ids must be numbers.")

    before = _publishing_now(site)
    try:
        with transaction.atomic():
            site = Site.objects.select_for_update().get(pk=site.pk)
            _write_publishing(site, values, _configured(site, given, thresholds))
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
                    "after": {**values, "thresholds": thresholds},
                    "rules_added": [[p, action] for p in new_phrases],
                    "rules_deleted": deleted,
                },
            )
            _announce(site, actor)
    except IntegrityError:
        raise Refused("duplicate_rule", _("One of these word rules exists already."), 409) from None
    return site


def _configured(site: Site, given: Thresholds, merged: Thresholds) -> Thresholds:
    """The site's stored thresholds with the keys ``given`` set to their ``merged`` value."""
    configured: Thresholds = dict((site.settings or {}).get("thresholds") or {})
    for attr, limits in given.items():
        configured[attr] = {
            **(configured.get(attr) or {}),
            **{key: merged[attr][key] for key in limits},
        }
    return configured


def _write_publishing(site: Site, values: dict[str, Any], configured: Thresholds) -> None:
    site.premoderation = values["premoderation"]
    site.new_commenter_threshold = values["new_commenter_threshold"]
    site.max_links = values["max_links"]
    site.max_comment_length = values["max_comment_length"]
    site.edit_window_seconds = values["edit_window_minutes"] * 60
    site.rate_limit_per_minute = values["rate_limit_per_minute"]
    site.ip_rate_limit_per_minute = values["ip_rate_limit_per_minute"]
    site.settings = {
        **(site.settings or {}),
        "thresholds": configured,
        "unsupported_language": values["unsupported_language"],
        SITE_SETTING: values[SITE_SETTING],
    }
    site.save(
        update_fields=[
            "premoderation",
            "new_commenter_threshold",
            "max_links",
            "max_comment_length",
            "edit_window_seconds",
            "rate_limit_per_minute",
            "ip_rate_limit_per_minute",
            "settings",
        ]
    )


def update_publishing(actor: Any, site: Site, data: Any) -> Site:
    """Pre-moderation, new-commenter trust, the link and length limits, the edit window, rate
    limits, other languages, staff 2FA."""
    require_admin(actor, site)
    values = _publishing(site, data)
    before = _publishing_now(site)
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        _write_publishing(site, values, (site.settings or {}).get("thresholds") or {})
        before.pop("thresholds")
        record("site.settings", site=site, actor=actor, data={"before": before, "after": values})
        _announce(site, actor)
    return site


def update_thresholds(actor: Any, site: Site, data: Any) -> Site:
    """The model's hold and reject thresholds, per attribute (the sliders)."""
    require_admin(actor, site)
    given = parse_thresholds(data)
    if not given:
        raise Refused("bad_setting", _("No thresholds given."))
    after = proposed_thresholds(site, given, sliders=True)
    before = thresholds_for(site)
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        configured = _configured(site, given, after)
        site.settings = {**(site.settings or {}), "thresholds": configured}
        site.save(update_fields=["settings"])
        record(
            "site.settings",
            site=site,
            actor=actor,
            data={"before": {"thresholds": before}, "after": {"thresholds": after}},
        )
        _announce(site, actor)
    return site


def reset_thresholds(actor: Any, site: Site) -> Site:
    """Back to the model's own holds and the fixed reject defaults."""
    require_admin(actor, site)
    before = thresholds_for(site)
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        site.settings = {k: v for k, v in (site.settings or {}).items() if k != "thresholds"}
        site.save(update_fields=["settings"])
        record(
            "site.settings",
            site=site,
            actor=actor,
            data={"before": {"thresholds": before}, "after": {"thresholds": thresholds_for(site)}},
            reason="thresholds reset to the model's defaults",
        )
        _announce(site, actor)
    return site


# --- word rules -----------------------------------------------------------------------------


def _rule_of(site: Site, rule_id: Any) -> WordRule:
    pk = whole_number(rule_id, "bad_setting", "Rule ids must be numbers.")
    rule = WordRule.objects.filter(site=site, pk=pk).first()
    if rule is None:
        raise Refused("not_found", _("No such word rule on this site."), 404)
    return rule


def add_word_rules(actor: Any, site: Site, phrases: str, action: str) -> list[WordRule]:
    """One or more phrases (one per line), all banned or all suspect."""
    require_admin(actor, site)
    action = _rule_action(action)
    new = _new_phrases({"new_phrases": phrases})
    if not new:
        raise Refused("bad_setting", _("Type a word or phrase to add."))
    try:
        with transaction.atomic():
            rules = [WordRule.objects.create(site=site, phrase=p, action=action) for p in new]
            record(
                "site.word_rule.added",
                site=site,
                actor=actor,
                after=action,
                data={"rules": [[p, action] for p in new]},
            )
            _announce(site, actor)
    except IntegrityError:
        raise Refused("duplicate_rule", _("One of these word rules exists already."), 409) from None
    return rules


def edit_word_rule(actor: Any, site: Site, rule_id: Any, phrase: Any, action: Any) -> WordRule:
    require_admin(actor, site)
    rule = _rule_of(site, rule_id)
    new_phrase, new_action = _clean_phrase(phrase), _rule_action(action)
    before = [rule.phrase, rule.action]
    try:
        with transaction.atomic():
            rule.phrase, rule.action = new_phrase, new_action
            rule.save(update_fields=["phrase", "action"])
            record(
                "site.word_rule.changed",
                site=site,
                actor=actor,
                before=before[1],
                after=new_action,
                data={"rule": rule.pk, "before": before, "after": [new_phrase, new_action]},
            )
            _announce(site, actor)
    except IntegrityError:
        raise Refused(
            "duplicate_rule",
            _("The word rule %(phrase)r exists already.") % {"phrase": new_phrase},
            409,
        ) from None
    return rule


def delete_word_rule(actor: Any, site: Site, rule_id: Any) -> None:
    require_admin(actor, site)
    rule = _rule_of(site, rule_id)
    with transaction.atomic():
        record(
            "site.word_rule.deleted",
            site=site,
            actor=actor,
            before=rule.action,
            data={"rule": rule.pk, "before": [rule.phrase, rule.action]},
        )
        rule.delete()
        _announce(site, actor)


def check_sentence(site: Site, text: Any) -> dict[str, Any]:
    """Which of the site's rules match ``text``, where, and what they would do: the pipeline's
    own matcher (civility.moderation.rules), nothing stored."""
    text = str(text or "")
    if not text.strip():
        raise Refused("bad_setting", _("Type a sentence to test."))
    if len(text) > MAX_TEST_SENTENCE:
        raise Refused(
            "bad_setting",
            _("Test at most %(limit)s characters.") % {"limit": MAX_TEST_SENTENCE},
        )
    matches = match_word_rules(site, text)
    verdict = strictest(REJECT if m.action == "reject" else HOLD for m in matches)
    return {
        "text": text,
        "verdict": str(verdict),
        "matches": [
            {
                "phrase": m.phrase,
                "action": m.action,
                "matched": text[m.start : m.end],
                "start": m.start,
                "end": m.end,
            }
            for m in matches
        ],
        "pieces": _highlight(text, matches),
    }


def _highlight(text: str, matches: list[RuleMatch]) -> list[dict[str, Any]]:
    """``text`` cut into plain and matched pieces, for the template to mark up (escaped)."""
    pieces: list[dict[str, Any]] = []
    at = 0
    for m in matches:
        if m.start < at:
            continue  # overlapping matches: the first one is marked
        if m.start > at:
            pieces.append({"text": text[at : m.start], "rule": None})
        pieces.append({"text": text[m.start : m.end], "rule": m.phrase, "action": m.action})
        at = m.end
    if at < len(text):
        pieces.append({"text": text[at:], "rule": None})
    return pieces


# --- the thresholds' preview ------------------------------------------------------------------


def _verdict(site: Site, comment: Comment, thresholds: Thresholds) -> tuple[str, list[str]]:
    votes = model_votes(site, comment.scores, comment.body, thresholds)
    why = [
        f"{v.detail['attribute']} {v.detail['score']:.2f} ≥ {v.detail['threshold']:.2f}"
        for v in votes
        if v.action != APPROVE
    ]
    return str(strictest(v.action for v in votes)), why


def preview_thresholds(site: Site, given: Thresholds, size: int = PREVIEW_SIZE) -> dict[str, Any]:
    """What ``given`` (on top of the site's thresholds) would have done to the site's newest
    ``size`` scored comments, by the model's vote alone, on their stored scores (nothing is
    scored again), next to what the current thresholds do: counts and a few examples.

    The vote is `model_votes`, the function `decide` uses; word rules, links and
    pre-moderation come on top of it and are not part of the preview."""
    proposed = proposed_thresholds(site, given, sliders=True)
    current = thresholds_for(site)
    rows = (
        Comment.objects.filter(story__site=site, scores__has_key="scores")
        .exclude(status=Comment.Status.DELETED)
        .exclude(scores__has_key="unscored")
        .order_by("-created_at", "-id")
        .only("id", "body", "scores", "status", "created_at")[:size]
    )
    counts = {"current": _zero(), "proposed": _zero()}
    # Per verdict the values would give: examples they change first, then any they catch
    # (for "approve", only comments they would release).
    found: dict[tuple[str, bool], list[dict[str, Any]]] = {}
    changed = 0
    sample = 0
    for comment in rows:
        if not isinstance((comment.scores or {}).get("scores"), dict):
            continue
        sample += 1
        now, _ = _verdict(site, comment, current)
        new, why = _verdict(site, comment, proposed)
        counts["current"][now] += 1
        counts["proposed"][new] += 1
        changed += now != new
        bucket = found.setdefault((new, now != new), [])
        if (new != APPROVE or now != APPROVE) and len(bucket) < PREVIEW_EXAMPLES:
            bucket.append(_example(comment, now, new, why))
    examples = {
        verdict: (found.get((verdict, True), []) + found.get((verdict, False), []))[
            :PREVIEW_EXAMPLES
        ]
        for verdict in _zero()
    }
    return {
        "sample": sample,
        "size": size,
        "current": counts["current"],
        "proposed": counts["proposed"],
        "changed": changed,
        "thresholds": proposed,
        "examples": examples,
    }


def _zero() -> dict[str, int]:
    return {str(APPROVE): 0, str(HOLD): 0, str(REJECT): 0}


def _example(comment: Comment, now: str, new: str, why: list[str]) -> dict[str, Any]:
    text = " ".join(comment.body.split())
    return {
        "id": comment.pk,
        "text": text[:160] + ("…" if len(text) > 160 else ""),
        "status": comment.status,
        "now": now,
        "would": new,
        "changed": now != new,
        "why": why,
    }


# --- embedding and sign-in ------------------------------------------------------------------


def _origins(raw: Any) -> list[str]:
    """One origin a line: https://news.example (scheme and host, no path), or * for any."""
    out: list[str] = []
    for line in str(raw or "").splitlines():
        value = line.strip().rstrip("/")
        if not value:
            continue
        if value != "*":
            parts = urlsplit(value)
            if (
                parts.scheme not in {"http", "https"}
                or not parts.hostname
                or parts.path
                or parts.query
                or parts.fragment
                or parts.username
            ):
                raise Refused(
                    "bad_origin",
                    _("An origin looks like https://news.example, not %(value)r.")
                    % {"value": value[:80]},
                )
            value = f"{parts.scheme}://{parts.netloc}".lower()
        if value not in out:
            out.append(value)
    if len(out) > MAX_ORIGINS:
        raise Refused("bad_origin", _("At most %(n)s origins.") % {"n": MAX_ORIGINS})
    return out


def update_access(actor: Any, site: Site, data: Any) -> Site:
    """Who may embed the thread (allowed origins) and who may comment (guests, local
    accounts). The SSO secret has its own actions below."""
    require_admin(actor, site)
    origins = _origins(data.get("allowed_origins", ""))
    guests, local = _ticked(data, "allow_guests"), _ticked(data, "allow_local_accounts")
    before = {
        "allowed_origins": list(site.allowed_origins or []),
        "allow_guests": site.allow_guests,
        "allow_local_accounts": site.allow_local_accounts,
    }
    after = {"allowed_origins": origins, "allow_guests": guests, "allow_local_accounts": local}
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        site.allowed_origins, site.allow_guests, site.allow_local_accounts = origins, guests, local
        site.save(update_fields=["allowed_origins", "allow_guests", "allow_local_accounts"])
        record("site.access", site=site, actor=actor, data={"before": before, "after": after})
    return site


def rotate_sso_secret(actor: Any, site: Site) -> str:
    """A new SSO secret, returned once to show the admin; the old one stops working now."""
    require_admin(actor, site)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        had = bool(site.sso_secret)
        site.sso_secret = secret
        site.save(update_fields=["sso_secret"])
        # Never the secret itself: only that one was made, and that the old one is revoked.
        record(
            "site.sso_rotated" if had else "site.sso_enabled",
            site=site,
            actor=actor,
            data={"old_secret_revoked": had},
        )
    return secret


def disable_sso(actor: Any, site: Site) -> Site:
    """No single sign-on: the secret is dropped, SSO sign-ins are refused (403 sso_disabled)."""
    require_admin(actor, site)
    if not site.sso_secret:
        raise Refused("sso_disabled", _("Single sign-on is off already."), 409)
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        site.sso_secret = ""
        site.save(update_fields=["sso_secret"])
        record("site.sso_disabled", site=site, actor=actor, data={"old_secret_revoked": True})
    return site
