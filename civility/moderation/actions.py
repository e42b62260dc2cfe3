"""Moderator actions. One function per action: validate, write in one transaction (row lock /
conditional UPDATE so two moderators never clobber each other), audit, emit.

Views call these and nothing else; `Refused` carries the 4xx code and the message for the client.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civility.accounts import notifications
from civility.accounts.models import User
from civility.audit import record
from civility.comments.models import Comment, Report, Site, Story
from civility.errors import Refused, whole_number, whole_numbers
from civility.events import emit
from civility.moderation import dsa
from civility.moderation.models import AuditEntry, SiteBan, SiteMembership, UserNote
from civility.moderation.permissions import is_global_admin, require_moderator
from civility.webhooks.outbox import webhook_event

DECISIONS = ("comment.approved", "comment.rejected")
# An undo is audited as the undone entry's action + UNDONE, with data {"undoes": <entry id>}.
UNDONE = ".undone"
DECISION_UNDOS = tuple(a + UNDONE for a in DECISIONS)
# The desk's toast offers undo for a few seconds; the server allows slack for a slow network.
UNDO_WINDOW = timedelta(seconds=60)
MAX_REASON = 500
MAX_NOTE = 2000
MAX_BULK = 200
MAX_SUSPEND_HOURS = 24 * 365


def actor_name(user: Any) -> str:
    if user is None:
        return "the automatic moderation"
    return getattr(user, "display_name", "") or user.get_username()


def _bump_thread_cache(story_id: int) -> None:
    try:
        from civility.comments import cache as thread_cache
    except ImportError:  # pragma: no cover - the platform's cache module is optional
        return
    transaction.on_commit(lambda: thread_cache.bump(story_id))


def _comment_payload(comment: Comment) -> dict[str, Any]:
    from civility.comments.serialize import comment_dict

    data = comment_dict(comment)
    data["featured"] = comment.featured
    return data


def _queue_event(site_id: int, kind: str, actor: Any, **data: Any) -> None:
    emit(f"site:{site_id}:queue", {"type": kind, "actor": actor_name(actor), **data})


def _get_comment(actor: Any, comment_id: Any) -> Comment:
    pk = whole_number(comment_id, "bad_id", "The comment id must be a number.")
    comment = Comment.objects.select_related("story").filter(pk=pk).first()
    if comment is None:
        # Anonymous users learn nothing about which ids exist.
        if not getattr(actor, "is_authenticated", False):
            raise Refused("login_required", _("Sign in as a moderator to do this."), 403)
        raise Refused("not_found", _("No such comment."), 404)
    require_moderator(actor, comment.story.site_id)
    return comment


def _lock_comment(pk: int) -> Comment:
    return (
        Comment.objects.select_for_update(of=("self",)).select_related("story", "author").get(pk=pk)
    )


def last_decision(comment: Comment) -> AuditEntry | None:
    """The latest decision on ``comment`` (approve/reject) that stands: an undone one does not."""
    entries = list(
        AuditEntry.objects.filter(comment=comment, action__in=(*DECISIONS, *DECISION_UNDOS))
        .select_related("actor")
        .order_by("-created_at", "-id")[:200]
    )
    undone = {e.data.get("undoes") for e in entries if e.action in DECISION_UNDOS}
    return next((e for e in entries if e.action in DECISIONS and e.pk not in undone), None)


def _already_handled(comment: Comment) -> Refused:
    last = last_decision(comment)
    who = actor_name(last.actor) if last is not None else "the automatic moderation"
    return Refused(
        "already_handled",
        _("Already handled by %(who)s: the comment is now %(status)s.")
        % {"who": who, "status": _(str(comment.status))},
        409,
    )


def _clean_reason(reason: str | None, *, required: bool) -> str:
    reason = " ".join((reason or "").split())
    if required and not reason:
        raise Refused("reason_required", _("Give a reason; the author will see it."))
    if len(reason) > MAX_REASON:
        raise Refused(
            "too_long",
            _("The reason is longer than %(limit)s characters.") % {"limit": MAX_REASON},
        )
    return reason


def _set_status(
    actor: Any,
    comment_id: Any,
    target: str,
    *,
    reason: str = "",
    expected_status: str | None = None,
    ground: str | None = None,
) -> Comment:
    if expected_status is not None and expected_status not in Comment.Status.values:
        raise Refused("bad_status", _("Unknown status %(status)r.") % {"status": expected_status})
    pk = _get_comment(actor, comment_id).pk
    return _set_status_locked(actor, pk, target, reason, expected_status, ground=ground)


def _set_status_locked(
    actor: Any,
    pk: int,
    target: str,
    reason: str,
    expected_status: str | None,
    *,
    ground: str | None = None,
    facts: str = "",
    automated_detection: bool | None = None,
) -> Comment:
    with transaction.atomic():
        comment = _lock_comment(pk)
        before = comment.status
        if before == Comment.Status.DELETED:
            raise Refused("deleted", _("The author deleted this comment."), 409)
        if expected_status is not None and before != expected_status:
            raise _already_handled(comment)
        last = last_decision(comment)
        if before == target and last is not None and last.after == target:
            raise _already_handled(comment)
        # What an undo restores besides the status.
        previous = {"previous_reason": comment.rejection_reason, "was_featured": comment.featured}
        comment.status = target
        comment.rejection_reason = reason if target == Comment.Status.REJECTED else ""
        if target == Comment.Status.REJECTED:
            comment.featured = False
        comment.save(update_fields=["status", "rejection_reason", "featured", "updated_at"])
        verb = "approved" if target == Comment.Status.APPROVED else "rejected"
        record(
            f"comment.{verb}",
            site=comment.story.site,
            actor=actor,
            comment=comment,
            target_user=comment.author,
            before=before,
            after=target,
            reason=reason,
            data=previous,
        )
        if target == Comment.Status.REJECTED:
            # The author's statement of reasons (EU DSA Art. 17), in this transaction.
            dsa.for_moderator_rejection(
                comment,
                actor,
                reason,
                ground,
                facts=facts,
                automated_detection=automated_detection,
            )
        webhook_event(
            f"comment.{verb}",
            site=comment.story.site,
            comment=comment,
            extra={"decided_by": actor_name(actor)},
        )
        notifications.comment_decided(comment, before, reason)  # e-mail for those who opted in
        _announce_status(actor, comment, before, f"comment.{verb}")
    return comment


def _announce_status(actor: Any, comment: Comment, before: str, kind: str) -> None:
    """Tell live readers (when the comment appeared or went) and the desk of a status change."""
    target, story_id = comment.status, comment.story_id
    if (before == Comment.Status.APPROVED) != (target == Comment.Status.APPROVED):
        _bump_thread_cache(story_id)
        if target == Comment.Status.APPROVED:
            emit(
                f"story:{story_id}",
                {"type": "comment.approved", "comment": _comment_payload(comment)},
            )
        else:
            emit(
                f"story:{story_id}",
                {"type": "comment.removed", "comment": {"id": comment.pk, "status": target}},
            )
    _queue_event(
        comment.story.site_id, kind, actor, comment_id=comment.pk, status=target, before=before
    )


def approve(actor: Any, comment_id: Any, *, expected_status: str | None = None) -> Comment:
    """Publish a comment (or confirm an auto-approved one as reviewed)."""
    return _set_status(actor, comment_id, Comment.Status.APPROVED, expected_status=expected_status)


def reject(
    actor: Any,
    comment_id: Any,
    reason: str,
    *,
    expected_status: str | None = None,
    ground: str | None = None,
) -> Comment:
    """Reject a comment; ``reason`` is shown to its author. ``ground`` is the guideline code
    its statement of reasons cites (civility.verdicts.GROUND_GUIDELINES); by default what the
    checks flagged."""
    reason = _clean_reason(reason, required=True)
    ground = dsa.clean_ground(ground, fallback="") or None
    return _set_status(
        actor,
        comment_id,
        Comment.Status.REJECTED,
        reason=reason,
        expected_status=expected_status,
        ground=ground,
    )


def _set_featured(actor: Any, comment_id: Any, featured: bool) -> Comment:
    comment = _get_comment(actor, comment_id)
    if featured and comment.status != Comment.Status.APPROVED:
        raise Refused("not_published", _("Only published comments can be featured."), 409)
    with transaction.atomic():
        rows = Comment.objects.filter(
            pk=comment.pk, featured=not featured, status=Comment.Status.APPROVED
        ).update(featured=featured, updated_at=timezone.now())
        if featured and rows == 0:
            raise Refused("already_featured", _("This comment is already featured."), 409)
        if not featured and rows == 0:
            raise Refused("not_featured", _("This comment is not featured."), 409)
        comment = _lock_comment(comment.pk)
        verb = "featured" if featured else "unfeatured"
        record(f"comment.{verb}", actor=actor, comment=comment, target_user=comment.author)
        if featured:
            notifications.comment_moderated(comment, "featured")
        _bump_thread_cache(comment.story_id)
        emit(
            f"story:{comment.story_id}",
            {"type": f"comment.{verb}", "comment": _comment_payload(comment)},
        )
        _queue_event(comment.story.site_id, f"comment.{verb}", actor, comment_id=comment.pk)
    return comment


def feature(actor: Any, comment_id: Any) -> Comment:
    return _set_featured(actor, comment_id, True)


def unfeature(actor: Any, comment_id: Any) -> Comment:
    return _set_featured(actor, comment_id, False)


def remove_reports(actor: Any, comment_id: Any) -> int:
    """Dismiss every open report on a comment; returns how many were dismissed."""
    comment = _get_comment(actor, comment_id)
    with transaction.atomic():
        open_ids = list(
            Report.objects.select_for_update()
            .filter(comment=comment, resolved=False)
            .values_list("pk", flat=True)
        )
        count = Report.objects.filter(pk__in=open_ids, resolved=False).update(resolved=True)
        if count == 0:
            raise _no_open_reports(comment)
        record(
            "reports.dismissed",
            site=comment.story.site,
            actor=actor,
            comment=comment,
            target_user=comment.author,
            data={"count": count, "report_ids": open_ids},  # an undo reopens exactly these
        )
        _queue_event(
            comment.story.site_id, "reports.dismissed", actor, comment_id=comment.pk, count=count
        )
    return count


def _no_open_reports(comment: Comment) -> Refused:
    last = (
        AuditEntry.objects.filter(comment=comment, action="reports.dismissed")
        .select_related("actor")
        .first()
    )
    if last is not None:
        return Refused(
            "already_handled",
            _("Already handled by %(who)s: no open reports.") % {"who": actor_name(last.actor)},
            409,
        )
    return Refused("no_reports", _("This comment has no open reports."), 409)


# --- users -------------------------------------------------------------------------------------


def _get_site(site: Any) -> Site:
    if isinstance(site, Site):
        return site
    found = Site.objects.filter(pk=site).first() if str(site).isdigit() else None
    if found is None:
        raise Refused("unknown_site", _("No such site."), 404)
    return found


def _target_user(actor: Any, site: Site, user_id: Any) -> User:
    """A commenter of ``site`` that ``actor`` may act on."""
    require_moderator(actor, site)
    pk = whole_number(user_id, "bad_id", "The user id must be a number.")
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise Refused("not_found", _("No such user."), 404)
    if not is_global_admin(actor):
        known_here = (
            Comment.objects.filter(author=user, story__site=site).exists()
            or user.sso_site_id == site.pk
        )
        if not known_here:
            raise Refused("not_found", _("This user has not commented on this site."), 404)
    return user


def _protect_staff(actor: Any, site: Site, user: User) -> None:
    if user.pk == actor.pk:
        raise Refused("self", _("You cannot do this to yourself."), 400)
    if is_global_admin(user) or SiteMembership.objects.filter(site=site, user=user).exists():
        raise Refused("staff", _("Staff members cannot be banned or suspended here."), 403)


def _suspension_running(ban: SiteBan | None) -> bool:
    return ban is not None and ban.until is not None and ban.until > timezone.now()


def _ban_state(ban: SiteBan | None) -> dict[str, Any] | None:
    """A running suspension as an undo restores it (None: no ban or suspension in force)."""
    if not _suspension_running(ban):
        return None
    assert ban is not None and ban.until is not None
    return {"until": ban.until.isoformat(), "reason": ban.reason}


def _locked_ban(site: Site, user: User) -> SiteBan | None:
    return SiteBan.objects.select_for_update().filter(site=site, user=user).first()


def _save_ban(ban: SiteBan | None, site: Site, user: User, actor: Any, **fields: Any) -> None:
    """Update the site's ban row, or insert it; a concurrent insert by another moderator loses
    cleanly with a 409."""
    if ban is not None:
        for name, value in fields.items():
            setattr(ban, name, value)
        ban.created_by = actor
        ban.save(update_fields=[*fields, "created_by"])
        return
    try:
        with transaction.atomic():
            SiteBan.objects.create(site=site, user=user, created_by=actor, **fields)
    except IntegrityError:
        last = AuditEntry.objects.filter(target_user=user, site=site).first()
        who = actor_name(last.actor) if last else "someone"
        raise Refused(
            "already_handled", _("Already handled by %(who)s.") % {"who": who}, 409
        ) from None


def _reject_pending(
    actor: Any, site: Site, user: User, why: str, reason: str, ground: str | None = None
) -> int:
    """Reject the user's comments still awaiting review on this site (inside the ban's
    transaction): a banned author's queue should not outlive the ban. The author reads
    "The author was <why>: <reason>". Returns how many."""
    reason = f"The author was {why}: {reason}"[:MAX_REASON]
    pending = Comment.objects.filter(
        author=user, story__site=site, status=Comment.Status.PENDING
    ).values_list("pk", flat=True)
    ids = list(pending)
    facts = f"A moderator {why} the author; their comments awaiting review were removed with it."
    for pk in ids:
        _set_status_locked(
            actor,
            pk,
            Comment.Status.REJECTED,
            reason,
            Comment.Status.PENDING,
            ground=ground,
            facts=facts,
        )
    return len(ids)


def ban_user(
    actor: Any,
    site: Any,
    user_id: Any,
    reason: str,
    *,
    reject_pending: bool = True,
    ground: str | None = None,
) -> User:
    """Ban a commenter from this site: the decision pipeline refuses every later post here, and
    (unless ``reject_pending`` is False) their comments awaiting review are rejected. ``ground``
    is the guideline code the statement of reasons cites."""
    site = _get_site(site)
    user = _target_user(actor, site, user_id)
    _protect_staff(actor, site, user)
    reason = _clean_reason(reason, required=True)
    ground = dsa.clean_ground(ground)
    with transaction.atomic():
        ban = _locked_ban(site, user)
        if ban is not None and ban.until is None:
            last = AuditEntry.objects.filter(
                target_user=user, site=site, action="user.banned"
            ).first()
            who = actor_name(last.actor) if last else "someone"
            raise Refused("already_handled", _("Already banned by %(who)s.") % {"who": who}, 409)
        before = "suspended" if _suspension_running(ban) else "active"
        previous = _ban_state(ban)
        _save_ban(ban, site, user, actor, until=None, reason=reason)
        record(
            "user.banned",
            site=site,
            actor=actor,
            target_user=user,
            before=before,
            after="banned",
            reason=reason,
            data={"previous": previous},
        )
        dsa.for_account(site, user, actor, reason, None, ground)
        if reject_pending:
            _reject_pending(actor, site, user, "banned", reason, ground)
        _queue_event(site.pk, "user.banned", actor, user_id=user.pk)
        webhook_event("user.banned", site=site, user=user, extra={"reason": reason, "until": None})
    return user


def suspend_user(
    actor: Any,
    site: Any,
    user_id: Any,
    hours: Any,
    reason: str,
    *,
    reject_pending: bool = True,
    ground: str | None = None,
) -> User:
    """Suspend a commenter on this site for ``hours`` (1 hour to 1 year); like a ban, their
    comments awaiting review are rejected unless ``reject_pending`` is False."""
    site = _get_site(site)
    user = _target_user(actor, site, user_id)
    _protect_staff(actor, site, user)
    hours = whole_number(hours, "bad_period", "The suspension period must be a number of hours.")
    if not 1 <= hours <= MAX_SUSPEND_HOURS:
        raise Refused(
            "bad_period", _("Suspend for 1 to %(hours)s hours.") % {"hours": MAX_SUSPEND_HOURS}
        )
    reason = _clean_reason(reason, required=True)
    ground = dsa.clean_ground(ground)
    until = timezone.now() + timedelta(hours=hours)
    with transaction.atomic():
        ban = _locked_ban(site, user)
        if ban is not None and ban.until is None:
            raise Refused("already_banned", _("This user is banned already."), 409)
        before = "suspended" if _suspension_running(ban) else "active"
        previous = _ban_state(ban)
        _save_ban(ban, site, user, actor, until=until, reason=reason)
        record(
            "user.suspended",
            site=site,
            actor=actor,
            target_user=user,
            before=before,
            after="suspended",
            reason=reason,
            data={"hours": hours, "until": until.isoformat(), "previous": previous},
        )
        dsa.for_account(site, user, actor, reason, until, ground)
        if reject_pending:
            _reject_pending(actor, site, user, "suspended", reason, ground)
        _queue_event(site.pk, "user.suspended", actor, user_id=user.pk, until=until.isoformat())
        ending = {"reason": reason, "until": until.isoformat()}
        webhook_event("user.banned", site=site, user=user, extra=ending)
    return user


def unban_user(actor: Any, site: Any, user_id: Any) -> User:
    """Lift this site's ban or suspension."""
    site = _get_site(site)
    user = _target_user(actor, site, user_id)
    with transaction.atomic():
        ban = _locked_ban(site, user)
        if ban is None or (ban.until is not None and not _suspension_running(ban)):
            raise Refused("not_banned", _("This user is neither banned nor suspended here."), 409)
        before = "banned" if ban.until is None else "suspended"
        ban.delete()
        record(
            "user.unbanned",
            site=site,
            actor=actor,
            target_user=user,
            before=before,
            after="active",
        )
        _queue_event(site.pk, "user.unbanned", actor, user_id=user.pk)
    return user


def add_user_note(actor: Any, site: Any, user_id: Any, text: str) -> UserNote:
    """A private note on a commenter, visible to this site's staff."""
    site = _get_site(site)
    user = _target_user(actor, site, user_id)
    text = (text or "").strip()
    if not text:
        raise Refused("empty", _("The note is empty."))
    if len(text) > MAX_NOTE:
        raise Refused(
            "too_long", _("The note is longer than %(limit)s characters.") % {"limit": MAX_NOTE}
        )
    with transaction.atomic():
        note = UserNote.objects.create(site=site, user=user, author=actor, text=text)
        record("user.note", site=site, actor=actor, target_user=user, reason=text)
        _queue_event(site.pk, "user.note", actor, user_id=user.pk)
    return note


# --- stories -----------------------------------------------------------------------------------


def _set_closed(actor: Any, story_id: Any, closed: bool) -> Story:
    pk = whole_number(story_id, "bad_id", "The story id must be a number.")
    story = Story.objects.filter(pk=pk).first()
    if story is None:
        if not getattr(actor, "is_authenticated", False):
            raise Refused("login_required", _("Sign in as a moderator to do this."), 403)
        raise Refused("not_found", _("No such story."), 404)
    require_moderator(actor, story.site_id)
    with transaction.atomic():
        rows = Story.objects.filter(pk=pk, closed=not closed).update(closed=closed)
        if rows == 0:
            message = (
                _("Comments on this story are already closed.")
                if closed
                else _("Comments on this story are already open.")
            )
            raise Refused("already_handled", message, 409)
        story.closed = closed
        verb = "closed" if closed else "opened"
        record(
            f"story.{verb}",
            site=story.site,
            actor=actor,
            before="open" if closed else "closed",
            after="closed" if closed else "open",
            data={"story_id": story.pk, "title": story.title},
        )
        _bump_thread_cache(story.pk)
        emit(f"story:{story.pk}", {"type": f"story.{verb}", "story": {"id": story.pk}})
        _queue_event(story.site_id, f"story.{verb}", actor, story_id=story.pk)
    return story


def close_story(actor: Any, story_id: Any) -> Story:
    return _set_closed(actor, story_id, True)


def open_story(actor: Any, story_id: Any) -> Story:
    return _set_closed(actor, story_id, False)


# --- bulk --------------------------------------------------------------------------------------


def _ids(comment_ids: Any) -> list[int]:
    if not isinstance(comment_ids, list | tuple) or not comment_ids:
        raise Refused("bad_ids", _("Give a non-empty list of comment ids."))
    if len(comment_ids) > MAX_BULK:
        raise Refused("too_many", _("At most %(n)s comments at once.") % {"n": MAX_BULK})
    ids = whole_numbers(comment_ids, "bad_ids", "Comment ids must be numbers.")
    return list(dict.fromkeys(ids))


def _bulk(actor: Any, ids: list[int], one: Any) -> dict[int, dict[str, Any]]:
    # Permission for every comment first: a forbidden id refuses the whole request.
    for comment in Comment.objects.filter(pk__in=ids).select_related("story"):
        require_moderator(actor, comment.story.site_id)
    results: dict[int, dict[str, Any]] = {}
    for pk in ids:
        try:
            comment = one(pk)
            results[pk] = {"ok": True, "status": comment.status}
        except Refused as exc:
            if exc.status == 403:
                raise
            results[pk] = {"ok": False, "code": exc.code, "message": exc.message}
    return results


def bulk_approve(actor: Any, comment_ids: Any) -> dict[int, dict[str, Any]]:
    """Approve each pending comment; per-id results (another moderator may have been first)."""
    ids = _ids(comment_ids)
    if not getattr(actor, "is_authenticated", False):
        raise Refused("login_required", _("Sign in as a moderator to do this."), 403)
    return _bulk(actor, ids, lambda pk: approve(actor, pk))


def bulk_reject(
    actor: Any, comment_ids: Any, reason: str, *, ground: str | None = None
) -> dict[int, dict[str, Any]]:
    ids = _ids(comment_ids)
    if not getattr(actor, "is_authenticated", False):
        raise Refused("login_required", _("Sign in as a moderator to do this."), 403)
    reason = _clean_reason(reason, required=True)
    return _bulk(actor, ids, lambda pk: reject(actor, pk, reason, ground=ground))


# --- undo --------------------------------------------------------------------------------------
# Every desk action can be taken back for a moment (a toast with Undo, the `u` key): a real
# action that restores what the entry's `before` says and is audited as "<action>.undone", never
# a request held back on the client. Only the moderator who acted, only within UNDO_WINDOW, only
# while nobody changed the thing since.


def _undo_decision(actor: Any, entry: AuditEntry) -> None:
    if entry.comment_id is None:
        raise Refused("not_found", _("The comment no longer exists."), 404)
    comment = _lock_comment(entry.comment_id)
    standing = last_decision(comment)
    if comment.status != entry.after or standing is None or standing.pk != entry.pk:
        raise _already_handled(comment)
    target = entry.before
    if target not in Comment.Status.values or target == Comment.Status.DELETED:
        raise Refused("not_undoable", _("This decision cannot be undone."), 409)
    comment.status = target
    comment.rejection_reason = (
        str(entry.data.get("previous_reason", "")) if target == Comment.Status.REJECTED else ""
    )
    comment.featured = target == Comment.Status.APPROVED and bool(entry.data.get("was_featured"))
    comment.save(update_fields=["status", "rejection_reason", "featured", "updated_at"])
    withdrawn: list[int] = []
    if entry.after == Comment.Status.REJECTED:
        withdrawn = dsa.withdraw_undone(
            site_id=comment.story.site_id,
            decision=dsa.Decision.REMOVAL,
            since=entry.created_at,
            comment_id=comment.pk,
        )
    record(
        entry.action + UNDONE,
        site=comment.story.site,
        actor=actor,
        comment=comment,
        target_user=comment.author,
        before=entry.after,
        after=target,
        data={"undoes": entry.pk, "withdrawn_statements": withdrawn},
    )
    if target in (Comment.Status.APPROVED, Comment.Status.REJECTED) and target != entry.after:
        verb = "approved" if target == Comment.Status.APPROVED else "rejected"
        webhook_event(
            f"comment.{verb}",
            site=comment.story.site,
            comment=comment,
            extra={"decided_by": actor_name(actor), "undo": True},
        )
    _announce_status(actor, comment, entry.after, entry.action + UNDONE)


def _undo_featured(actor: Any, entry: AuditEntry) -> None:
    if entry.comment_id is None:
        raise Refused("not_found", _("The comment no longer exists."), 404)
    comment = _lock_comment(entry.comment_id)
    featured = entry.action == "comment.unfeatured"  # what the undo makes it
    if comment.featured == featured or comment.status != Comment.Status.APPROVED:
        raise Refused("already_handled", _("This comment has changed since; not undone."), 409)
    comment.featured = featured
    comment.save(update_fields=["featured", "updated_at"])
    record(
        entry.action + UNDONE,
        actor=actor,
        comment=comment,
        target_user=comment.author,
        data={"undoes": entry.pk},
    )
    _bump_thread_cache(comment.story_id)
    verb = "featured" if featured else "unfeatured"
    emit(
        f"story:{comment.story_id}",
        {"type": f"comment.{verb}", "comment": _comment_payload(comment)},
    )
    _queue_event(comment.story.site_id, entry.action + UNDONE, actor, comment_id=comment.pk)


def _undo_dismissal(actor: Any, entry: AuditEntry) -> None:
    if entry.comment_id is None:
        raise Refused("not_found", _("The comment no longer exists."), 404)
    comment = _lock_comment(entry.comment_id)
    ids = [int(i) for i in entry.data.get("report_ids") or []]
    count = Report.objects.filter(pk__in=ids, comment=comment, resolved=True).update(resolved=False)
    if count == 0:
        raise Refused("already_handled", _("These reports have changed since; not undone."), 409)
    record(
        entry.action + UNDONE,
        actor=actor,
        comment=comment,
        target_user=comment.author,
        data={"undoes": entry.pk, "count": count},
    )
    _queue_event(
        comment.story.site_id, entry.action + UNDONE, actor, comment_id=comment.pk, count=count
    )


def _undo_ban(actor: Any, entry: AuditEntry) -> None:
    from datetime import datetime

    site, user = entry.site, entry.target_user
    if site is None or user is None:
        raise Refused("not_found", _("The account no longer exists."), 404)
    ban = _locked_ban(site, user)
    until = entry.data.get("until")
    as_left = ban is not None and (
        ban.until is None
        if entry.action == "user.banned"
        else ban.until is not None and ban.until.isoformat() == until
    )
    if not as_left:
        raise Refused("already_handled", _("This ban has changed since; not undone."), 409)
    assert ban is not None
    previous = entry.data.get("previous")
    if previous:
        ban.until = datetime.fromisoformat(previous["until"])
        ban.reason = previous.get("reason", "")
        ban.save(update_fields=["until", "reason"])
    else:
        ban.delete()
    withdrawn = dsa.withdraw_undone(
        site_id=site.pk, decision=dsa.Decision.SUSPENSION, since=entry.created_at, user_id=user.pk
    )
    record(
        entry.action + UNDONE,
        site=site,
        actor=actor,
        target_user=user,
        before=entry.after,
        after=entry.before,
        data={"undoes": entry.pk, "withdrawn_statements": withdrawn},
    )
    _queue_event(site.pk, entry.action + UNDONE, actor, user_id=user.pk)


def _undo_story(actor: Any, entry: AuditEntry) -> None:
    closed = entry.action == "story.closed"  # what the entry made it
    story = Story.objects.filter(pk=entry.data.get("story_id")).first()
    if story is None:
        raise Refused("not_found", _("The story no longer exists."), 404)
    if Story.objects.filter(pk=story.pk, closed=closed).update(closed=not closed) == 0:
        raise Refused("already_handled", _("This story has changed since; not undone."), 409)
    record(
        entry.action + UNDONE,
        site=story.site,
        actor=actor,
        before=entry.after,
        after=entry.before,
        data={"undoes": entry.pk, "story_id": story.pk},
    )
    _bump_thread_cache(story.pk)
    verb = "closed" if not closed else "opened"
    emit(f"story:{story.pk}", {"type": f"story.{verb}", "story": {"id": story.pk}})
    _queue_event(story.site_id, entry.action + UNDONE, actor, story_id=story.pk)


_UNDOERS = {
    "comment.approved": _undo_decision,
    "comment.rejected": _undo_decision,
    "comment.featured": _undo_featured,
    "comment.unfeatured": _undo_featured,
    "reports.dismissed": _undo_dismissal,
    "user.banned": _undo_ban,
    "user.suspended": _undo_ban,
    "story.closed": _undo_story,
    "story.opened": _undo_story,
}
UNDOABLE = frozenset(_UNDOERS)


def undo(actor: Any, site: Any, entry_ids: Any) -> dict[int, dict[str, Any]]:
    """Undo ``actor``'s own recent actions on ``site``: the audit entries one desk request wrote
    (a bulk action or a ban writes several), newest first. Per-entry results, like bulk actions:
    another moderator may have acted on one of them meanwhile."""
    site = _get_site(site)
    require_moderator(actor, site)
    if not isinstance(entry_ids, list | tuple) or not entry_ids:
        raise Refused("bad_ids", _("Give a non-empty list of action ids."))
    if len(entry_ids) > 2 * MAX_BULK:
        raise Refused("too_many", _("At most %(n)s actions at once.") % {"n": 2 * MAX_BULK})
    ids = whole_numbers(entry_ids, "bad_ids", "Action ids must be numbers.")
    ids = sorted(set(ids), reverse=True)
    results: dict[int, dict[str, Any]] = {}
    for pk in ids:
        try:
            with transaction.atomic():
                entry = AuditEntry.objects.select_for_update().filter(pk=pk, site=site).first()
                if entry is None:
                    raise Refused("not_found", _("No such action on this site."), 404)
                if entry.actor_id != actor.pk:
                    raise Refused("not_yours", _("Only the moderator who acted can undo it."), 403)
                if entry.action not in UNDOABLE:
                    raise Refused("not_undoable", _("This action cannot be undone."), 409)
                if timezone.now() - entry.created_at > UNDO_WINDOW:
                    raise Refused("too_late", _("Too late to undo; act on it again instead."), 409)
                if AuditEntry.objects.filter(
                    action=entry.action + UNDONE, site=site, data__undoes=entry.pk
                ).exists():
                    raise Refused("already_undone", _("This action was undone already."), 409)
                _UNDOERS[entry.action](actor, entry)
            results[pk] = {"ok": True}
        except Refused as exc:
            results[pk] = {
                "ok": False,
                "code": exc.code,
                "message": exc.message,
                "status": exc.status,
            }
    return results
