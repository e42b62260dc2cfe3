"""Story, thread, comment, reaction, report and count endpoints used by the widget."""

from __future__ import annotations

import json
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from ninja import Field, Query, Router, Schema

from civility.api.auth import OPTIONAL_BEARER, bearer, created, optional_user
from civility.api.schemas import (
    NOT_BLANK,
    WHITESPACE,
    CheckOut,
    CountsOut,
    DeletedCommentOut,
    FeaturedOut,
    Id,
    MaxItems,
    MyViewOut,
    Number,
    OneOf,
    PostedOut,
    ReactedOut,
    ReaderProfileOut,
    ReportedOut,
    StoryOut,
    SubtreeOut,
    Text,
    ThreadPageOut,
    answers,
)
from civility.clientip import client_ip
from civility.comments import actions, queries
from civility.comments.models import Comment, Report, Story, body_digest
from civility.comments.serialize import comment_dict
from civility.db.lookups import fetch_joined
from civility.errors import Refused
from civility.moderation import dsa
from civility.moderation.bans import ban_rows
from civility.moderation.models import Statement
from civility.moderation.pipeline import duplicate_rows
from civility.moderation.rules import word_rules_rows
from civility.verdicts import REJECT, editable, reader_reasons
from civility.webhooks.outbox import active_endpoints_rows

router = Router(tags=["comments"])

# Bodies beyond this are refused before any parsing work (the site limit is checked later).
HARD_MAX_BODY = 100_000
TOO_LONG = ("too_long", gettext_lazy("The comment is far over the length limit."))
BODY = Text(
    max_length=HARD_MAX_BODY,
    too_long=TOO_LONG,
    pattern=NOT_BLANK,
    mismatch=("empty", gettext_lazy("The comment is empty.")),
    description="Plain text with light markup; not blank. At most the site's own limit (5,000"
    f" characters unless the site sets another: 400 too_long), never over {HARD_MAX_BODY:,}.",
)
# The story URL: an absolute http(s) URL (what comments.actions.normalize_url accepts; its host
# spelled in ASCII, so that no URL parser can choke on it).
STORY_URL = (
    r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9._~%!$&'()*+,;=:@-]+" + f"(?:[/?#][^{WHITESPACE}]*)?$"
)
MAX_URLS = 200
URLS = MaxItems(MAX_URLS, "too_many_urls", f"Ask for at most {MAX_URLS} URLs at once.")
PAGE = f"offset must be >= 0 and limit 1..{queries.MAX_PAGE}."


class StoryIn(Schema):
    site: str = Field(description="The site's slug.", examples=["news"])
    url: Annotated[
        str,
        Text(
            max_length=1000,
            too_long=("bad_url", gettext_lazy("The story URL must be an absolute http(s) URL.")),
            pattern=STORY_URL,
            mismatch=("bad_url", gettext_lazy("The story URL must be an absolute http(s) URL.")),
            description="The article's URL; its origin must be one the site allows (else 403).",
        ),
    ]
    title: str = ""


class CommentIn(Schema):
    body: Annotated[str, BODY]
    parent_id: Id | None = Field(None, description="The published comment this one replies to.")


class EditIn(Schema):
    body: Annotated[str, BODY]


class ReactionIn(Schema):
    kind: Annotated[
        str, OneOf(actions.REACTION_KINDS, "bad_reaction", gettext_lazy("Unknown reaction kind."))
    ] = "like"


class ReportIn(Schema):
    reason: Annotated[
        str,
        OneOf(
            Report.Reason.values,
            "bad_reason",
            f"Unknown report reason; use one of {', '.join(Report.Reason.values)}.",
        ),
    ]
    message: Annotated[
        str,
        Text(
            max_length=500,
            too_long=(
                "too_long",
                gettext_lazy("The report message is longer than 500 characters."),
            ),
        ),
    ] = ""


class CountsIn(Schema):
    site: str = Field(description="The site's slug.", examples=["news"])
    urls: Annotated[list[str], URLS]


class CountsQuery(Schema):
    site: str = Field(description="The site's slug.", examples=["news"])
    url: Annotated[list[str], URLS]


class ThreadQuery(Schema):
    sort: Annotated[
        str,
        OneOf(
            queries.SORTS, "bad_sort", f"sort must be one of {', '.join(sorted(queries.SORTS))}."
        ),
    ] = "newest"
    offset: Annotated[int, Number("bad_page", PAGE, minimum=0)] = 0
    limit: Annotated[int, Number("bad_page", PAGE, minimum=1, maximum=queries.MAX_PAGE)] = 50


def _story(story_id: int) -> Story:
    # The story and its site in one query without the ORM's compiler: this runs on every write.
    story = fetch_joined(Story, "site", story_id)
    if story is None:
        raise Refused("unknown_story", _("There is no story %(id)s.") % {"id": story_id}, 404)
    return story


# What a post checks about its story and site, read with them (`_story_to_post`).
_POST_ROWS = (word_rules_rows(), active_endpoints_rows(), ban_rows(), duplicate_rows())


def _story_to_post(story_id: int, author: Any, body: str) -> Story:
    """The story and its site, with what a post checks about them (the site's word rules, active
    webhooks, the author's ban there, the author's comments on the story with the same body) in
    the same query: four round trips less a post."""
    story = fetch_joined(
        Story,
        "site",
        story_id,
        rows=_POST_ROWS,
        params={"user": author, "author": author, "body_digest": body_digest(body.strip())},
    )
    if story is None:
        raise Refused("unknown_story", _("There is no story %(id)s.") % {"id": story_id}, 404)
    return story


def _comment(comment_id: int) -> Comment:
    comment = Comment.objects.select_related("story__site", "author").filter(pk=comment_id).first()
    if comment is None:
        raise Refused("unknown_comment", _("There is no comment %(id)s.") % {"id": comment_id}, 404)
    return comment


def story_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.pk,
        "site": story.site.slug,
        "url": story.url,
        "title": story.title,
        "closed": story.closed,
    }


@router.post("/stories", response=answers({200: StoryOut}, 400, 403, 404, 413, 503))
def resolve_story(request: HttpRequest, payload: StoryIn) -> dict[str, Any]:
    """The story for an article URL; created on first use if the URL's origin is allowed."""
    site = actions.get_site(payload.site)
    return story_dict(actions.get_or_create_story(site, payload.url, payload.title))


@router.get("/stories/{story_id}", response=answers({200: StoryOut}, 400, 404))
def get_story(request: HttpRequest, story_id: Id) -> dict[str, Any]:
    return story_dict(_story(story_id))


@router.get("/stories/{story_id}/comments", response=answers({200: ThreadPageOut}, 400, 404))
def thread(request: HttpRequest, story_id: Id, q: Query[ThreadQuery]) -> HttpResponse:
    """One page of the story's published thread: top-level comments with their replies."""
    story = Story.objects.filter(pk=story_id).only("id", "url", "title", "closed").first()
    if story is None:
        raise Refused("unknown_story", _("There is no story %(id)s.") % {"id": story_id}, 404)
    data = queries.thread_page(story, q.sort, q.offset, q.limit)
    return HttpResponse(data, content_type="application/json")


@router.get("/comments/{comment_id}/thread", response=answers({200: SubtreeOut}, 400, 404))
def continue_thread(request: HttpRequest, comment_id: Id) -> dict[str, Any]:
    node = queries.subtree(_comment(comment_id))
    if node is None:
        raise Refused("unknown_comment", _("There is no comment %(id)s.") % {"id": comment_id}, 404)
    return {"comment": node, "max_depth": queries.MAX_DEPTH}


@router.get(
    "/stories/{story_id}/me",
    response=answers({200: MyViewOut}, 400, 404),
    openapi_extra=OPTIONAL_BEARER,
)
def my_view(request: HttpRequest, story_id: Id) -> dict[str, Any]:
    """What only this reader sees: their held and rejected comments and what they reacted to."""
    story = _story(story_id)
    user = optional_user(request)
    if user is None:
        return {"user": None, "pending": [], "rejected": [], "reacted": []}
    own = list(
        Comment.objects.filter(
            story=story,
            author=user,
            status__in=[Comment.Status.PENDING, Comment.Status.REJECTED],
        )
        .select_related("author")
        .order_by("created_at")
    )
    reacted = Comment.objects.filter(story=story, reactions__user=user).values_list("id", flat=True)
    from civility.comments.serialize import author_dict

    statements = dsa.latest_for_comments([c.pk for c in own])

    return {
        "user": author_dict(user),
        # Only the author learns why, in plain words (civility.verdicts): never scores.
        "pending": [_own(c, statements) for c in own if c.status == Comment.Status.PENDING],
        "rejected": [
            {**_own(c, statements), "rejection_reason": c.rejection_reason}
            for c in own
            if c.status == Comment.Status.REJECTED
        ],
        "reacted": list(reacted),
    }


def _own(comment: Comment, statements: dict[int, Any] | None = None) -> dict[str, Any]:
    """A comment as its author sees it: with the plain-language reasons it was held or
    rejected (a rejection by the checks: their reasons; by a moderator: rejection_reason), and
    the statement of reasons of a rejected or long-held comment (the widget's "Why?")."""
    reasons = comment.moderation_reasons or []
    if comment.status == Comment.Status.REJECTED:
        plain = reader_reasons(reasons, only=REJECT)
    elif comment.status == Comment.Status.PENDING:
        plain = reader_reasons(reasons)
    else:
        plain = []
    if statements is None and comment.status in (Comment.Status.PENDING, Comment.Status.REJECTED):
        statements = dsa.latest_for_comments([comment.pk])
    st = (statements or {}).get(comment.pk)
    wanted = {
        Comment.Status.REJECTED: Statement.Decision.REMOVAL,
        Comment.Status.PENDING: Statement.Decision.VISIBILITY,
    }.get(comment.status)  # type: ignore[call-overload]
    statement = dsa.statement_dict(st) if st is not None and st.decision == wanted else None
    return {**comment_dict(comment), "reasons": plain, "statement": statement}


def _posted(comment: Comment) -> dict[str, Any]:
    messages = {
        Comment.Status.APPROVED: _("Published."),
        Comment.Status.PENDING: _("Your comment is awaiting moderation."),
        Comment.Status.REJECTED: _("Your comment was rejected."),
    }
    # A comment held on its way in has no statement yet (a long hold gets one hours later, from
    # a worker's sweep): only a rejection by the checks has one to look up.
    own = _own(comment, None if comment.status == Comment.Status.REJECTED else {})
    return {
        "comment": own,
        "message": messages.get(comment.status, ""),  # type: ignore[call-overload]
        "reasons": own["reasons"],
    }


def create_comment(
    story_id: int, author: Any, body: str, parent_id: int | None, ip: str
) -> dict[str, Any]:
    """POST /stories/{id}/comments, once parsed and authenticated; raises Refused.

    The ninja view below calls this.
    """
    if len(body) > HARD_MAX_BODY:
        raise Refused(TOO_LONG[0], str(TOO_LONG[1]))
    comment = actions.post_comment(
        story=_story_to_post(story_id, author, body),
        author=author,
        body=body,
        parent_id=parent_id,
        ip=ip,
    )
    return _posted(comment)


@router.post(
    "/stories/{story_id}/comments",
    auth=bearer,
    response=answers({201: PostedOut}, 400, 401, 403, 404, 409, 413, 429, 503),
)
def post_comment(request: HttpRequest, story_id: Id, payload: CommentIn) -> Any:
    author = request.auth  # type: ignore[attr-defined]
    ip = client_ip(request.META)
    return created(create_comment(story_id, author, payload.body, payload.parent_id, ip))


class CheckIn(Schema):
    body: Annotated[str, Text(max_length=HARD_MAX_BODY, too_long=TOO_LONG)]
    parent_id: Id | None = None


# Dry runs score the text: a reader may ask this often, but not without bound.
CHECKS_PER_MINUTE = 30


@router.post(
    "/stories/{story_id}/comments/check",
    auth=bearer,
    response=answers({200: CheckOut}, 400, 401, 404, 413, 429),
)
def check_comment(request: HttpRequest, story_id: Id, payload: CheckIn) -> dict[str, Any]:
    """The "are you sure?" nudge and the preview: what the content checks would say about this
    text (`decide(..., dry_run=True)`: nothing stored, no rate-limit hit), in plain words, and
    the comment as it would render. Never scores or thresholds."""
    from civility.comments.render import render
    from civility.moderation.pipeline import Submission, decide
    from civility.ratelimit import count_hits, seconds_left

    user = request.auth  # type: ignore[attr-defined]
    story = _story(story_id)
    if count_hits([f"rl:check:{story.site_id}:{user.pk}"], 60)[0] > CHECKS_PER_MINUTE:
        raise Refused(
            "rate_limited",
            "Too many checks; try again in a minute.",
            429,
            retry_after=seconds_left(60),
        )
    parent = _comment(payload.parent_id) if payload.parent_id else None
    if not payload.body.strip():
        return {
            "action": "approve",
            "held": False,
            "rejected": False,
            "reasons": [],
            "nudge": False,
            "html": "",
        }
    # Stripped as a post is (comments.actions.post_comment): the nudge judges the text the post
    # would store, and the post reuses the score (moderation.scoring keeps it briefly).
    body = payload.body.strip()
    decision = decide(Submission(story.site, body, story, user, parent), dry_run=True)
    action = str(decision.action)
    return {
        "action": action,
        "held": action == "hold",
        "rejected": action == "reject",
        "reasons": reader_reasons(decision.reasons),
        # Offer to edit only when editing could change the outcome.
        "nudge": action != "approve" and editable(decision.reasons),
        "html": render(payload.body),
    }


@router.get("/stories/{story_id}/featured", response=answers({200: FeaturedOut}, 400, 404))
def featured(request: HttpRequest, story_id: Id) -> dict[str, Any]:
    """The story's featured comments (the widget's Featured tab), newest first."""
    story = _story(story_id)
    rows = (
        Comment.objects.filter(story=story, featured=True, status=Comment.Status.APPROVED)
        .select_related("author")
        .order_by("-created_at")[:100]
    )
    return {"comments": [comment_dict(c) for c in rows]}


@router.get(
    "/stories/{story_id}/readers/{user_id}",
    response=answers({200: ReaderProfileOut}, 400, 404),
    openapi_extra=OPTIONAL_BEARER,
)
def reader_profile(request: HttpRequest, story_id: Id, user_id: Id) -> dict[str, Any]:
    """A reader's profile on this story's site: their published comments (newest first); the
    reader themselves also sees their held and rejected ones ("My comments")."""
    from civility.accounts.models import User
    from civility.comments.serialize import author_dict

    story = _story(story_id)
    who = User.objects.filter(pk=user_id, is_active=True).first()
    if who is None:
        raise Refused("unknown_reader", _("There is no such reader."), 404)
    viewer = optional_user(request)
    itself = viewer is not None and viewer.pk == who.pk
    shown = [Comment.Status.APPROVED]
    if itself:
        shown += [Comment.Status.PENDING, Comment.Status.REJECTED]
    mine = Comment.objects.filter(author=who, story__site_id=story.site_id, status__in=shown)
    rows = list(mine.select_related("author", "story").order_by("-created_at")[:50])
    statements = dsa.latest_for_comments([c.pk for c in rows]) if itself else {}
    return {
        "user": author_dict(who),
        "joined": who.date_joined.isoformat(),
        "own": itself,
        "count": mine.filter(status=Comment.Status.APPROVED).count(),
        "comments": [
            {
                **_own(c, statements),
                "story": {"id": c.story_id, "title": c.story.title, "url": c.story.url},
            }
            for c in rows
        ],
    }


@router.patch(
    "/comments/{comment_id}",
    auth=bearer,
    response=answers({200: PostedOut}, 400, 401, 403, 404, 409, 413, 503),
)
def edit_comment(request: HttpRequest, comment_id: Id, payload: EditIn) -> dict[str, Any]:
    """Edit one's own comment within the site's edit window; it is decided again."""
    comment = actions.edit_comment(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
        body=payload.body,
    )
    return _posted(comment)


@router.delete(
    "/comments/{comment_id}",
    auth=bearer,
    response=answers({200: DeletedCommentOut}, 400, 401, 403, 404, 409, 503),
)
def delete_comment(request: HttpRequest, comment_id: Id) -> dict[str, Any]:
    comment = actions.delete_comment(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
    )
    return {"comment": comment_dict(comment)}


@router.post(
    "/comments/{comment_id}/reactions",
    auth=bearer,
    response=answers({200: ReactedOut}, 400, 401, 404, 409, 413, 429, 503),
)
def react(request: HttpRequest, comment_id: Id, payload: ReactionIn) -> dict[str, Any]:
    reacted, count = actions.toggle_reaction(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
        kind=payload.kind,
    )
    return {"comment_id": comment_id, "reacted": reacted, "reaction_count": count}


@router.post(
    "/comments/{comment_id}/reports",
    auth=bearer,
    response=answers({201: ReportedOut}, 400, 401, 403, 404, 409, 413, 503),
)
def report(request: HttpRequest, comment_id: Id, payload: ReportIn) -> Any:
    """Report a published comment of someone else's to the site's moderators."""
    user = request.auth  # type: ignore[attr-defined]
    comment = _comment(comment_id)
    if comment.author_id == user.pk:  # a well-formed request the reader may not make
        raise Refused("own_comment", _("You cannot report your own comment."), 403)
    rep = actions.report_comment(
        comment=comment,
        user=user,
        reason=payload.reason,
        message=payload.message,
    )
    return created({"report_id": rep.pk, "message": _("Thank you; a moderator will look at it.")})


@router.post("/counts", response=answers({200: CountsOut}, 400, 404, 413))
def counts(request: HttpRequest, payload: CountsIn) -> dict[str, Any]:
    """Published-comment counts for up to 200 article URLs of a site."""
    site = actions.get_site(payload.site)
    return _counted(queries.counts(site.pk, payload.urls))


def _counted(counts: dict[str, int]) -> dict[str, Any]:
    """Counts, and the same in words in the request's language (count.js shows these)."""
    labels = {
        url: ngettext("%(count)s comment", "%(count)s comments", n) % {"count": n}
        for url, n in counts.items()
    }
    return {"counts": counts, "labels": labels}


@router.get("/counts", response=answers({200: CountsOut}, 400, 404))
def counts_get(request: HttpRequest, q: Query[CountsQuery]) -> HttpResponse:
    """Counts for count.js on the publisher's listing pages: a simple cross-origin GET (no
    preflight), answered with CORS headers for the site's allowed origins only."""
    the_site = actions.get_site(q.site)
    data = json.dumps(_counted(queries.counts(the_site.pk, q.url)))
    response = HttpResponse(data, content_type="application/json")
    origin = request.headers.get("Origin", "")
    if origin and actions.origin_allowed(the_site, origin):
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin, Accept-Language"
    return response
