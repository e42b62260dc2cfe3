"""The one way to write an audit entry. Every action function calls this.

A leaf module: the AuditEntry model is looked up by name, so importing this module pulls in no
app and every app may import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.apps import apps

from civility.db.inserts import insert

# Entries written inside `collecting()`: how the desk learns which entries one request made, so
# it can offer to undo exactly those (civility.moderation.actions.undo).
_collected: ContextVar[list[Any] | None] = ContextVar("audit_collected", default=None)


@contextmanager
def collecting() -> Iterator[list[Any]]:
    """Collect the entries that `record` writes in this block (this thread or task only)."""
    entries: list[Any] = []
    token = _collected.set(entries)
    try:
        yield entries
    finally:
        _collected.reset(token)


def record(
    action: str,
    *,
    site: Any = None,
    actor: Any = None,
    comment: Any = None,
    target_user: Any = None,
    before: str = "",
    after: str = "",
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> Any:
    if site is None and comment is not None:
        site = comment.story.site
    entry_model = apps.get_model("moderation", "AuditEntry")
    # A plain INSERT (civility.db.inserts): every post writes an entry.
    entry = insert(
        entry_model(
            action=action,
            site=site,
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            comment=comment,
            target_user=target_user,
            before=before,
            after=after,
            reason=reason,
            data=data or {},
        )
    )
    collected = _collected.get()
    if collected is not None:
        collected.append(entry)
    return entry
