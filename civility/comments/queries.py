"""Reading threads: the nested tree of approved comments, pages of it, and comment counts."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.core.cache import cache
from django.db.models import Count

from civility.comments import cache as thread_cache
from civility.comments.models import Comment, Story
from civility.comments.serialize import DELETED_TEXT

SORTS = {"newest", "oldest", "reactions"}
# Replies nested deeper than this are cut; the client shows "continue thread" and fetches the rest.
MAX_DEPTH = 6
MAX_PAGE = 500

_FIELDS = (
    "id",
    "parent_id",
    "depth",
    "status",
    "html",
    "created_at",
    "edited",
    "reaction_count",
    "featured",
    "author_id",
    "author__username",
    "author__display_name",
    "author__badges",
    "author__profile_url",
    "author__is_guest",
)


def _node(row: dict[str, Any]) -> dict[str, Any]:
    deleted = row["status"] == Comment.Status.DELETED
    return {
        "id": row["id"],
        "parent_id": row["parent_id"],
        "depth": row["depth"],
        "status": row["status"],
        "author": None
        if deleted
        else {
            "id": row["author_id"],
            "name": row["author__display_name"] or row["author__username"],
            "badges": row["author__badges"] or [],
            "url": row["author__profile_url"] or "",
            "guest": row["author__is_guest"],
        },
        "html": "" if deleted else row["html"],
        "deleted_text": DELETED_TEXT if deleted else "",
        "created_at": row["created_at"].isoformat(),
        "edited": row["edited"],
        "reaction_count": row["reaction_count"],
        "featured": row["featured"],
        "replies": [],
        "reply_count": 0,
        "more_replies": 0,
    }


def _tree(story_id: int) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]], int]:
    """Every visible comment of a story, nested. Deleted ones stay as placeholders if replied to."""
    rows = (
        Comment.objects.filter(
            story_id=story_id, status__in=[Comment.Status.APPROVED, Comment.Status.DELETED]
        )
        .order_by("created_at", "id")
        .values(*_FIELDS)
    )
    nodes = {r["id"]: _node(r) for r in rows}
    children: dict[int | None, list[dict[str, Any]]] = defaultdict(list)
    for n in nodes.values():
        parent = n["parent_id"]
        # A reply whose parent is hidden (pending/rejected) is hidden with it.
        if parent is None or parent in nodes:
            children[parent].append(n)

    def attach(n: dict[str, Any]) -> bool:
        kids = [k for k in children.get(n["id"], []) if attach(k)]
        n["replies"] = kids
        n["reply_count"] = len(kids) + sum(k["reply_count"] for k in kids)
        return n["status"] == Comment.Status.APPROVED or bool(kids)

    roots = [n for n in children.get(None, []) if attach(n)]
    approved = sum(1 for n in nodes.values() if n["status"] == Comment.Status.APPROVED)
    return roots, nodes, approved


def _cut(n: dict[str, Any], depth_left: int) -> dict[str, Any]:
    if depth_left <= 0 and n["replies"]:
        return {**n, "replies": [], "more_replies": n["reply_count"]}
    return {**n, "replies": [_cut(k, depth_left - 1) for k in n["replies"]]}


def _sort_roots(roots: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    if sort == "oldest":
        return roots
    if sort == "reactions":
        return sorted(roots, key=lambda n: (-n["reaction_count"], -n["id"]))
    return list(reversed(roots))


def thread_page(story: Story, sort: str = "newest", offset: int = 0, limit: int = 50) -> bytes:
    """One page of top-level comments with their replies, as JSON bytes (cached)."""
    key = thread_cache.page_key(story.pk, sort, offset, limit)
    data = thread_cache.get(key)
    if data is not None:
        return data
    roots, _, approved = _tree(story.pk)
    roots = _sort_roots(roots, sort)
    page = [_cut(n, MAX_DEPTH) for n in roots[offset : offset + limit]]
    body = {
        "story": {
            "id": story.pk,
            "url": story.url,
            "title": story.title,
            "closed": story.closed,
        },
        "sort": sort,
        "total": approved,
        "top_level_total": len(roots),
        "offset": offset,
        "next_offset": offset + limit if offset + limit < len(roots) else None,
        "comments": page,
    }
    data = json.dumps(body, separators=(",", ":")).encode()
    thread_cache.put(key, data)
    return data


def subtree(comment: Comment) -> dict[str, Any] | None:
    """A comment with all its visible replies ("continue thread")."""
    _, nodes, _ = _tree(comment.story_id)
    # _tree attached replies in place; a node missing here is hidden.
    node = nodes.get(comment.pk)
    if node is None or (node["status"] != Comment.Status.APPROVED and not node["replies"]):
        return None
    return _cut(node, MAX_DEPTH)


def counts(site_id: int, urls: list[str]) -> dict[str, int]:
    """Approved-comment counts for article URLs (listing pages); unknown URLs count 0."""
    from civility.comments.actions import normalize_url

    normalized: dict[str, str] = {}
    for url in urls:
        try:
            normalized[url] = normalize_url(url)
        except Exception:  # noqa: BLE001 - a malformed URL just counts 0
            normalized[url] = ""
    keys = {u: f"civ:count:{site_id}:{n}" for u, n in normalized.items() if n}
    cached = cache.get_many(list(keys.values()))
    missing = {normalized[u] for u, k in keys.items() if k not in cached}
    fresh: dict[str, int] = {}
    if missing:
        found = dict(
            Story.objects.filter(site_id=site_id, url__in=missing)
            .annotate(
                n=Count("comments", filter=_approved_q()),
            )
            .values_list("url", "n")
        )
        fresh = {n: found.get(n, 0) for n in missing}
        cache.set_many({f"civ:count:{site_id}:{n}": v for n, v in fresh.items()}, timeout=5)
    out: dict[str, int] = {}
    for url, norm in normalized.items():
        if not norm:
            out[url] = 0
        elif keys[url] in cached:
            out[url] = int(cached[keys[url]])
        else:
            out[url] = fresh[norm]
    return out


def _approved_q() -> Any:
    from django.db.models import Q

    return Q(comments__status=Comment.Status.APPROVED)
