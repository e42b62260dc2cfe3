"""The one decision function: every new or edited comment passes through `decide()` once, and
the Coral hook and the "are you sure?" nudge ask it in a dry run.

A check either *refuses* the submission (raise `Refused`: nothing is stored, the client gets a 4xx
with the reason) or *votes* approve / hold / reject with reasons. The strictest vote wins. Checks
run in `CHECKS` order. A dry run (`decide(sub, dry_run=True)`) runs only the checks about the
text itself (`content=True`: links, word rules, the language, the model) and writes nothing, not
even a rate-limit hit.

If a check crashes (model missing, timeout), the comment is held with the reason the check gives
in `fail_reason`: an accepted comment is never lost and never silently approved.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from civility.db.lookups import RowsOf, rows_for
from civility.errors import Refused
from civility.ratelimit import count_hits, seconds_left
from civility.verdicts import APPROVE, HOLD, Verdict, Vote, strictest

log = logging.getLogger(__name__)

LINK_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S+")

__all__ = ["APPROVE", "HOLD", "Decision", "Refused", "Submission", "decide"]


@dataclass
class Submission:
    site: Any
    body: str
    story: Any = None
    author: Any = None
    parent: Any = None
    ip_hash: str = ""
    editing: Any = None  # the Comment being edited, if any


@dataclass
class Decision:
    action: Verdict
    reasons: list[dict[str, Any]]
    scores: dict[str, Any] = field(default_factory=dict)
    # Set when the model's score had not arrived: the comment is stored held and decided when
    # this future completes (civility.comments.actions.apply_late_score).
    pending_score: Future[dict[str, Any]] | None = None


@dataclass
class Check:
    name: str
    run: Callable[[Submission, dict[str, Any]], list[Vote]]
    # Set for checks that may fail at run time (the model): a crash holds the comment.
    fail_reason: str | None = None
    # Checks about the text alone; the only ones a dry run makes.
    content: bool = False


# --- checks -------------------------------------------------------------------------------------


def check_author(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    from civility.moderation.bans import standing

    status = standing(sub.site, sub.author)
    if status["banned"]:
        raise Refused("banned", _("You are banned from commenting on this site."), 403)
    if status["suspended_until"] is not None:
        until = status["suspended_until"].strftime("%Y-%m-%d %H:%M UTC")
        raise Refused(
            "suspended",
            _("You are suspended from commenting until %(until)s.") % {"until": until},
            403,
        )
    return []


def check_story(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    if sub.story.closed:
        raise Refused("story_closed", _("Comments on this story are closed."), 403)
    return []


def check_body(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    body = sub.body.strip()
    if not body:
        raise Refused("empty", _("The comment is empty."))
    limit = sub.site.max_comment_length
    if len(body) > limit:
        raise Refused(
            "too_long",
            _("The comment is %(length)s characters; the limit is %(limit)s.")
            % {"length": len(body), "limit": limit},
        )
    return []


def check_links(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    links = len(LINK_RE.findall(sub.body))
    if links > sub.site.max_links:
        return [Vote(HOLD, "too_many_links", f"{links} links (limit {sub.site.max_links})", {})]
    return []


def check_rate_limit(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    """Per reader and, separately and larger, per address: one address can be a whole
    newsroom behind NAT or everyone behind a proxy (see civility/clientip.py)."""
    if sub.editing is not None:
        return []
    minute = int(timezone.now().timestamp() // 60)
    user_limit, ip_limit = sub.site.rate_limit_per_minute, sub.site.ip_rate_limit_per_minute
    keys = [f"rl:u:{sub.site.id}:{sub.author.id}:{minute}"]
    if sub.ip_hash:
        keys.append(f"rl:ip:{sub.site.id}:{sub.ip_hash}:{minute}")
    counts = count_hits(keys, 60)
    if counts[0] > user_limit:
        raise Refused(
            "rate_limited",
            _("Too many comments: at most %(limit)s per minute.") % {"limit": user_limit},
            429,
            retry_after=seconds_left(60),
        )
    if len(counts) > 1 and counts[1] > ip_limit:
        raise Refused(
            "rate_limited",
            _("Too many comments from your network: at most %(limit)s per minute.")
            % {"limit": ip_limit},
            429,
            retry_after=seconds_left(60),
        )
    return []


def duplicate_rows() -> RowsOf:
    """The author's comments on a story with the same body digest (RowsOf's params: author,
    body_digest), read with the story where a post reads it."""
    from civility.comments.models import Comment

    return RowsOf(
        "fetched_same_body",
        Comment,
        "story",
        ("id", "body", "created_at", "status"),
        params=("author", "body_digest"),
        of_row=True,
    )


def check_duplicate(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    from civility.comments.models import Comment, body_digest

    body = sub.body.strip()
    # Only equality on the (author, story, body_digest) index in SQL: with a created_at range
    # too, SQLite picks the (author, created_at) index and reads all of the author's recent
    # comments. The few rows sharing the digest are checked here.
    same = rows_for(sub.story, duplicate_rows(), author=sub.author, body_digest=body_digest(body))
    since = timezone.now() - timedelta(hours=24)
    editing = sub.editing.pk if sub.editing is not None else None
    for pk, earlier, created_at, status in same:
        if (
            earlier == body
            and created_at >= since
            and status != Comment.Status.DELETED
            and pk != editing
        ):
            raise Refused("duplicate", _("You already posted this comment on this story."), 409)
    return []


def check_premoderation(sub: Submission, state: dict[str, Any]) -> list[Vote]:
    from civility.comments.models import Comment, Site

    mode = sub.site.premoderation
    if mode == Site.PreModeration.ALL:
        return [Vote(HOLD, "premoderation", "This site reviews every comment before publishing.")]
    if mode == Site.PreModeration.NEW:
        approved = Comment.objects.filter(
            author=sub.author, story__site=sub.site, status=Comment.Status.APPROVED
        ).count()
        if approved < sub.site.new_commenter_threshold:
            return [
                Vote(
                    HOLD,
                    "new_commenter",
                    f"New commenters' first {sub.site.new_commenter_threshold} comment(s) are"
                    " reviewed before publishing.",
                )
            ]
    return []


CHECKS: list[Check] = [
    Check("author", check_author),
    Check("story", check_story),
    Check("body", check_body),
    Check("links", check_links, content=True),
    Check("rate_limit", check_rate_limit),
    Check("duplicate", check_duplicate),
    Check("premoderation", check_premoderation),
    # Word rules (civility.moderation.rules) and the model (civility.moderation.model_check)
    # are appended here by their modules' owners.
]

# Moderation: site word rules (banned -> reject, suspect -> hold), the language (one the model
# does not read is held or published unscored, per site, and not scored), then the scoring model
# with per-site thresholds; a crash or timeout of any of them holds the comment.
from civility.moderation.model_check import (  # noqa: E402
    check_language,
    check_model,
    check_word_rules,
)

CHECKS += [
    Check("word_rules", check_word_rules, fail_reason="word rules unavailable", content=True),
    Check("language", check_language, fail_reason="language check unavailable", content=True),
    Check("model", check_model, fail_reason="scoring unavailable", content=True),
]


def decide(sub: Submission, *, dry_run: bool = False) -> Decision:
    """Run every check (a dry run: the content checks only); raise Refused, or return the
    strictest vote with all reasons."""
    votes: list[Vote] = []
    # Checks may leave data for later ones (e.g. model scores).
    state: dict[str, Any] = {"dry_run": dry_run}
    for check in CHECKS:
        if dry_run and not check.content:
            continue
        try:
            votes.extend(check.run(sub, state))
        except Refused:
            raise
        except Exception:
            if check.fail_reason is None:
                raise
            log.exception("check %s failed; holding the comment", check.name)
            votes.append(Vote(HOLD, f"{check.name}_unavailable", check.fail_reason))
    return Decision(
        strictest(v.action for v in votes),
        [v.as_reason() for v in votes],
        state.get("scores", {}),
        state.get("pending_score"),
    )
