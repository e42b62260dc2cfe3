"""Appeals (EU Digital Services Act, Art. 20): the author contests a removal or a ban from the
widget within APPEAL_DAYS; a person decides, and where the site has more than one moderator
it is never the one who took the first decision. Reversing publishes the comment again or
lifts the ban. Each action validates, writes in one transaction, audits and tells the author
(the widget shows the outcome; `dsa.notify_appeal_outcome` e-mails it).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from civility.audit import record
from civility.comments.models import Comment
from civility.errors import Refused, whole_number
from civility.events import emit
from civility.moderation import dsa
from civility.moderation.models import Appeal, SiteBan, SiteMembership, Statement
from civility.moderation.permissions import require_moderator
from civility.tasks.base import enqueue_on_commit

MAX_APPEAL = 2000
MAX_OUTCOME = 1000
APPEALABLE = (Statement.Decision.REMOVAL, Statement.Decision.SUSPENSION)
OUTCOMES = {"uphold": Appeal.Status.UPHELD, "reverse": Appeal.Status.REVERSED}


def file_appeal(*, user: Any, statement_id: Any, text: str) -> Appeal:
    """The author contests the decision a statement of reasons describes."""
    pk = whole_number(statement_id, "bad_id", "The statement id must be a number.")
    text = (text or "").strip()
    if len(text) > MAX_APPEAL:
        raise Refused("too_long", f"The appeal is longer than {MAX_APPEAL} characters.")
    with transaction.atomic():
        statement = (
            Statement.objects.select_for_update(of=("self",))
            .select_related("site")
            .filter(pk=pk)
            .first()
        )
        if statement is None:
            raise Refused("unknown_statement", f"There is no statement {pk}.", 404)
        if statement.user_id is None or statement.user_id != getattr(user, "pk", None):
            raise Refused("not_yours", "You can only appeal decisions about you.", 403)
        if statement.decision not in APPEALABLE:
            raise Refused(
                "not_appealable",
                "A held comment is not a final decision: a moderator will review it.",
                409,
            )
        if Appeal.objects.filter(statement=statement).exists():
            raise Refused("already_appealed", "You have appealed this decision already.", 409)
        if statement.appeal_until is None or timezone.now() > statement.appeal_until:
            raise Refused("too_late", "The time to appeal this decision has passed.", 409)
        if not dsa.still_stands(statement):
            raise Refused(
                "not_in_force",
                "This decision was lifted or undone already; nothing to appeal.",
                409,
            )
        appeal = Appeal.objects.create(
            statement=statement, site=statement.site, author=user, text=text
        )
        record(
            "appeal.received",
            site=statement.site,
            actor=user,
            comment=statement.comment,
            target_user=user,
            after="open",
            reason=text,
            data={"appeal_id": appeal.pk, "statement_id": statement.pk},
        )
        emit(
            f"site:{statement.site_id}:queue",
            {"type": "appeal.received", "appeal_id": appeal.pk},
        )
    return appeal


def _moderator_count(site_id: int) -> int:
    return SiteMembership.objects.filter(site_id=site_id).count()


def may_decide(actor: Any, appeal: Appeal) -> tuple[bool, str]:
    """Whether ``actor`` may decide ``appeal`` (and why not): a person, a moderator of the
    site, and, where the site has more than one moderator, not the first decision's author."""
    first = appeal.statement.decided_by_id
    if appeal.author_id is not None and appeal.author_id == getattr(actor, "pk", None):
        return False, "You cannot decide your own appeal."
    if first is not None and first == actor.pk and _moderator_count(appeal.site_id) > 1:
        return False, "You took the first decision: another moderator must decide this appeal."
    return True, ""


def decide_appeal(*, actor: Any, appeal_id: Any, outcome: str, reason: str) -> Appeal:
    """Uphold or reverse the decision; the reason goes to the author."""
    if outcome not in OUTCOMES:
        raise Refused("bad_outcome", 'The outcome must be "uphold" or "reverse".')
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused("reason_required", "Give a reason; the author will read it.")
    if len(reason) > MAX_OUTCOME:
        raise Refused("too_long", f"The reason is longer than {MAX_OUTCOME} characters.")
    pk = whole_number(appeal_id, "bad_id", "The appeal id must be a number.")
    found = Appeal.objects.filter(pk=pk).values_list("site_id", flat=True).first()
    if found is None:
        if not getattr(actor, "is_authenticated", False):
            raise Refused("login_required", "Sign in as a moderator to do this.", 403)
        raise Refused("not_found", "No such appeal.", 404)
    require_moderator(actor, found)
    with transaction.atomic():
        appeal = (
            Appeal.objects.select_for_update(of=("self",))
            .select_related("statement", "site", "author")
            .get(pk=pk)
        )
        if appeal.status != Appeal.Status.OPEN:
            raise Refused("already_decided", "This appeal has been decided already.", 409)
        allowed, why = may_decide(actor, appeal)
        if not allowed:
            raise Refused("same_moderator", why, 403)
        status = OUTCOMES[outcome]
        appeal.status = status
        appeal.decided_by = actor
        appeal.decided_at = timezone.now()
        appeal.outcome_reason = reason
        appeal.save(update_fields=["status", "decided_by", "decided_at", "outcome_reason"])
        statement = appeal.statement
        restored = _reverse(actor, appeal, statement) if status == Appeal.Status.REVERSED else ""
        record(
            f"appeal.{status}",
            site=appeal.site,
            actor=actor,
            comment=statement.comment,
            target_user=appeal.author,
            before="open",
            after=status,
            reason=reason,
            data={
                "appeal_id": appeal.pk,
                "statement_id": statement.pk,
                "decision": statement.decision,
                "ground": statement.ground,
                "first_decided_by": statement.decided_by_id,
                "restored": restored,
            },
        )
        emit(
            f"site:{appeal.site_id}:queue",
            {"type": f"appeal.{status}", "appeal_id": appeal.pk},
        )
        enqueue_on_commit(dsa.notify_appeal_outcome, appeal.pk)
    return appeal


def _reverse(actor: Any, appeal: Appeal, statement: Statement) -> str:
    """Undo what the statement describes, if it still stands; returns what was restored."""
    from civility.moderation import actions

    if statement.decision == Statement.Decision.REMOVAL:
        if statement.comment_id is None:
            return ""
        status = Comment.objects.filter(pk=statement.comment_id).values_list("status", flat=True)
        if status.first() != Comment.Status.REJECTED:
            return ""  # published meanwhile, or deleted
        actions._set_status_locked(
            actor, statement.comment_id, Comment.Status.APPROVED, "", Comment.Status.REJECTED
        )
        return "comment"
    if statement.user_id is None:
        return ""
    ban = (
        SiteBan.objects.select_for_update()
        .filter(site_id=statement.site_id, user_id=statement.user_id)
        .first()
    )
    running = ban is not None and (ban.until is None or ban.until > timezone.now())
    if ban is None or not running or ban.until != statement.until:
        return ""  # lifted, expired or replaced by a later decision meanwhile
    before = "banned" if ban.until is None else "suspended"
    ban.delete()
    record(
        "user.unbanned",
        site=appeal.site,
        actor=actor,
        target_user=appeal.author,
        before=before,
        after="active",
        reason=f"Appeal {appeal.pk} reversed the decision.",
        data={"appeal_id": appeal.pk},
    )
    emit(f"site:{appeal.site_id}:queue", {"type": "user.unbanned", "user_id": statement.user_id})
    return "account"


def open_appeals(site: Any) -> list[Appeal]:
    return list(
        Appeal.objects.filter(site=site, status=Appeal.Status.OPEN)
        .select_related("statement", "statement__decided_by", "author")
        .order_by("created_at", "id")
    )
