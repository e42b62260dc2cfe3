"""Reader actions on comments. Each validates, writes in one transaction, audits and emits.

Views call these and nothing else; `Refused` carries the 4xx code and message to the client.
"""

from __future__ import annotations

import logging
import secrets
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from civility.accounts import notifications
from civility.audit import record
from civility.clientip import hash_ip
from civility.comments import cache as thread_cache
from civility.comments.models import Comment, Reaction, Report, Site, Story, body_digest
from civility.comments.render import render
from civility.comments.serialize import comment_dict
from civility.db.inserts import insert
from civility.errors import Refused
from civility.events import emit, redis_batch
from civility.moderation import dsa
from civility.moderation.pipeline import Decision, Submission, decide
from civility.ratelimit import seconds_left, window_hits
from civility.verdicts import APPROVE, HOLD, REJECT, ReasonCode, Vote, strictest
from civility.webhooks.outbox import endpoints_for, webhook_event

log = logging.getLogger(__name__)

STATUS_FOR = {APPROVE: Comment.Status.APPROVED, HOLD: Comment.Status.PENDING}


def get_site(slug: str) -> Site:
    site = Site.objects.filter(slug=slug or "").first()
    if site is None:
        raise Refused("unknown_site", _("No site is registered as %(slug)r.") % {"slug": slug}, 404)
    return site


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def origin_allowed(site: Site, origin: str) -> bool:
    allowed = [o.rstrip("/").lower() for o in site.allowed_origins or []]
    return "*" in allowed or origin.rstrip("/").lower() in allowed


def normalize_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc or len(url) > 1000:
        raise Refused("bad_url", _("The story URL must be an absolute http(s) URL."))
    # The fragment never names a different article.
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def get_or_create_story(site: Site, url: str, title: str = "") -> Story:
    """The story for an article URL, created the first time the embed loads on it."""
    url = normalize_url(url)
    if not origin_allowed(site, origin_of(url)):
        raise Refused(
            "origin_not_allowed",
            _("%(origin)s may not embed the comments of %(site)s.")
            % {"origin": origin_of(url), "site": site.name},
            403,
        )
    title = " ".join((title or "").split())[:500]
    story = Story.objects.filter(site=site, url=url).first()
    if story is not None:
        if title and not story.title:
            Story.objects.filter(pk=story.pk).update(title=title)
            story.title = title
        return story
    try:
        with transaction.atomic():
            story = Story.objects.create(site=site, url=url, title=title)
            record("story.created", site=site, data={"url": url, "title": title})
    except IntegrityError:  # created by a concurrent first load
        story = Story.objects.get(site=site, url=url)
    return story


def _after_change(comment: Comment, event: str) -> None:
    """Tell live readers and the moderation desk once the transaction commits. (Saving the
    comment already bumped the cached thread version: see civility.comments.signals.) The event
    is built after the commit too: on SQLite the transaction holds the write turn, and every
    post waits for it."""
    transaction.on_commit(lambda: _announce(comment, event))


def _announce(comment: Comment, event: str) -> None:
    story_id = comment.story_id
    payload = {"type": event, "comment": comment_dict(comment)}
    if comment.status == Comment.Status.APPROVED:
        emit(f"story:{story_id}", payload)
    elif event in {"comment.deleted", "comment.edited"}:
        emit(f"story:{story_id}", {"type": event, "comment": {"id": comment.pk}})
    emit(f"site:{comment.story.site_id}", payload)


def check_identity(site: Site, user: Any) -> None:
    """Each site decides which kinds of identity may comment on it."""
    if user.is_guest:
        if not site.allow_guests:
            raise Refused("guests_disabled", _("This site does not accept guest comments."), 403)
    elif user.sso_site_id is not None:
        if user.sso_site_id != site.pk:
            raise Refused("wrong_site", _("This sign-in belongs to another site."), 403)
    elif not site.allow_local_accounts and not user.is_staff:
        raise Refused(
            "local_accounts_disabled",
            _("Sign in with the publisher's account to comment here."),
            403,
        )


def rejection_reason_for(reasons: list[dict[str, Any]]) -> str:
    """What a rejected author is told: the messages of the checks that voted to reject."""
    return "; ".join(r.get("message", "") for r in reasons if r.get("action") == REJECT)[:500]


def store_comment(
    *,
    story: Story,
    author: Any,
    body: str,
    status: str,
    parent: Comment | None = None,
    reasons: list[dict[str, Any]] | None = None,
    scores: dict[str, Any] | None = None,
    ip_hash: str = "",
    created_at: datetime | None = None,
    audit_action: str | None = "comment.created",
    audit_data: dict[str, Any] | None = None,
    announce: bool = True,
    source_key: str | None = None,
) -> Comment:
    """The one place a comment row is created (posts, the demo seed, imports): write, audit and
    tell live readers on commit. Callers have validated and decided; call inside atomic().

    Bulk imports pass ``audit_action=None`` and ``announce=False``: the import is audited once
    as a whole, and live readers are not sent years-old comments; ``source_key`` is the
    comment's id on the platform it came from (see Comment.source_key)."""
    reasons = reasons or []
    # Read before the first write, which starts the SQLite write turn every post waits for.
    endpoints = endpoints_for(story.site, "comment.created") if announce else []
    comment = Comment(
        story=story,
        parent=parent,
        author=author,
        body=body,
        html=render(body),
        status=status,
        rejection_reason=rejection_reason_for(reasons) if status == Comment.Status.REJECTED else "",
        ip_hash=ip_hash,
        moderation_reasons=reasons,
        scores=scores or {},
        depth=(parent.depth + 1) if parent else 0,
        source_key=source_key,
    )
    # A plain INSERT (civility.db.inserts, a fifth of a post's CPU less than objects.create),
    # so what Comment.save adds is done here.
    comment.body_digest = body_digest(body)
    insert(comment)
    if created_at is not None:  # created_at is auto_now_add: imports keep the original date
        Comment.objects.filter(pk=comment.pk).update(created_at=created_at)
        comment.created_at = created_at
    if audit_action is not None:
        record(
            audit_action,
            site=story.site,
            actor=author,
            comment=comment,
            after=comment.status,
            reason="; ".join(str(r.get("message", "")) for r in reasons),
            data=audit_data if audit_data is not None else {"reasons": reasons},
        )
        if comment.status == Comment.Status.REJECTED:
            # The author's statement of reasons (EU DSA Art. 17): decided by the checks alone.
            dsa.for_pipeline_rejection(comment)
    if announce:
        _after_change(comment, "comment.created")
        webhook_event("comment.created", site=story.site, comment=comment, endpoints=endpoints)
        if comment.status == Comment.Status.APPROVED:
            notifications.comment_published(comment)  # a reply: its parent's author may be told
    return comment


def _reply_target(story: Story, parent_id: int | None) -> Comment | None:
    """The comment a reply answers: it must exist, be on the same story and be published."""
    if parent_id is None:
        return None
    parent = Comment.objects.filter(pk=parent_id).first()
    if parent is None:
        raise Refused("unknown_parent", _("The comment you reply to does not exist."), 404)
    if parent.story_id != story.pk:
        raise Refused("bad_parent", _("The comment you reply to belongs to another story."))
    if parent.status != Comment.Status.APPROVED:
        raise Refused("bad_parent", _("You can only reply to published comments."))
    return parent


def configure_site(
    *,
    slug: str,
    name: str = "",
    origins: list[str] | None = None,
    new_sso_secret: bool = False,
    allow_guests: bool | None = None,
    premoderation: str | None = None,
    actor: Any = None,
) -> tuple[Site, bool]:
    """Create a site or change the settings given; returns (site, created). Audited."""
    for origin in origins or []:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise Refused(
                "bad_origin", f"origin must look like https://news.example, not {origin!r}"
            )
    if premoderation is not None and premoderation not in Site.PreModeration.values:
        raise Refused(
            "bad_premoderation", f"premoderation must be one of {Site.PreModeration.values}"
        )
    with transaction.atomic():
        site, created = Site.objects.get_or_create(slug=slug, defaults={"name": name or slug})
        if name:
            site.name = name
        if origins:
            site.allowed_origins = [o.rstrip("/") for o in origins]
        if new_sso_secret:
            site.sso_secret = secrets.token_urlsafe(32)
        if allow_guests is not None:
            site.allow_guests = allow_guests
        if premoderation is not None:
            site.premoderation = premoderation
        site.save()
        record(
            "site.created" if created else "site.updated",
            site=site,
            actor=actor,
            # Never the secret itself: only that one was (re)generated.
            data={
                "origins": site.allowed_origins,
                "sso": bool(site.sso_secret),
                "sso_secret_rotated": new_sso_secret,
                "guests": site.allow_guests,
                "premoderation": site.premoderation,
            },
        )
    return site, created


def post_comment(
    *, story: Story, author: Any, body: str, parent_id: int | None = None, ip: str = ""
) -> Comment:
    check_identity(story.site, author)
    body = (body or "").strip()
    parent = _reply_target(story, parent_id)
    sub = Submission(
        site=story.site, story=story, author=author, body=body, parent=parent, ip_hash=hash_ip(ip)
    )
    decision = decide(sub)
    with redis_batch(), transaction.atomic():
        comment = store_comment(
            story=story,
            author=author,
            body=body,
            parent=parent,
            status=STATUS_FOR.get(decision.action, Comment.Status.REJECTED),
            reasons=decision.reasons,
            scores=decision.scores,
            ip_hash=sub.ip_hash,
            audit_data={"decision": str(decision.action), "reasons": decision.reasons},
        )
        _decide_later(comment, decision)
    return comment


# Late scores are applied one at a time on a thread of their own, off the scoring thread.
_late_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="civility-late-score")


def _decide_later(comment: Comment, decision: Decision) -> None:
    """If the model's score was not back in time, decide the comment when it arrives."""
    future = decision.pending_score
    if future is None:
        return
    pk = comment.pk
    # If this process dies before the score arrives, the workers' sweep
    # (comments.tasks.sweep_pending_scores) scores it: no task row per post.
    transaction.on_commit(lambda: _when_scored(pk, future))


def _when_scored(pk: int, future: Future[dict[str, Any]]) -> None:
    def apply(f: Future[dict[str, Any]]) -> None:
        _late_executor.submit(apply_late_score, pk, f)

    future.add_done_callback(apply)


def apply_late_score(comment_id: int, future: Future[dict[str, Any]]) -> Comment | None:
    """Decide a comment that was stored held while its score was pending.

    Does nothing if a moderator acted meanwhile (the comment is no longer waiting for its
    score). A failed score leaves it held with the reason "scoring unavailable"."""
    from django.db import close_old_connections

    from civility.moderation.model_check import late_verdict

    close_old_connections()
    try:
        try:
            scored: dict[str, Any] | None = future.result()
        except Exception:  # noqa: BLE001 - held for a human, never approved
            log.exception("late scoring of comment %s failed; it stays held", comment_id)
            scored = None
        with redis_batch(), transaction.atomic():
            comment = (
                Comment.objects.select_for_update()
                .select_related("story__site")
                .filter(pk=comment_id)
                .first()
            )
            if comment is None or not _awaits_score(comment):
                return None
            others = [
                Vote.from_reason(r)
                for r in comment.moderation_reasons
                if r.get("code") != ReasonCode.SCORING_PENDING
            ]
            if scored is None:
                votes = others + [Vote(HOLD, ReasonCode.MODEL_UNAVAILABLE, "scoring unavailable")]
            else:
                late, scored = late_verdict(comment.story.site, comment.body, scored)
                votes = others + late
            action = strictest(v.action for v in votes)
            before = comment.status
            comment.status = STATUS_FOR.get(action, Comment.Status.REJECTED)
            comment.moderation_reasons = [v.as_reason() for v in votes]
            comment.rejection_reason = (
                rejection_reason_for(comment.moderation_reasons)
                if comment.status == Comment.Status.REJECTED
                else ""
            )
            comment.scores = scored or {}
            comment.save(
                update_fields=[
                    "status",
                    "moderation_reasons",
                    "rejection_reason",
                    "scores",
                    "updated_at",
                ]
            )
            record(
                "comment.scored",
                site=comment.story.site,
                comment=comment,
                before=before,
                after=comment.status,
                data={"decision": str(action), "reasons": comment.moderation_reasons},
            )
            if comment.status == Comment.Status.REJECTED:
                dsa.for_pipeline_rejection(comment)
            _after_change(comment, "comment.created")
            if comment.status == Comment.Status.APPROVED:
                notifications.comment_published(comment)
            if comment.status != Comment.Status.PENDING:
                webhook_event(f"comment.{comment.status}", site=comment.story.site, comment=comment)
        return comment
    finally:
        close_old_connections()


def _awaits_score(comment: Comment) -> bool:
    return comment.status == Comment.Status.PENDING and any(
        r.get("code") == ReasonCode.SCORING_PENDING for r in comment.moderation_reasons
    )


def resume_pending_scores(limit: int = 1000) -> int:
    """Re-submit comments still waiting for a score (their worker stopped before it arrived).
    Called when a server process starts; a comment decided twice is decided once (see
    apply_late_score)."""
    from civility.comments.tasks import awaiting_score
    from civility.moderation import scoring

    waiting = list(awaiting_score().values_list("id", "body")[:limit])
    for pk, body in waiting:
        _when_scored(pk, scoring.submit(body, background=True))
    return len(waiting)


def _own_editable(comment: Comment, user: Any, verb: str) -> None:
    editing = verb == "edit"  # else "delete"; whole sentences, so each language can say them
    if comment.author_id != getattr(user, "pk", None):
        raise Refused(
            "not_yours",
            _("You can only edit your own comments.")
            if editing
            else _("You can only delete your own comments."),
            403,
        )
    if comment.status in {Comment.Status.DELETED, Comment.Status.REJECTED}:
        raise Refused(
            "not_editable",
            _("This comment can no longer be edited.")
            if editing
            else _("This comment can no longer be deleted."),
            409,
        )
    window = timedelta(seconds=comment.story.site.edit_window_seconds)
    if timezone.now() > comment.created_at + window:
        minutes = comment.story.site.edit_window_seconds // 60
        message = (
            ngettext(
                "Comments can be edited for %(minutes)s minute after posting.",
                "Comments can be edited for %(minutes)s minutes after posting.",
                minutes,
            )
            if editing
            else ngettext(
                "Comments can be deleted for %(minutes)s minute after posting.",
                "Comments can be deleted for %(minutes)s minutes after posting.",
                minutes,
            )
        )
        raise Refused("edit_window_closed", message % {"minutes": minutes}, 403)


def edit_comment(*, comment: Comment, user: Any, body: str) -> Comment:
    _own_editable(comment, user, "edit")
    body = (body or "").strip()
    story = comment.story
    sub = Submission(
        site=story.site,
        story=story,
        author=user,
        body=body,
        parent=comment.parent,
        ip_hash=comment.ip_hash,
        editing=comment,
    )
    decision = decide(sub)
    before = comment.status
    with redis_batch(), transaction.atomic():
        comment.body, comment.html, comment.edited = body, render(body), True
        comment.status = STATUS_FOR.get(decision.action, Comment.Status.REJECTED)
        comment.rejection_reason = (
            rejection_reason_for(decision.reasons)
            if comment.status == Comment.Status.REJECTED
            else ""
        )
        comment.moderation_reasons, comment.scores = decision.reasons, decision.scores
        comment.save()
        record(
            "comment.edited",
            site=story.site,
            actor=user,
            comment=comment,
            before=before,
            after=comment.status,
            data={"decision": str(decision.action), "reasons": decision.reasons},
        )
        if comment.status == Comment.Status.REJECTED:
            dsa.for_pipeline_rejection(comment)
        _after_change(comment, "comment.edited")
        _decide_later(comment, decision)
    return comment


def delete_comment(*, comment: Comment, user: Any) -> Comment:
    _own_editable(comment, user, "delete")
    before = comment.status
    with redis_batch(), transaction.atomic():
        comment.status = Comment.Status.DELETED
        comment.save(update_fields=["status", "updated_at"])
        record("comment.deleted", actor=user, comment=comment, before=before, after=comment.status)
        _after_change(comment, "comment.deleted")
    return comment


REACTION_KINDS = {"like"}


def toggle_reaction(*, comment: Comment, user: Any, kind: str = "like") -> tuple[bool, int]:
    """Add the reader's reaction, or take it back; returns (reacted, new count)."""
    if kind not in REACTION_KINDS:
        raise Refused("bad_reaction", _("Unknown reaction %(kind)r.") % {"kind": kind})
    if comment.status != Comment.Status.APPROVED:
        raise Refused("not_published", _("You can only react to published comments."), 409)
    limit = settings.REACTIONS_PER_MINUTE
    if window_hits(f"react:u:{user.pk}", 60) > limit:
        raise Refused(
            "rate_limited",
            _("Too many reactions: at most %(limit)s a minute.") % {"limit": limit},
            429,
            retry_after=seconds_left(60),
        )
    with redis_batch(), transaction.atomic():
        existing = Reaction.objects.filter(comment=comment, user=user, kind=kind).first()
        if existing is not None:
            existing.delete()
            Comment.objects.filter(pk=comment.pk, reaction_count__gt=0).update(
                reaction_count=F("reaction_count") - 1
            )
            reacted = False
        else:
            Reaction.objects.create(comment=comment, user=user, kind=kind)
            Comment.objects.filter(pk=comment.pk).update(reaction_count=F("reaction_count") + 1)
            reacted = True
        count = Comment.objects.values_list("reaction_count", flat=True).get(pk=comment.pk)
        record(
            "comment.reacted" if reacted else "comment.unreacted",
            site=comment.story.site,
            actor=user,
            comment=comment,
            data={"kind": kind, "count": count},
        )
        story_id = comment.story_id
        transaction.on_commit(lambda: thread_cache.bump(story_id))
        emit(
            f"story:{story_id}",
            {"type": "comment.reactions", "comment": {"id": comment.pk, "reaction_count": count}},
        )
    return reacted, count


def report_comment(*, comment: Comment, user: Any, reason: str, message: str = "") -> Report:
    if reason not in Report.Reason.values:
        choices = ", ".join(Report.Reason.values)
        raise Refused(
            "bad_reason",
            _("Unknown report reason %(reason)r; use one of %(choices)s.")
            % {"reason": reason, "choices": choices},
        )
    if comment.author_id == user.pk:
        raise Refused("own_comment", _("You cannot report your own comment."))
    if comment.status != Comment.Status.APPROVED:
        raise Refused("not_published", _("You can only report published comments."), 409)
    message = (message or "").strip()
    if len(message) > 500:
        raise Refused("too_long", _("The report message is longer than 500 characters."))
    try:
        with redis_batch(), transaction.atomic():
            report = Report.objects.create(
                comment=comment, reporter=user, reason=reason, message=message
            )
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
            record(
                "comment.reported",
                site=comment.story.site,
                actor=user,
                comment=comment,
                reason=reason,
                data={"message": message},
            )
            emit(
                f"site:{comment.story.site_id}",
                {"type": "comment.reported", "comment": {"id": comment.pk}, "reason": reason},
            )
            webhook_event(
                "comment.reported",
                site=comment.story.site,
                comment=comment,
                extra={"report": {"reason": reason}},
            )
    except IntegrityError:
        raise Refused("already_reported", _("You already reported this comment."), 409) from None
    return report
