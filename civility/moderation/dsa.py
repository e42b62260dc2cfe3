"""Statements of reasons (EU Digital Services Act, Art. 17).

Every rejection, every ban or suspension, and every hold that outlasts the site's hold time
carries a stored statement: the decision, the facts (the text and the flagged spans), the
ground (a fixed code, civility.verdicts.GROUND_GUIDELINES, with the site's own guideline
sentence for it), whether automated means detected it and whether the decision itself was
automated, and how to seek redress (an appeal from the widget, civility/moderation/appeals.py).

The action functions that decide (moderation/actions.py, comments/actions.py) call `issue`
inside their own transaction; the hold sweep (`sweep_long_holds`, run by `civility worker`)
writes the statements for long holds. The author reads them in the widget and, when they gave
an address, by e-mail (`notify_statement`, a durable task on the mail queue).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from civility.audit import record
from civility.comments.models import Comment, Site
from civility.moderation.models import Appeal, SiteBan, Statement
from civility.tasks.base import already_done, durable, enqueue_on_commit, mark_done
from civility.verdicts import (
    DEFAULT_GROUND,
    GROUND_GUIDELINES,
    GROUND_LABELS,
    HOLD,
    REJECT,
    ReasonCode,
    ground_of,
)

log = logging.getLogger(__name__)

Decision = Statement.Decision
# Codes whose vote means automated means found something in the text (a model, a word list, a
# link count); premoderation and "new commenter" holds hold everything, detecting nothing.
_AUTOMATED_CODES = frozenset(
    {
        ReasonCode.BANNED_WORD,
        ReasonCode.SUSPECT_WORD,
        "too_many_links",
        ReasonCode.LANGUAGE_UNSUPPORTED,
        "duplicate",
    }
)
MAX_GUIDELINE = 500


# --- the site's rules -----------------------------------------------------------------------


def guidelines(site: Site) -> dict[str, str]:
    """The site's guideline sentence for every ground code (its own, else our default)."""
    own = (site.settings or {}).get("guidelines") or {}
    return {
        code: str(own.get(code) or "").strip() or default
        for code, default in GROUND_GUIDELINES.items()
    }


def hold_hours(site: Site) -> float:
    """After how many hours a held comment gets a statement (the site's, else the default)."""
    value = (site.settings or {}).get("statement_hold_hours")
    try:
        return float(value) if value not in (None, "") else float(settings.STATEMENT_HOLD_HOURS)
    except (TypeError, ValueError):
        return float(settings.STATEMENT_HOLD_HOURS)


def appeal_window() -> timedelta:
    return timedelta(days=float(settings.APPEAL_DAYS))


def clean_ground(code: Any, fallback: str = DEFAULT_GROUND) -> str:
    from civility.errors import Refused

    if code in (None, ""):
        return fallback
    if str(code) not in GROUND_GUIDELINES:
        known = ", ".join(GROUND_GUIDELINES)
        raise Refused("bad_ground", f"Unknown ground {code!r}; use one of {known}.")
    return str(code)


# --- the facts --------------------------------------------------------------------------------


def flagged_spans(comment: Comment) -> list[dict[str, Any]]:
    """The parts of the text that were flagged: word-rule matches and the model's spans."""
    spans: list[dict[str, Any]] = []
    for r in comment.moderation_reasons or []:
        if r.get("action") not in (HOLD, REJECT):
            continue
        code = str(r.get("code", ""))
        if isinstance(r.get("start"), int) and isinstance(r.get("end"), int):
            spans.append({"start": r["start"], "end": r["end"], "ground": code})
        for s in r.get("spans") or []:
            if isinstance(s, dict) and isinstance(s.get("start"), int):
                spans.append({"start": s["start"], "end": s["end"], "ground": code})
    if not spans:
        for s in (comment.scores or {}).get("spans") or []:
            try:
                start, end = int(s["start"]), int(s["end"])
            except (KeyError, TypeError, ValueError):
                continue
            code = ReasonCode.for_attribute(str(s.get("attribute", "")))
            spans.append({"start": start, "end": end, "ground": code})
    seen: set[tuple[int, int]] = set()
    out = []
    for s in sorted(spans, key=lambda s: (s["start"], s["end"])):
        if (s["start"], s["end"]) not in seen:
            seen.add((s["start"], s["end"]))
            out.append({**s, "text": comment.body[s["start"] : s["end"]]})
    return out


def detected_automatically(comment: Comment) -> bool:
    """Whether automated means (the model, word rules, link count) flagged the comment."""
    for r in comment.moderation_reasons or []:
        code = str(r.get("code", ""))
        if r.get("action") in (HOLD, REJECT) and (
            code.startswith("model_")
            and code != ReasonCode.SCORING_PENDING
            or code in _AUTOMATED_CODES
        ):
            return True
    return False


def _redress(site: Site, appeal_until: datetime | None, decision: str = Decision.REMOVAL) -> str:
    if appeal_until is None:
        return (
            f"A moderator of {site.name} will review the comment; you need do nothing. You may"
            f" also complain to {site.name}'s staff, use an out-of-court dispute settlement body"
            " certified under Art. 21 of the EU Digital Services Act, or go to court."
        )
    where = (
        "from the comments under any article (\u201cYour data\u201d, then \u201cAppeal this"
        " decision\u201d)"
        if decision == Decision.SUSPENSION
        else "from the comments under the article (\u201cWhy?\u201d, then \u201cAppeal this"
        " decision\u201d)"
    )
    return (
        "You can appeal this decision {where} until {until}; a person who did not take the"
        " decision will review it. You may also use an out-of-court dispute settlement body"
        " certified under Art. 21 of the EU Digital Services Act, or go to court."
    ).format(where=where, until=appeal_until.strftime("%-d %B %Y"))


# --- writing statements (inside the deciding action's transaction) -----------------------------


def issue(
    *,
    site: Site,
    decision: str,
    ground: str,
    automated_detection: bool,
    automated_decision: bool,
    decided_by: Any = None,
    comment: Comment | None = None,
    user: Any = None,
    explanation: str = "",
    until: datetime | None = None,
    facts: str = "",
) -> Statement:
    """Write one statement, audit it and queue its e-mail; call inside the action's atomic()."""
    now = timezone.now()
    appealable = decision in (Decision.REMOVAL, Decision.SUSPENSION)
    appeal_until = now + appeal_window() if appealable else None
    if comment is not None and user is None:
        user = comment.author
    statement = Statement.objects.create(
        site=site,
        comment=comment,
        user=user,
        decision=decision,
        until=until,
        text=comment.body if comment is not None else "",
        spans=flagged_spans(comment) if comment is not None else [],
        facts=facts,
        ground=ground,
        guideline=guidelines(site)[ground],
        explanation=explanation,
        automated_detection=automated_detection,
        automated_decision=automated_decision,
        decided_by=decided_by if getattr(decided_by, "is_authenticated", False) else None,
        redress=_redress(site, appeal_until, decision),
        appeal_until=appeal_until,
        subject_at=comment.created_at if comment is not None else now,
    )
    record(
        "statement.issued",
        site=site,
        actor=decided_by,
        comment=comment,
        target_user=user,
        after=decision,
        reason=ground,
        data={
            "statement_id": statement.pk,
            "decision": decision,
            "ground": ground,
            "automated_detection": automated_detection,
            "automated_decision": automated_decision,
        },
    )
    if settings.STATEMENT_EMAILS:
        # A little later: a decision undone at once (the desk's undo) is not mailed.
        enqueue_on_commit(
            notify_statement, statement.pk, delay=float(settings.STATEMENT_EMAIL_DELAY)
        )
    return statement


def for_pipeline_rejection(comment: Comment) -> Statement:
    """The checks rejected ``comment`` on their own: automated detection and decision."""
    return issue(
        site=comment.story.site,
        decision=Decision.REMOVAL,
        ground=ground_of(comment.moderation_reasons or []),
        automated_detection=True,
        automated_decision=True,
        comment=comment,
        facts="Our automatic check rejected the comment when it was posted.",
    )


def for_moderator_rejection(
    comment: Comment,
    actor: Any,
    explanation: str,
    ground: str | None = None,
    *,
    automated_detection: bool | None = None,
    facts: str = "",
) -> Statement:
    """A person rejected ``comment``; the ground defaults to what the checks flagged."""
    if automated_detection is None:
        automated_detection = detected_automatically(comment)
    reported = comment.report_count > 0
    if not facts:
        how = []
        if automated_detection:
            how.append("flagged by our automatic check")
        if reported:
            how.append("reported by readers")
        facts = "A moderator reviewed the comment" + (" (" + " and ".join(how) + ")" if how else "")
        facts += " and removed it."
    return issue(
        site=comment.story.site,
        decision=Decision.REMOVAL,
        ground=ground or ground_of(comment.moderation_reasons or []),
        automated_detection=automated_detection,
        automated_decision=False,
        decided_by=actor,
        comment=comment,
        explanation=explanation,
        facts=facts,
    )


def for_account(
    site: Site, user: Any, actor: Any, explanation: str, until: datetime | None, ground: str
) -> Statement:
    """A person banned (``until`` None) or suspended ``user`` on ``site``."""
    facts = (
        f"A moderator banned the account from commenting on {site.name}."
        if until is None
        else f"A moderator suspended the account from commenting on {site.name} until"
        f" {until:%Y-%m-%d %H:%M} UTC."
    )
    return issue(
        site=site,
        decision=Decision.SUSPENSION,
        ground=ground,
        automated_detection=False,
        automated_decision=False,
        decided_by=actor,
        user=user,
        explanation=explanation,
        until=until,
        facts=facts,
    )


def for_long_hold(comment: Comment, hours: float) -> Statement | None:
    """``comment`` has been held longer than the site's hold time: its visibility is
    restricted by an automated decision (a check held it). Once per comment."""
    try:
        with transaction.atomic():
            return issue(
                site=comment.story.site,
                decision=Decision.VISIBILITY,
                ground=ground_of(comment.moderation_reasons or []),
                automated_detection=detected_automatically(comment),
                automated_decision=True,
                comment=comment,
                facts=f"The comment has been held for review for more than {hours:g} hours;"
                " it is not shown to other readers until a moderator publishes it.",
            )
    except IntegrityError:  # another worker's sweep wrote it first
        return None


SWEEP_EVERY_SECONDS = 60


def sweep_long_holds(now: datetime | None = None, limit: int = 500) -> int:
    """Write the statements of comments held past their site's hold time (a worker sweep:
    idempotent). Hold times are hours, so the workers run it at most once a minute between
    them (a cache key), not at every few-second maintenance round. Returns how many it wrote."""
    from django.core.cache import cache

    if now is None and not cache.add("civility:dsa:hold-sweep", 1, SWEEP_EVERY_SECONDS):
        return 0
    now = now or timezone.now()
    written = 0
    has_statement = Exists(
        Statement.objects.filter(comment=OuterRef("pk"), decision=Decision.VISIBILITY)
    )
    for site in Site.objects.filter(
        Exists(Comment.objects.filter(story__site=OuterRef("pk"), status=Comment.Status.PENDING))
    ):
        hours = hold_hours(site)
        if hours <= 0:
            continue
        due = (
            Comment.objects.filter(
                story__site=site,
                status=Comment.Status.PENDING,
                created_at__lte=now - timedelta(hours=hours),
            )
            .exclude(has_statement)
            .select_related("story__site", "author")
            .order_by("created_at")[: limit - written]
        )
        for comment in due:
            if for_long_hold(comment, hours) is not None:
                written += 1
        if written >= limit:
            break
    return written


# --- what the author reads -------------------------------------------------------------------


def scope_and_duration(st: Statement) -> tuple[str, str]:
    """Where the decision applies and for how long (Art. 17(3)(a)), in words."""
    scope = f"{st.site.name} only: other sites using Civility are not affected."
    if st.decision == Decision.SUSPENSION:
        duration = f"until {st.until:%Y-%m-%d %H:%M} UTC" if st.until else "until lifted"
    elif st.decision == Decision.VISIBILITY:
        duration = "until a moderator decides"
    else:
        duration = "permanent, unless reversed on appeal"
    return scope, duration


def statement_dict(st: Statement, *, appeal: Appeal | None = None) -> dict[str, Any]:
    """A statement as its subject reads it (the widget, the e-mail, the data export)."""
    if appeal is None:
        appeal = getattr(st, "appeal", None) if _has_appeal_cached(st) else _appeal_of(st)
    now = timezone.now()
    in_force = still_stands(st)
    return {
        "id": st.pk,
        "site": st.site.slug,
        "site_name": st.site.name,
        "comment_id": st.comment_id,
        "decision": st.decision,
        "decision_label": Decision(st.decision).label,
        "until": st.until.isoformat() if st.until else None,
        "facts": st.facts,
        "scope": scope_and_duration(st)[0],
        "duration": scope_and_duration(st)[1],
        "text": st.text,
        "spans": st.spans,
        "ground": st.ground,
        "ground_label": GROUND_LABELS.get(st.ground, st.ground),
        "guideline": st.guideline,
        "explanation": st.explanation,
        "automated_detection": st.automated_detection,
        "automated_decision": st.automated_decision,
        "redress": st.redress,
        "appeal_until": st.appeal_until.isoformat() if st.appeal_until else None,
        # Undone, lifted or published again meanwhile: nothing left to appeal.
        "in_force": in_force,
        "withdrawn": st.withdrawn_at is not None,
        "can_appeal": bool(
            st.appeal_until and st.appeal_until > now and appeal is None and in_force
        ),
        "appeal": appeal_dict(appeal) if appeal is not None else None,
        "created_at": st.created_at.isoformat(),
    }


def _has_appeal_cached(st: Statement) -> bool:
    return "appeal" in st._state.fields_cache


def _appeal_of(st: Statement) -> Appeal | None:
    return Appeal.objects.filter(statement=st).first()


def appeal_dict(appeal: Appeal) -> dict[str, Any]:
    return {
        "id": appeal.pk,
        "status": appeal.status,
        "status_label": Appeal.Status(appeal.status).label,
        "text": appeal.text,
        "created_at": appeal.created_at.isoformat(),
        "decided_at": appeal.decided_at.isoformat() if appeal.decided_at else None,
        "outcome_reason": appeal.outcome_reason,
    }


def latest_for_comments(comment_ids: list[int]) -> dict[int, Statement]:
    """The newest statement of each comment (with its appeal), for the author's view."""
    out: dict[int, Statement] = {}
    rows = (
        Statement.objects.filter(comment_id__in=comment_ids)
        .select_related("site", "appeal")
        .order_by("created_at", "id")
    )
    for st in rows:
        assert st.comment_id is not None
        out[st.comment_id] = st
    return out


def user_statements(user: Any) -> list[Statement]:
    return list(
        Statement.objects.filter(user=user).select_related("site", "appeal").order_by("-id")
    )


# --- e-mail --------------------------------------------------------------------------------


def withdraw_undone(
    *,
    site_id: int,
    decision: str,
    since: datetime,
    comment_id: int | None = None,
    user_id: Any = None,
) -> list[int]:
    """Mark withdrawn the statements an undone decision wrote (those of its kind about its
    comment or account since the decision; the undo checked nothing changed meanwhile) and
    return their ids for the undo's audit entry. Call inside the undo's atomic()."""
    found = Statement.objects.filter(
        site_id=site_id, decision=decision, created_at__gte=since, withdrawn_at__isnull=True
    )
    found = found.filter(comment_id=comment_id) if comment_id is not None else found
    found = found.filter(user_id=user_id) if user_id is not None else found
    ids = list(found.values_list("pk", flat=True))
    Statement.objects.filter(pk__in=ids).update(withdrawn_at=timezone.now())
    return ids


def still_stands(st: Statement) -> bool:
    """Whether the decision is still in force (an undone one is not worth a message)."""
    if st.withdrawn_at is not None:
        return False
    if st.decision == Decision.SUSPENSION:
        if st.user_id is None:
            return False
        ban = SiteBan.objects.filter(site_id=st.site_id, user_id=st.user_id).first()
        return ban is not None and (ban.until is None or ban.until > timezone.now())
    if st.comment_id is None:
        return False
    status = Comment.objects.filter(pk=st.comment_id).values_list("status", flat=True).first()
    wanted = Comment.Status.REJECTED if st.decision == Decision.REMOVAL else Comment.Status.PENDING
    return status == wanted


def _address(user: Any) -> str:
    if user is None or getattr(user, "is_guest", False) or not user.is_active:
        return ""
    return str(user.email or "")


def statement_mail(st: Statement) -> tuple[str, str]:
    what = {
        Decision.REMOVAL: f"Your comment on {st.site.name} was removed",
        Decision.VISIBILITY: f"Your comment on {st.site.name} is held for review",
        Decision.SUSPENSION: f"Your account on {st.site.name} was suspended",
    }[Decision(st.decision)]
    lines = [
        f"{what}.",
        "",
        f"Decision: {Decision(st.decision).label}.",
        f"What happened: {st.facts}",
        "Applies to: {}; for how long: {}.".format(*scope_and_duration(st)),
    ]
    if st.text:
        lines += ["", "Your comment:", *("> " + line for line in st.text.splitlines())]
    if st.spans:
        lines.append(
            "The parts that were flagged: "
            + "; ".join(f"\u201c{s['text']}\u201d" for s in st.spans)
        )
    lines += [
        "",
        f"Ground: {st.guideline} ({GROUND_LABELS.get(st.ground, st.ground)})",
    ]
    if st.explanation:
        lines.append(f"The moderator's note: {st.explanation}")
    lines += [
        "Detected by automated means: " + ("yes" if st.automated_detection else "no") + ".",
        "Decided by automated means: "
        + ("yes" if st.automated_decision else "no, by a person")
        + ".",
        "",
        f"How to seek redress: {st.redress}",
    ]
    return what, "\n".join(lines) + "\n"


def _mail_allowed(user: Any) -> bool:
    """The reader's own choice, where the account has one: e-mail about moderators' decisions
    only to a confirmed address of a reader who asked for it (civility/accounts/notifications)."""
    if hasattr(user, "email_verified_at") and user.email_verified_at is None:
        return False
    return getattr(user, "notify_moderation", True) is not False


def _send(key: str, to: str, subject: str, body: str) -> str:
    from django.core.mail import send_mail

    if already_done(f"mail:{key}"):
        return "already sent"
    send_mail(subject, body, None, [to])
    mark_done(f"mail:{key}")
    return "sent"


@durable(queue="mail")
def notify_statement(statement_id: int) -> str:
    """E-mail a statement of reasons to its subject, once, if the decision still stands."""
    st = Statement.objects.select_related("site", "user").filter(pk=statement_id).first()
    if st is None:
        return "gone"
    to = _address(st.user)
    if not to:
        return "no address"
    if not _mail_allowed(st.user):
        return "opted out"
    if not still_stands(st):
        return "undone"
    subject, body = statement_mail(st)
    return _send(f"statement:{st.pk}", to, subject, body)


@durable(queue="mail")
def notify_appeal_outcome(appeal_id: int) -> str:
    """E-mail the author the outcome of their appeal, once."""
    appeal = Appeal.objects.select_related("statement__site", "author").filter(pk=appeal_id).first()
    if appeal is None or appeal.status == Appeal.Status.OPEN:
        return "not decided"
    to = _address(appeal.author)
    if not to:
        return "no address"
    if not _mail_allowed(appeal.author):
        return "opted out"
    site = appeal.statement.site
    reversed_ = appeal.status == Appeal.Status.REVERSED
    subject = f"Your appeal on {site.name}: " + (
        "the decision was reversed" if reversed_ else "the decision stands"
    )
    what = (
        "Your comment is published again."
        if reversed_ and appeal.statement.comment_id
        else "Your account may comment again."
        if reversed_
        else "The decision stays in force."
    )
    body = (
        f"A moderator of {site.name} who did not take the first decision reviewed your appeal.\n\n"
        f"Outcome: {Appeal.Status(appeal.status).label}. {what}\n"
        f"Reason: {appeal.outcome_reason}\n\n"
        "If you disagree, you may use an out-of-court dispute settlement body certified under"
        " Art. 21 of the EU Digital Services Act, or go to court.\n"
    )
    return _send(f"appeal:{appeal.pk}:{appeal.status}", to, subject, body)


# --- site-level export ------------------------------------------------------------------------

EXPORT_FIELDS = (
    "id",
    "created_at",
    "decision",
    "ground",
    "guideline",
    "automated_detection",
    "automated_decision",
    "decided_by",
    "comment_id",
    "user_id",
    "until",
    "facts",
    "explanation",
    "text",
    "spans",
    "appeal_until",
    "appeal_status",
    "appeal_decided_at",
    "appeal_outcome_reason",
    "withdrawn_at",
)


def export_rows(site: Site, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The site's statements decided in [start, end), for its own records and the DSA's
    database of statements."""
    rows = (
        Statement.objects.filter(site=site, created_at__gte=start, created_at__lt=end)
        .select_related("decided_by", "appeal")
        .order_by("created_at", "id")
    )
    out = []
    for st in rows:
        appeal = getattr(st, "appeal", None)
        out.append(
            {
                "id": st.pk,
                "created_at": st.created_at.isoformat(),
                "decision": st.decision,
                "ground": st.ground,
                "guideline": st.guideline,
                "automated_detection": st.automated_detection,
                "automated_decision": st.automated_decision,
                "decided_by": st.decided_by.get_username() if st.decided_by else "",
                "comment_id": st.comment_id,
                "user_id": st.user_id,
                "until": st.until.isoformat() if st.until else None,
                "facts": st.facts,
                "explanation": st.explanation,
                "text": st.text,
                "spans": st.spans,
                "appeal_until": st.appeal_until.isoformat() if st.appeal_until else None,
                "appeal_status": appeal.status if appeal else "",
                "appeal_decided_at": (
                    appeal.decided_at.isoformat() if appeal and appeal.decided_at else None
                ),
                "appeal_outcome_reason": appeal.outcome_reason if appeal else "",
                # Undone by the moderator at once: kept in the site's records, marked.
                "withdrawn_at": st.withdrawn_at.isoformat() if st.withdrawn_at else None,
            }
        )
    return out


# --- the site's guidelines page ----------------------------------------------------------------


def update_guidelines(actor: Any, site: Site, data: Any) -> Site:
    """Set the site's guideline sentence for each ground code (blank: our default) and its
    hold time. Statements already written keep the sentence they cited."""
    from civility.errors import Refused
    from civility.moderation.permissions import require_admin

    require_admin(actor, site)
    own: dict[str, str] = {}
    for code, default in GROUND_GUIDELINES.items():
        text = " ".join(str(data.get(f"guideline_{code}", "") or "").split())
        if len(text) > MAX_GUIDELINE:
            raise Refused(
                "too_long", f"The guideline for {GROUND_LABELS[code]} is over {MAX_GUIDELINE}."
            )
        if text and text != default:
            own[code] = text
    raw_hours = str(data.get("statement_hold_hours", "") or "").strip()
    try:
        hours = float(raw_hours) if raw_hours else None
    except ValueError:
        raise Refused("bad_hours", "The hold time is a number of hours.") from None
    if hours is not None and not 1 <= hours <= 24 * 30:
        raise Refused("bad_hours", "The hold time is 1 to 720 hours.")
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site.pk)
        before = dict(site.settings or {})
        settings_ = dict(before)
        settings_["guidelines"] = own
        if hours is None:
            settings_.pop("statement_hold_hours", None)
        else:
            settings_["statement_hold_hours"] = hours
        site.settings = settings_
        site.save(update_fields=["settings"])
        record(
            "site.guidelines",
            site=site,
            actor=actor,
            data={
                "changed": sorted(
                    c
                    for c in GROUND_GUIDELINES
                    if (before.get("guidelines") or {}).get(c) != own.get(c)
                ),
                "statement_hold_hours": hours,
            },
        )
    return site
