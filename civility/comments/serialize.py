"""The JSON shape of a comment, shared by the API, the live stream and the moderation events."""

from __future__ import annotations

from typing import Any

from civility.comments.models import Comment

DELETED_TEXT = "This comment was deleted."


def author_dict(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "name": user.display_name or user.username,
        "badges": list(user.badges or []),
        "url": user.profile_url or "",
        "guest": bool(user.is_guest),
    }


def comment_dict(c: Comment, author: dict[str, Any] | None = None) -> dict[str, Any]:
    deleted = c.status == Comment.Status.DELETED
    return {
        "id": c.pk,
        "story_id": c.story_id,
        "parent_id": c.parent_id,
        "depth": c.depth,
        "status": c.status,
        "author": None if deleted else (author or author_dict(c.author)),
        "html": "" if deleted else c.html,
        "created_at": c.created_at.isoformat(),
        "edited": c.edited,
        "reaction_count": c.reaction_count,
        "featured": c.featured,
    }
