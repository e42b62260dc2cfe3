"""Readers' data rights: a copy of their data (GDPR Art. 15 and 20) and erasure (Art. 17).

Erasure anonymizes the account row instead of deleting it. Comments keep their author (the
anonymized row), so every reply keeps its place and parent, counts and moderation history stay
coherent, and the audit log keeps *who* did what as a pseudonym ("deleted-user-<hmac>") without
anything that names the person. What goes:

- the account: name, e-mail, password, SSO identity, profile URL, badges, staff roles; it is
  deactivated, so its bearer tokens and desk sessions stop working;
- the text of every comment (they become "[deleted]" placeholders), their IP hashes, the model's
  scores and matched spans (derived from the text);
- their reactions (the comments' counts drop), their reports' messages (the report rows stay,
  anonymous, because they are part of another comment's moderation), bans of them and moderators'
  notes about them; personal fields in audit entries about them (SSO id, report and note text).

Deleting the row instead (with SET_NULL references) would have needed a nullable author on
every read path and would have lost the link between a person's own audit entries; the pseudonym
keeps that link without identifying anyone. Comment.author and Comment.parent are RESTRICT, so a
raw delete of a user with comments is refused rather than cascading to other people's replies.

Views and commands call the actions here (`delete_own_account`, `erase_on_request`,
`export_own_data`, `export_on_request`); each validates, writes in one transaction and audits.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections import Counter
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from civility.accounts.models import Notification, User
from civility.audit import record
from civility.comments import cache as thread_cache
from civility.comments.models import Comment, Reaction, Report, Site, body_digest
from civility.errors import Refused
from civility.events import emit
from civility.webhooks.outbox import forget_user, webhook_event

PSEUDONYM_PREFIX = "deleted-user-"
EXPORT_FORMAT = "civility-user-data"
EXPORT_VERSION = 1
MAX_REASON = 500
# Audit `data` keys that can hold personal data of the person the entry is about.
_PERSONAL_AUDIT_KEYS = {"sso_id", "message", "email", "text", "name", "username"}
# Actions whose `reason` is free text about the person (a moderator's note).
_PERSONAL_AUDIT_REASONS = {"user.note"}


def pseudonym(user_id: int) -> str:
    """The stable, non-identifying name an erased account keeps: an HMAC of its id keyed by the
    server's secret, so the audit log can tell one erased actor from another and nobody without
    the key can link it back."""
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"civility.erased-user:{user_id}".encode(), hashlib.sha256)
    return PSEUDONYM_PREFIX + digest.hexdigest()[:16]


def is_erased(user: Any) -> bool:
    return not user.is_active and str(user.username).startswith(PSEUDONYM_PREFIX)


def account_kind(user: Any) -> str:
    if user.is_guest:
        return "guest"
    if user.sso_site_id is not None:
        return "sso"
    return "local"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- export ----------------------------------------------------------------------------------


def export_user_data(user: Any, *, site: Site | None = None) -> dict[str, Any]:
    """Everything stored about ``user``, as JSON-ready data; limited to ``site`` when given (what
    a site's staff may hand out), else all of it (what the reader gets)."""
    from civility.moderation.models import AuditEntry, SiteBan, SiteMembership, UserNote

    on_site = Q(story__site=site) if site is not None else Q()
    comments = (
        Comment.objects.filter(on_site, author=user)
        .select_related("story__site")
        .order_by("created_at", "id")
    )
    reactions = (
        Reaction.objects.filter(user=user)
        .filter(Q(comment__story__site=site) if site is not None else Q())
        .select_related("comment__story__site")
        .order_by("created_at", "id")
    )
    reports = (
        Report.objects.filter(reporter=user)
        .filter(Q(comment__story__site=site) if site is not None else Q())
        .select_related("comment__story__site")
        .order_by("created_at", "id")
    )
    site_q = Q(site=site) if site is not None else Q()
    bans = SiteBan.objects.filter(site_q, user=user).select_related("site").order_by("id")
    memberships = SiteMembership.objects.filter(site_q, user=user).select_related("site")
    notes = UserNote.objects.filter(site_q, user=user).select_related("site").order_by("id")
    from civility.moderation import dsa

    statements = [
        dsa.statement_dict(st)
        for st in dsa.user_statements(user)
        if site is None or st.site_id == site.pk
    ]
    audit = (
        AuditEntry.objects.filter(site_q)
        .filter(Q(actor=user) | Q(target_user=user))
        .select_related("site")
        .order_by("created_at", "id")
    )
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "scope": {"site": site.slug} if site is not None else "all",
        "profile": {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "kind": account_kind(user),
            "sso_site": user.sso_site.slug if user.sso_site_id else None,
            "sso_id": user.sso_id,
            "profile_url": user.profile_url,
            "badges": list(user.badges or []),
            "role": user.role,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "active": user.is_active,
            "has_password": user.has_usable_password(),
        },
        "standing": {
            "banned": user.banned,
            "banned_reason": user.banned_reason,
            "suspended_until": _iso(user.suspended_until),
            "site_bans": [
                {
                    "site": b.site.slug,
                    "until": _iso(b.until),
                    "reason": b.reason,
                    "created_at": _iso(b.created_at),
                }
                for b in bans
            ],
        },
        "staff_roles": [{"site": m.site.slug, "role": m.role} for m in memberships],
        "comments": [
            {
                "id": c.pk,
                "site": c.story.site.slug,
                "story": {"id": c.story_id, "url": c.story.url, "title": c.story.title},
                "parent_id": c.parent_id,
                "status": c.status,
                "body": c.body,
                "created_at": _iso(c.created_at),
                "updated_at": _iso(c.updated_at),
                "edited": c.edited,
                "featured": c.featured,
                "reaction_count": c.reaction_count,
                "rejection_reason": c.rejection_reason,
                # Automated decision-making (Art. 15(1)(h)): why the moderation decided.
                "moderation_reasons": c.moderation_reasons,
                "model_scores": (c.scores or {}).get("scores", {}),
            }
            for c in comments
        ],
        "reactions": [
            {
                "comment_id": r.comment_id,
                "site": r.comment.story.site.slug,
                "kind": r.kind,
                "created_at": _iso(r.created_at),
            }
            for r in reactions
        ],
        "reports": [
            {
                "comment_id": r.comment_id,
                "site": r.comment.story.site.slug,
                "reason": r.reason,
                "message": r.message,
                "resolved": r.resolved,
                "created_at": _iso(r.created_at),
            }
            for r in reports
        ],
        "moderator_notes": [
            {"site": n.site.slug, "text": n.text, "created_at": _iso(n.created_at)} for n in notes
        ],
        # Statements of reasons (EU DSA Art. 17) about the reader, with their appeals.
        "statements": statements,
        # Notification e-mail (civility.accounts.notifications): what the reader chose, and
        # what is waiting for their next message.
        "notification_settings": {
            "replies": user.notify_replies,
            "moderation": user.notify_moderation,
            "email_verified_at": _iso(user.email_verified_at),
            "last_notified_at": _iso(user.last_notified_at),
            "waiting": [
                {"kind": n.kind, "comment_id": n.comment_id, "created_at": _iso(n.created_at)}
                for n in Notification.objects.filter(user=user, sent_at=None).order_by("id")
            ],
        },
        "activity_log": [
            {
                "at": _iso(e.created_at),
                "site": e.site.slug if e.site is not None else None,
                "action": e.action,
                "by_you": e.actor_id == user.pk,
                "comment_id": e.comment_id,
                "before": e.before,
                "after": e.after,
                "reason": e.reason,
            }
            for e in audit
        ],
    }


def export_own_data(*, user: Any) -> dict[str, Any]:
    """A reader's copy of all their data (audited: who got whose data is itself a record)."""
    if not getattr(user, "is_authenticated", False) or is_erased(user):
        raise Refused("unauthenticated", "Sign in first (a valid bearer token is needed).", 401)
    data = export_user_data(user)
    with transaction.atomic():
        record("user.exported", actor=user, target_user=user, reason="at the reader's request")
    return data


def _comment_sites(user: Any) -> set[int]:
    """Every site where ``user`` left a trace (comments, reactions, reports, an SSO identity)."""
    sites = set(
        Comment.objects.filter(author=user).values_list("story__site_id", flat=True).distinct()
    )
    sites |= set(
        Reaction.objects.filter(user=user)
        .values_list("comment__story__site_id", flat=True)
        .distinct()
    )
    sites |= set(
        Report.objects.filter(reporter=user)
        .values_list("comment__story__site_id", flat=True)
        .distinct()
    )
    if user.sso_site_id is not None:
        sites.add(user.sso_site_id)
    return sites


def _subject(actor: Any, site: Site, user_id: Any) -> Any:
    """The reader a site's staff member acts on: known on this site, not staff, not themself."""
    from civility.moderation.permissions import is_global_admin, require_moderator

    require_moderator(actor, site)
    try:
        pk = int(user_id)
    except (TypeError, ValueError):
        raise Refused("bad_id", "The user id must be a number.") from None
    user = User.objects.filter(pk=pk).select_related("sso_site").first()
    if user is None:
        raise Refused("not_found", "No such user.", 404)
    if not is_global_admin(actor) and site.pk not in _comment_sites(user):
        raise Refused("not_found", "This user has no data on this site.", 404)
    return user


def export_on_request(*, actor: Any, site: Site, user_id: Any, reason: str) -> dict[str, Any]:
    """A site's staff hand a reader their data on request: what this site holds (a platform
    admin gets all of it). Audited with the request's reference."""
    from civility.moderation.permissions import is_global_admin

    user = _subject(actor, site, user_id)
    reason = _clean_reason(reason)
    scope = None if is_global_admin(actor) else site
    data = export_user_data(user, site=scope)
    with transaction.atomic():
        record(
            "user.exported",
            site=site,
            actor=actor,
            target_user=user,
            reason=reason,
            data={"scope": "all" if scope is None else site.slug},
        )
    return data


# --- erasure ---------------------------------------------------------------------------------


def _clean_reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused(
            "reason_required", "Say which request this answers (e.g. its date or reference)."
        )
    if len(reason) > MAX_REASON:
        raise Refused("too_long", f"The reason is longer than {MAX_REASON} characters.")
    return reason


DELETE_PASSWORD_TRIES_PER_HOUR = 5


def delete_own_account(*, user: Any, password: str | None, confirm: bool) -> dict[str, Any]:
    """A reader deletes their own account. Local accounts confirm with their password; guest
    and SSO accounts (no password here) with ``confirm`` alone. Returns what was erased."""
    from civility.moderation.permissions import is_global_admin

    if not getattr(user, "is_authenticated", False) or is_erased(user):
        raise Refused("unauthenticated", "Sign in first (a valid bearer token is needed).", 401)
    if confirm is not True:
        raise Refused(
            "confirm_required", 'Confirm with "confirm": true: this cannot be undone.', 400
        )
    if user.has_usable_password():
        # A stolen bearer token must not become a password oracle: few tries per hour.
        from civility.ratelimit import count_hits, seconds_left

        hour = int(time.time() // 3600)
        [tries] = count_hits([f"erase-pw:{user.pk}:{hour}"], 3600)
        if tries > DELETE_PASSWORD_TRIES_PER_HOUR:
            raise Refused(
                "rate_limited",
                "Too many password attempts; try again later.",
                429,
                retry_after=seconds_left(3600),
            )
        if not user.check_password(password or ""):
            raise Refused("bad_credentials", "Wrong password: the account was not deleted.", 401)
    if is_global_admin(user):
        raise Refused(
            "platform_admin",
            "A platform admin's account cannot delete itself; ask another admin to erase it.",
            403,
        )
    return erase_user(user=user, actor=user, reason="at the reader's request", site=None)


def erase_on_request(*, actor: Any, site: Site, user_id: Any, reason: str) -> dict[str, Any]:
    """A site's staff erase a reader on the reader's request (audited with its reference).

    Staff of one site may erase only readers whose every trace is on sites they staff; a reader
    also active elsewhere needs a platform admin. Staff accounts are never erased from the desk.
    """
    from civility.moderation.models import SiteMembership
    from civility.moderation.permissions import is_global_admin, site_role

    user = _subject(actor, site, user_id)
    reason = _clean_reason(reason)
    if user.pk == actor.pk:
        raise Refused("self", "Delete your own account from the comment widget instead.", 400)
    if is_global_admin(user):
        raise Refused("staff", "A platform admin's account cannot be erased here.", 403)
    if not is_global_admin(actor):
        if SiteMembership.objects.filter(user=user).exists():
            raise Refused("staff", "Staff accounts are erased by a platform admin.", 403)
        elsewhere = [s for s in _comment_sites(user) if site_role(actor, s) is None]
        if elsewhere:
            raise Refused(
                "other_sites",
                "This reader also has data on sites you do not moderate; a platform admin "
                "must erase the account.",
                403,
            )
    if is_erased(user):
        raise Refused("already_erased", "This account was erased already.", 409)
    return erase_user(user=user, actor=actor, reason=reason, site=site)


def erase_user(*, user: Any, actor: Any, reason: str, site: Site | None) -> dict[str, Any]:
    """Anonymize ``user`` in one transaction (see the module docstring for what goes).

    Callers have checked who may do this; ``actor`` is recorded (the reader themself for a
    self-service deletion, so that entry, too, carries only the pseudonym)."""
    from civility.moderation.models import (
        Appeal,
        AuditEntry,
        SiteBan,
        SiteMembership,
        Statement,
        UserNote,
    )

    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if is_erased(user):
            raise Refused("already_erased", "This account was erased already.", 409)
        name = pseudonym(user.pk)
        comments = list(Comment.objects.filter(author=user).select_related("story__site"))
        Comment.objects.filter(author=user).update(
            status=Comment.Status.DELETED,
            body="",
            html="",
            body_digest=body_digest(""),
            ip_hash="",
            moderation_reasons=[],
            scores={},
            rejection_reason="",
            featured=False,
            updated_at=now,
        )
        reacted = Counter(Reaction.objects.filter(user=user).values_list("comment_id", flat=True))
        reaction_stories = set(
            Reaction.objects.filter(user=user).values_list("comment__story_id", flat=True)
        )
        Reaction.objects.filter(user=user).delete()
        for comment_id, n in reacted.items():
            Comment.objects.filter(pk=comment_id).update(
                reaction_count=Greatest(F("reaction_count") - n, 0)
            )
        reports = Report.objects.filter(reporter=user).exclude(message="").update(message="")
        notes = UserNote.objects.filter(user=user).delete()[0]
        bans = SiteBan.objects.filter(user=user).delete()[0]
        roles = SiteMembership.objects.filter(user=user).delete()[0]
        Notification.objects.filter(user=user).delete()  # e-mail still to send them
        # Statements of reasons stay (the site's record of its decisions), without the words.
        Statement.objects.filter(user=user).update(text="", spans=[], explanation="")
        Appeal.objects.filter(author=user).update(text="")
        scrubbed = _scrub_audit(user, AuditEntry)
        # Django admin's own log names the account in object_repr (e.g. "alice@example.org").
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
        ).update(object_repr=name, change_message="")

        user.username = name
        user.email = user.first_name = user.last_name = ""
        user.display_name = ""
        user.set_unusable_password()
        user.sso_site = None
        user.sso_id = ""
        user.profile_url = ""
        user.badges = []
        user.is_active = user.is_staff = user.is_superuser = False
        user.role = User.Role.COMMENTER
        user.banned, user.banned_reason, user.suspended_until = False, "", None
        user.last_login = None
        user.email_verified_at = user.last_notified_at = None
        user.notify_replies = user.notify_moderation = False
        user.save()

        summary = {
            "comments": len(comments),
            "reactions": sum(reacted.values()),
            "report_messages": reports,
            "notes": notes,
            "bans": bans,
            "staff_roles": roles,
            "audit_entries_scrubbed": scrubbed,
        }
        for c in comments:
            record(
                "comment.erased",
                site=c.story.site,
                actor=actor,
                comment=c,
                target_user=user,
                before=c.status,
                after=Comment.Status.DELETED,
            )
        sites = {c.story.site_id: c.story.site for c in comments}
        if site is not None:
            sites[site.pk] = site
        places: list[Site | None] = [sites[k] for k in sorted(sites)] or [None]
        forget_user(user.pk)  # the webhook log keeps no name or text of theirs either
        for where in places:
            record(
                "user.erased",
                site=where,
                actor=actor,
                target_user=user,
                before="active",
                after="erased",
                reason=reason,
                data=summary,
            )
            if where is not None:
                webhook_event("user.deleted", site=where, user=user)
        _announce(comments, reaction_stories)
    return {"pseudonym": name, **summary}


def _scrub_audit(user: Any, entry_model: Any) -> int:
    """Drop personal fields from audit entries about ``user`` and their comments; who did what
    to which row, and when, stay.

    Entries on their comments lose their reason and data entirely: the pipeline's reasons quote
    the matched words and the model's spans point into the text."""
    changed = 0
    on_comments = entry_model.objects.filter(comment__author=user)
    for entry in on_comments.only("id", "data", "reason"):
        if entry.data or entry.reason:
            entry_model.objects.filter(pk=entry.pk).update(
                data={"erased": True} if entry.data else {},
                reason="[erased]" if entry.reason else "",
            )
            changed += 1
    entries = entry_model.objects.filter(Q(actor=user) | Q(target_user=user)).exclude(
        comment__author=user
    )
    for entry in entries.only("id", "action", "data", "reason", "target_user_id"):
        data = dict(entry.data or {})
        personal = [k for k in data if k in _PERSONAL_AUDIT_KEYS]
        clear_reason = (
            entry.action in _PERSONAL_AUDIT_REASONS
            and entry.target_user_id == user.pk
            and entry.reason != ""
        )
        if not personal and not clear_reason:
            continue
        for key in personal:
            data[key] = "[erased]"
        entry_model.objects.filter(pk=entry.pk).update(
            data=data, reason="[erased]" if clear_reason else entry.reason
        )
        changed += 1
    return changed


def _announce(comments: list[Comment], reaction_stories: set[int]) -> None:
    """After commit: thread caches follow, live readers see the placeholders, desks refresh."""
    stories = {c.story_id for c in comments} | reaction_stories
    for story_id in stories:
        transaction.on_commit(functools.partial(thread_cache.bump, story_id))
    for c in comments:
        if c.status == Comment.Status.APPROVED:
            emit(f"story:{c.story_id}", {"type": "comment.deleted", "comment": {"id": c.pk}})
        emit(
            f"site:{c.story.site_id}",
            {"type": "comment.deleted", "comment": {"id": c.pk, "status": "deleted"}},
        )
