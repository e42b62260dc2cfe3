"""The one way to write an audit entry. Every action function calls this.

A leaf module: the AuditEntry model is looked up by name, so importing this module pulls in no
app and every app may import it.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps


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
    return entry_model.objects.create(
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
