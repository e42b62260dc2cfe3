"""Import another platform's comments into a site: one transaction, idempotent, audited.

Imported comments skip the decision pipeline: they were published (or not) on the old platform,
and rate limits or new-commenter holds make no sense for history. Their status follows the export
(deleted comments are kept as deleted so replies to them keep their place in the thread).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from civility.audit import record
from civility.comments.actions import hash_ip, normalize_url, store_comment
from civility.comments.models import Comment, Site, Story
from civility.imports.parsers import ImportData, ImportedComment


@dataclass
class ImportResult:
    stories_created: int = 0
    users_created: int = 0
    comments_created: int = 0
    comments_skipped: int = 0  # already imported earlier, or empty
    orphans: int = 0  # comments whose thread is missing from the file


def _user_for(source: str, c: ImportedComment, cache: dict[str, Any], result: ImportResult) -> Any:
    # Exports carry no credentials: imported authors get a placeholder account per identity,
    # which can never log in (unusable password) until claimed by an admin.
    identity = (c.author_key or c.author_email or c.author_name or "anonymous").strip().lower()
    username = f"{source}:{hashlib.sha256(identity.encode()).hexdigest()[:20]}"
    if username in cache:
        return cache[username]
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            display_name=(c.author_name or "Anonymous")[:80],
            is_guest=True,
            profile_url=c.author_url[:200] if c.author_url.startswith(("http", "https")) else "",
        )
        user.set_unusable_password()
        user.save()
        result.users_created += 1
    cache[username] = user
    return user


def _ordered(comments: list[ImportedComment]) -> list[ImportedComment]:
    """Parents before replies, whatever order the file uses."""
    by_key = {c.key: c for c in comments}
    done: set[str] = set()
    out: list[ImportedComment] = []
    for c in sorted(comments, key=lambda c: c.created_at):
        chain = []
        node: ImportedComment | None = c
        while node is not None and node.key not in done and node not in chain:
            chain.append(node)
            node = by_key.get(node.parent_key) if node.parent_key else None
        for item in reversed(chain):
            done.add(item.key)
            out.append(item)
    return out


def import_comments(*, site: Site, data: ImportData, actor: Any = None) -> ImportResult:
    """Write stories, authors and comments from `data` into `site`, all or nothing."""
    result = ImportResult()
    users: dict[str, Any] = {}
    stories: dict[str, Story] = {}
    created: dict[str, Comment] = {}
    with transaction.atomic():
        for key, thread in data.threads.items():
            story, made = Story.objects.get_or_create(
                site=site,
                url=normalize_url(thread.url),
                defaults={"title": thread.title[:500], "closed": thread.closed},
            )
            stories[key] = story
            result.stories_created += made
        for c in _ordered(data.comments):
            if c.thread_key not in stories:
                result.orphans += 1
                continue
            if not c.body and c.status != Comment.Status.DELETED:  # deleted: a placeholder
                result.comments_skipped += 1
                continue
            story = stories[c.thread_key]
            author = _user_for(data.source, c, users, result)
            parent = created.get(c.parent_key) if c.parent_key else None
            existing = Comment.objects.filter(
                story=story, author=author, body=c.body, created_at=c.created_at
            ).first()
            if existing is not None:  # imported by an earlier run
                created[c.key] = existing
                result.comments_skipped += 1
                continue
            comment = store_comment(
                story=story,
                parent=parent,
                author=author,
                body=c.body,
                status=c.status,
                ip_hash=hash_ip(c.ip),
                reasons=[{"action": "import", "code": f"imported_{data.source}"}],
                created_at=c.created_at,
                audit_action=None,  # the import is audited once, below
                announce=False,
            )
            if c.extra:
                Comment.objects.filter(pk=comment.pk).update(**c.extra)
            created[c.key] = comment
            result.comments_created += 1
        record(
            "site.imported",
            site=site,
            actor=actor,
            reason=f"{data.source} import",
            data=result.__dict__.copy(),
        )
    return result
