"""Read side of the moderation desk: queues, cards (comment in context + author history + why)."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, Count, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civility.comments.models import Comment, Report, Site
from civility.moderation.actions import DECISION_UNDOS, DECISIONS, actor_name
from civility.moderation.bans import standing_json
from civility.moderation.models import AuditEntry, UserNote
from civility.verdicts import (
    DEFAULT_GROUND,
    GROUND_LABELS,
    MODERATOR_GROUNDS,
    REJECT,
    ReasonCode,
    Verdict,
)

# The desk's queues and their names, said in the moderator's language.
QUEUES = {
    "pending": _("Pending"),
    "reported": _("Reported"),
    "unmoderated": _("Unmoderated"),
    "rejected": _("Rejected"),
    "approved": _("Approved"),
}
PAGE = 50
MAX_PAGE = 500  # "show more" grows the page by PAGE, up to this


def _open_reports() -> Exists:
    return Exists(Report.objects.filter(comment=OuterRef("pk"), resolved=False))


def _moderated() -> Exists:
    """A moderator's decision on the comment that was not undone."""
    undone = AuditEntry.objects.annotate(undoes=Cast(KT("data__undoes"), BigIntegerField())).filter(
        action__in=DECISION_UNDOS, comment=OuterRef("comment"), undoes=OuterRef("pk")
    )
    return Exists(
        AuditEntry.objects.filter(
            comment=OuterRef("pk"), action__in=DECISIONS, actor__isnull=False
        ).exclude(Exists(undone))
    )


def queue_queryset(site: Site, queue: str, story_id: int | None = None) -> QuerySet[Comment]:
    qs = Comment.objects.filter(story__site=site)
    if story_id is not None:
        qs = qs.filter(story_id=story_id)
    if queue == "pending":
        qs = qs.filter(status=Comment.Status.PENDING).order_by("created_at", "id")
    elif queue == "reported":
        qs = (
            qs.filter(_open_reports())
            .exclude(status=Comment.Status.DELETED)
            .annotate(open_reports=Count("reports", filter=Q(reports__resolved=False)))
            .order_by("-open_reports", "-created_at", "-id")
        )
    elif queue == "unmoderated":
        qs = (
            qs.filter(status=Comment.Status.APPROVED)
            .exclude(_moderated())
            .order_by("-created_at", "-id")
        )
    elif queue == "rejected":
        qs = qs.filter(status=Comment.Status.REJECTED).order_by("-updated_at", "-id")
    elif queue == "approved":
        qs = qs.filter(status=Comment.Status.APPROVED).order_by("-created_at", "-id")
    else:
        raise ValueError(queue)
    return qs.select_related("story", "author", "parent", "parent__author")


def queue_counts(site: Site, story_id: int | None = None) -> dict[str, int]:
    return {q: queue_queryset(site, q, story_id).count() for q in QUEUES}


def highlight(text: str, ranges: list[tuple[int, int, str, str]]) -> str:
    """HTML-escaped ``text`` with ``ranges`` (start, end, kind, label) wrapped in <mark>."""
    n = len(text)
    labels: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    for start, end, kind, label in ranges:
        for i in range(max(0, start), min(n, end)):
            if (kind, label) not in labels[i]:
                labels[i].append((kind, label))
    out: list[str] = []
    i = 0
    while i < n:
        j = i
        while j < n and labels[j] == labels[i]:
            j += 1
        chunk = escape(text[i:j])
        if labels[i]:
            kinds = " ".join(sorted({f"hl-{k}" for k, _ in labels[i]}))
            title = escape("; ".join(label for _, label in labels[i]))
            out.append(f'<mark class="hl {kinds}" title="{title}">{chunk}</mark>')
        else:
            out.append(chunk)
        i = j
    return "".join(out)


def why(comment: Comment) -> tuple[list[dict[str, Any]], str]:
    """The reasons to show and the body with the matched words and model spans highlighted."""
    reasons = list(comment.moderation_reasons or [])
    ranges: list[tuple[int, int, str, str]] = []
    for r in reasons:
        if isinstance(r.get("start"), int) and isinstance(r.get("end"), int):
            ranges.append((r["start"], r["end"], "rule", r.get("message", "rule")))
    scores = comment.scores or {}
    for span in scores.get("spans") or []:
        try:
            start, end = int(span["start"]), int(span["end"])
        except (KeyError, TypeError, ValueError):
            continue
        attr = str(span.get("attribute", "model"))
        ranges.append((start, end, "model", f"{attr} {float(span.get('score', 0)):.2f}"))
    return reasons, highlight(comment.body, ranges)


def unscored(comment: Comment) -> str:
    """The desk's "not scored" marker: "language de" for a comment the model did not score
    because it does not read its language (model_check.check_language), else ""."""
    scores = comment.scores or {}
    if scores.get("unscored") == "language":
        return f"language {scores.get('language') or '?'}"
    return ""


# What a moderator cites when rejecting what a hold-only check flagged, and what readers'
# report reasons stand for.
_HOLD_GROUNDS = {ReasonCode.SUSPECT_WORD: ReasonCode.BANNED_WORD}
_REPORT_GROUNDS: dict[str, str] = {
    Report.Reason.ABUSIVE.value: "model_insult",
    Report.Reason.HATE.value: "model_identity_attack",
    Report.Reason.THREAT.value: "model_threat",
    Report.Reason.SPAM.value: "spam",
    Report.Reason.OFF_TOPIC.value: "off_topic",
}


def suggested_ground(reasons: list[dict[str, Any]], reports: dict[str, int]) -> str:
    """The ground the desk's reject dialog preselects: the category a rule or the model flagged
    (a reject vote before a hold, then the highest score), else the commonest report reason,
    else the site's guidelines in general."""
    flagged: list[tuple[bool, float, str]] = []
    for r in reasons:
        if r.get("action") not in (Verdict.HOLD, Verdict.REJECT):
            continue
        code = str(r.get("code", ""))
        code = _HOLD_GROUNDS.get(code, code)
        if code in MODERATOR_GROUNDS:
            try:
                score = float(r.get("score") or 0)
            except (TypeError, ValueError):
                score = 0.0
            flagged.append((r.get("action") == REJECT, score, code))
    if flagged:
        return max(flagged, key=lambda f: (f[0], f[1]))[2]
    for reason, _n in sorted(reports.items(), key=lambda kv: -kv[1]):
        if reason in _REPORT_GROUNDS:
            return _REPORT_GROUNDS[reason]
    return DEFAULT_GROUND


def moderator_grounds() -> list[tuple[str, str]]:
    """(code, label) of every ground a moderator may cite, for the reject dialog."""
    return [(code, gettext(GROUND_LABELS.get(code, code))) for code in MODERATOR_GROUNDS]


def author_history(site: Site, user_ids: list[int]) -> dict[int, dict[str, Any]]:
    from civility.accounts.models import User

    now = timezone.now()
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    stats: dict[int, dict[str, Any]] = {
        pk: {"comments": 0, "rejected": 0, "pending": 0, "reports": 0} for pk in users
    }
    rows = (
        Comment.objects.filter(author_id__in=user_ids, story__site=site)
        .values("author_id", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        s = stats[row["author_id"]]
        s["comments"] += row["n"]
        if row["status"] == Comment.Status.REJECTED:
            s["rejected"] += row["n"]
        if row["status"] == Comment.Status.PENDING:
            s["pending"] += row["n"]
    reports = (
        Report.objects.filter(comment__author_id__in=user_ids, comment__story__site=site)
        .values("comment__author_id")
        .annotate(n=Count("id"))
    )
    for rep in reports:
        stats[rep["comment__author_id"]]["reports"] = rep["n"]
    notes: dict[int, list[dict[str, Any]]] = {pk: [] for pk in users}
    for note in UserNote.objects.filter(site=site, user_id__in=user_ids).select_related("author"):
        notes[note.user_id].append(
            {"text": note.text, "by": actor_name(note.author), "at": note.created_at.isoformat()}
        )
    out = {}
    for pk, user in users.items():
        out[pk] = {
            "id": pk,
            "name": user.public_name,
            "username": user.username,
            "joined": user.date_joined.isoformat(),
            "account_age_days": (now - user.date_joined).days,
            **_standing(site, user),
            "notes": notes[pk][-3:],
            **stats[pk],
        }
    return out


def _standing(site: Site, user: Any) -> dict[str, Any]:
    s = standing_json(site, user)
    return {
        "banned": s["banned"],
        "banned_reason": s["reason"],
        "suspended_until": s["suspended_until"],
    }


def cards(site: Site, comments: list[Comment]) -> list[dict[str, Any]]:
    """Everything a queue card shows, as JSON-ready dicts."""
    history = author_history(site, list({c.author_id for c in comments}))
    report_rows = (
        Report.objects.filter(comment__in=comments, resolved=False)
        .values("comment_id", "reason")
        .annotate(n=Count("id"))
    )
    reports: dict[int, dict[str, int]] = {}
    for row in report_rows:
        reports.setdefault(row["comment_id"], {})[row["reason"]] = row["n"]
    messages: dict[int, list[str]] = {}
    for r in Report.objects.filter(comment__in=comments, resolved=False).exclude(message=""):
        messages.setdefault(r.comment_id, []).append(r.message)
    out = []
    for c in comments:
        reasons, body_html = why(c)
        parent = c.parent
        scores = (c.scores or {}).get("scores") or {}
        out.append(
            {
                "id": c.pk,
                "status": c.status,
                "featured": c.featured,
                "created_at": c.created_at.isoformat(),
                "body_html": body_html,
                "edited": c.edited,
                "rejection_reason": c.rejection_reason,
                "reasons": reasons,
                "scores": {k: round(float(v), 2) for k, v in scores.items()},
                "model_version": (c.scores or {}).get("version", ""),
                "unscored": unscored(c),
                "reports": reports.get(c.pk, {}),
                "ground": suggested_ground(reasons, reports.get(c.pk, {})),
                "report_total": sum(reports.get(c.pk, {}).values()),
                "report_messages": messages.get(c.pk, [])[:5],
                "story": {
                    "id": c.story_id,
                    "title": c.story.title or c.story.url,
                    "url": c.story.url,
                    "closed": c.story.closed,
                },
                "parent": (
                    {
                        "id": parent.pk,
                        "author": parent.author.public_name,
                        "body": parent.body[:400],
                        "status": parent.status,
                    }
                    if parent is not None
                    else None
                ),
                "author": history[c.author_id],
            }
        )
    return out


def audit_entries(**filters: Any) -> list[dict[str, Any]]:
    rows = AuditEntry.objects.filter(**filters).select_related("actor", "comment", "target_user")
    return [
        {
            "at": e.created_at.isoformat(),
            "action": e.action,
            "actor": actor_name(e.actor),
            "comment_id": e.comment_id,
            "user": e.target_user.public_name if e.target_user else "",
            "before": e.before,
            "after": e.after,
            "reason": e.reason,
        }
        for e in rows[:200]
    ]
