"""Story, thread, comment, reaction, report and count endpoints used by the widget."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from civility.api.auth import bearer, created, optional_user
from civility.clientip import client_ip
from civility.comments import actions, queries
from civility.comments.models import Comment, Site, Story
from civility.comments.serialize import comment_dict
from civility.db.lookups import fetch_one
from civility.errors import Refused

router = Router(tags=["comments"])

# Bodies beyond this are refused before any parsing work (the site limit is checked later).
HARD_MAX_BODY = 100_000


class StoryIn(Schema):
    site: str
    url: str
    title: str = ""


class CommentIn(Schema):
    body: str
    parent_id: int | None = None


class EditIn(Schema):
    body: str


class ReactionIn(Schema):
    kind: str = "like"


class ReportIn(Schema):
    reason: str
    message: str = ""


class CountsIn(Schema):
    site: str
    urls: list[str]


class ThreadQuery(Schema):
    sort: str = "newest"
    offset: int = 0
    limit: int = 50


def _story(story_id: int) -> Story:
    # Two primary-key lookups without the ORM's compiler: this runs on every write.
    story = fetch_one(Story, pk=story_id)
    site = fetch_one(Site, pk=story.site_id) if story is not None else None
    if story is None or site is None:
        raise Refused("unknown_story", f"There is no story {story_id}.", 404)
    story.site = site
    return story


def _comment(comment_id: int) -> Comment:
    comment = Comment.objects.select_related("story__site", "author").filter(pk=comment_id).first()
    if comment is None:
        raise Refused("unknown_comment", f"There is no comment {comment_id}.", 404)
    return comment


def story_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.pk,
        "site": story.site.slug,
        "url": story.url,
        "title": story.title,
        "closed": story.closed,
    }


@router.post("/stories")
def resolve_story(request: HttpRequest, payload: StoryIn) -> dict[str, Any]:
    """The story for an article URL; created on first use if the URL's origin is allowed."""
    site = actions.get_site(payload.site)
    return story_dict(actions.get_or_create_story(site, payload.url, payload.title))


@router.get("/stories/{story_id}")
def get_story(request: HttpRequest, story_id: int) -> dict[str, Any]:
    return story_dict(_story(story_id))


@router.get("/stories/{story_id}/comments")
def thread(request: HttpRequest, story_id: int, q: Query[ThreadQuery]) -> HttpResponse:
    if q.sort not in queries.SORTS:
        raise Refused("bad_sort", f"sort must be one of {', '.join(sorted(queries.SORTS))}.")
    if q.offset < 0 or not 1 <= q.limit <= queries.MAX_PAGE:
        raise Refused("bad_page", f"offset must be >= 0 and limit 1..{queries.MAX_PAGE}.")
    story = Story.objects.filter(pk=story_id).only("id", "url", "title", "closed").first()
    if story is None:
        raise Refused("unknown_story", f"There is no story {story_id}.", 404)
    data = queries.thread_page(story, q.sort, q.offset, q.limit)
    return HttpResponse(data, content_type="application/json")


@router.get("/comments/{comment_id}/thread")
def continue_thread(request: HttpRequest, comment_id: int) -> dict[str, Any]:
    node = queries.subtree(_comment(comment_id))
    if node is None:
        raise Refused("unknown_comment", f"There is no comment {comment_id}.", 404)
    return {"comment": node, "max_depth": queries.MAX_DEPTH}


@router.get("/stories/{story_id}/me")
def my_view(request: HttpRequest, story_id: int) -> dict[str, Any]:
    """What only this reader sees: their held and rejected comments and what they reacted to."""
    story = _story(story_id)
    user = optional_user(request)
    if user is None:
        return {"user": None, "pending": [], "rejected": [], "reacted": []}
    own = (
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

    return {
        "user": author_dict(user),
        "pending": [comment_dict(c) for c in own if c.status == Comment.Status.PENDING],
        # Only the author learns why: the reason is not part of the public comment shape.
        "rejected": [
            {**comment_dict(c), "rejection_reason": c.rejection_reason}
            for c in own
            if c.status == Comment.Status.REJECTED
        ],
        "reacted": list(reacted),
    }


def _posted(comment: Comment) -> dict[str, Any]:
    messages = {
        Comment.Status.APPROVED: "Published.",
        Comment.Status.PENDING: "Your comment is awaiting moderation.",
        Comment.Status.REJECTED: "Your comment was rejected.",
    }
    return {
        "comment": comment_dict(comment),
        "message": messages.get(comment.status, ""),  # type: ignore[call-overload]
        "reasons": [r.get("message", "") for r in comment.moderation_reasons],
    }


def create_comment(
    story_id: int, author: Any, body: str, parent_id: int | None, ip: str
) -> dict[str, Any]:
    """POST /stories/{id}/comments, once parsed and authenticated; raises Refused.

    The ninja view below calls this.
    """
    if len(body) > HARD_MAX_BODY:
        raise Refused("too_long", "The comment is far over the length limit.")
    comment = actions.post_comment(
        story=_story(story_id), author=author, body=body, parent_id=parent_id, ip=ip
    )
    return _posted(comment)


@router.post("/stories/{story_id}/comments", auth=bearer, response={201: dict})
def post_comment(request: HttpRequest, story_id: int, payload: CommentIn) -> Any:
    author = request.auth  # type: ignore[attr-defined]
    ip = client_ip(request.META)
    return created(create_comment(story_id, author, payload.body, payload.parent_id, ip))


@router.patch("/comments/{comment_id}", auth=bearer)
def edit_comment(request: HttpRequest, comment_id: int, payload: EditIn) -> dict[str, Any]:
    if len(payload.body) > HARD_MAX_BODY:
        raise Refused("too_long", "The comment is far over the length limit.")
    comment = actions.edit_comment(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
        body=payload.body,
    )
    return _posted(comment)


@router.delete("/comments/{comment_id}", auth=bearer)
def delete_comment(request: HttpRequest, comment_id: int) -> dict[str, Any]:
    comment = actions.delete_comment(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
    )
    return {"comment": comment_dict(comment)}


@router.post("/comments/{comment_id}/reactions", auth=bearer)
def react(request: HttpRequest, comment_id: int, payload: ReactionIn) -> dict[str, Any]:
    reacted, count = actions.toggle_reaction(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
        kind=payload.kind,
    )
    return {"comment_id": comment_id, "reacted": reacted, "reaction_count": count}


@router.post("/comments/{comment_id}/reports", auth=bearer, response={201: dict})
def report(request: HttpRequest, comment_id: int, payload: ReportIn) -> Any:
    rep = actions.report_comment(
        comment=_comment(comment_id),
        user=request.auth,  # type: ignore[attr-defined]
        reason=payload.reason,
        message=payload.message,
    )
    return created({"report_id": rep.pk, "message": "Thank you; a moderator will look at it."})


@router.post("/counts")
def counts(request: HttpRequest, payload: CountsIn) -> dict[str, Any]:
    if len(payload.urls) > 200:
        raise Refused("too_many_urls", "Ask for at most 200 URLs at once.")
    site = actions.get_site(payload.site)
    return {"counts": queries.counts(site.pk, payload.urls)}


@router.get("/counts")
def counts_get(request: HttpRequest, site: str, url: Query[list[str]]) -> HttpResponse:
    """Counts for count.js on the publisher's listing pages: a simple cross-origin GET (no
    preflight), answered with CORS headers for the site's allowed origins only."""
    if len(url) > 200:
        raise Refused("too_many_urls", "Ask for at most 200 URLs at once.")
    the_site = actions.get_site(site)
    data = json.dumps({"counts": queries.counts(the_site.pk, url)})
    response = HttpResponse(data, content_type="application/json")
    origin = request.headers.get("Origin", "")
    if origin and actions.origin_allowed(the_site, origin):
        response["Access-Control-Allow-Origin"] = origin
    response["Vary"] = "Origin"
    return response
