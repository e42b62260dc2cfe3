"""Coral's external moderation phase, served from a site's word rules and model thresholds.

Coral POSTs an ExternalModerationRequest to `/coral/moderate/<site slug>` with
`X-Coral-Signature: sha256=<hex>[,sha256=<hex>...]` (HMAC-SHA256 of the raw body, one signature
per active signing secret). Configure a site with its Coral phase's signing secret(s)::

    civility apikey coral SITE_SLUG --add ssc_...      # stored in Site.settings["coral"]
    civility apikey coral SITE_SLUG --remove ssc_...   # after Coral rotated it away

Answers: 204 (nothing to do: Coral's own later phases, such as pre-moderation, still run),
or 200 with `status` REJECTED / SYSTEM_WITHHELD / PREMOD, FLAG actions and
`moderationAction.rejectionReason`. No comment text is stored or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from html import unescape
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.html import strip_tags
from django.views.decorators.csrf import csrf_exempt

from civility.comments.models import Site
from civility.errors import Refused, json_error
from civility.textcheck import loads_checked
from civility.verdicts import APPROVE, HOLD, REJECT, ReasonCode

log = logging.getLogger(__name__)

ROLES = {"COMMENTER", "MEMBER", "STAFF", "MODERATOR", "ADMIN"}
TRUSTED_ROLES = {"STAFF", "MODERATOR", "ADMIN"}
ACTIONS = {"NEW", "EDIT"}

# Model attribute -> Coral (DSA) rejection reason code.
REJECTION_CODES = {
    "IDENTITY_ATTACK": "HATE_SPEECH",
    "DEHUMANIZATION": "HATE_SPEECH",
    "INSULT": "HARASSMENT_BULLYING",
    "THREAT": "HARASSMENT_BULLYING",
    "SEVERE_TOXICITY": "ABUSIVE",
    "TOXICITY": "OFFENSIVE",
    "PROFANITY": "OFFENSIVE",
}
# When several attributes fire, the most specific reason wins.
_CODE_ORDER = ["BANNED_WORD", "HATE_SPEECH", "HARASSMENT_BULLYING", "ABUSIVE", "OFFENSIVE", "OTHER"]


def _problem(status: int, code: str, message: str) -> JsonResponse:
    return json_error(code, message, status)


def signing_secrets(site: Site) -> list[str]:
    coral = (site.settings or {}).get("coral") or {}
    out = []
    for item in coral.get("signing_secrets") or []:
        secret = item.get("secret") if isinstance(item, dict) else item
        if isinstance(secret, str) and secret:
            out.append(secret)
    return out


def sign(secret: str, body: bytes) -> str:
    """The header value Coral sends for one secret."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(header: str | None, body: bytes, secrets: list[str]) -> bool:
    """True when any signature in the header matches any of the site's secrets."""
    if not header:
        return False
    given = []
    for part in header.split(","):
        part = part.strip()
        if part.startswith("sha256="):
            given.append(part[len("sha256=") :].strip().lower())
    expected = [sign(secret, body)[len("sha256=") :] for secret in secrets]
    ok = False
    for sig in given:
        for exp in expected:
            ok |= hmac.compare_digest(sig, exp)
    return ok


def _validate(data: Any) -> tuple[str, str]:
    """(comment text, author role) from an ExternalModerationRequest, or ValueError."""
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    if data.get("action") not in ACTIONS:
        raise ValueError('"action" must be NEW or EDIT')
    comment = data.get("comment")
    if not isinstance(comment, dict) or not isinstance(comment.get("body"), str):
        raise ValueError('"comment.body" must be a string')
    parent = comment.get("parentID")
    if parent is not None and not isinstance(parent, str):
        raise ValueError('"comment.parentID" must be a string or null')
    author = data.get("author")
    if not isinstance(author, dict) or not isinstance(author.get("id"), str):
        raise ValueError('"author.id" must be a string')
    role = author.get("role")
    if role not in ROLES:
        raise ValueError(f'"author.role" must be one of {", ".join(sorted(ROLES))}')
    story = data.get("story")
    if not isinstance(story, dict) or not isinstance(story.get("id"), str):
        raise ValueError('"story.id" must be a string')
    body = comment["body"]
    if "<" in body and ">" in body:  # the phase may be configured to send HTML
        body = strip_tags(body)
    return unescape(body), role


def coral_decision(action: str, reasons: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Coral's ExternalModerationResponse for our (action, reasons), None for nothing to do."""
    if action == APPROVE:
        return None
    flagged = [r for r in reasons if r.get("action") in {HOLD, REJECT}]
    unscored = {ReasonCode.MODEL_UNAVAILABLE, ReasonCode.LANGUAGE_UNSUPPORTED}
    toxic = [r for r in flagged if r.get("code") not in unscored]
    if action == HOLD:
        # Only "scoring unavailable" or a language the model does not read: send it to
        # pre-moderation, unflagged (nothing says it is toxic).
        if not toxic:
            return {"status": "PREMOD"}
        return {
            "status": "SYSTEM_WITHHELD",
            "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
        }
    rejecting = [r for r in flagged if r.get("action") == REJECT] or flagged
    codes = set()
    for r in rejecting:
        if r.get("code") == ReasonCode.BANNED_WORD:
            codes.add("BANNED_WORD")
        else:
            codes.add(REJECTION_CODES.get(str(r.get("attribute", "")), "OTHER"))
    code = min(codes, key=_CODE_ORDER.index) if codes else "OTHER"
    explanation = "; ".join(str(r.get("message", "")) for r in rejecting)[:1000]
    return {
        "status": "REJECTED",
        "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}],
        "moderationAction": {
            "status": "REJECTED",
            "rejectionReason": {"code": code, "detailedExplanation": explanation},
        },
    }


@csrf_exempt
def moderate(request: HttpRequest, site_slug: str) -> HttpResponse:
    if request.method != "POST":
        return _problem(405, "method_not_allowed", "Use POST.")
    site = Site.objects.filter(slug=site_slug).first()
    if site is None:
        return _problem(404, "unknown_site", f"No site {site_slug!r}.")
    secrets = signing_secrets(site)
    if not secrets:
        return _problem(403, "coral_not_configured", "This site has no Coral signing secret.")
    body = request.body
    header = request.headers.get("X-Coral-Signature")
    if not header:
        return _problem(401, "missing_signature", "X-Coral-Signature header is required.")
    if not verify_signature(header, body, secrets):
        return _problem(401, "bad_signature", "X-Coral-Signature does not match.")
    try:
        text, role = _validate(loads_checked(body))
    except Refused as exc:
        return _problem(400, "invalid_request", exc.message)
    except ValueError as exc:
        return _problem(400, "invalid_request", str(exc)[:300])
    if role in TRUSTED_ROLES or not text.strip():
        return HttpResponse(status=204)
    from civility.moderation.pipeline import Submission, decide

    verdict = decide(Submission(site=site, body=text), dry_run=True)
    decision = coral_decision(verdict.action, verdict.reasons)
    if decision is None:
        return HttpResponse(status=204)
    return JsonResponse(decision)
