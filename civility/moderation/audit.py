"""The one way to write an audit entry. Every action in */actions.py calls this."""

from typing import Any

from civility.moderation.models import AuditEntry


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
    data: dict | None = None,
) -> AuditEntry:
    if site is None and comment is not None:
        site = comment.story.site
    return AuditEntry.objects.create(
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
