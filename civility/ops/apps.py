from __future__ import annotations

from typing import Any

from django.apps import AppConfig, apps
from django.db import transaction
from django.db.models.signals import post_save

from civility.verdicts import ReasonCode

# Audit actions that decide a new comment, and the stage each stands for.
STAGES = {"comment.created": "post", "comment.scored": "late_score"}
DECISION_FOR_STATUS = {"approved": "approve", "pending": "hold", "rejected": "reject"}


def count_decision(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    """civility_comments_total from the audit entry every decision writes (imports write none,
    so years-old imported comments are not counted as decisions)."""
    stage = STAGES.get(getattr(instance, "action", ""))
    if not created or stage is None:
        return
    decision = DECISION_FOR_STATUS.get(instance.after)
    if decision is None:
        return
    reasons = (instance.data or {}).get("reasons") or []
    if decision == "hold" and any(
        isinstance(r, dict) and r.get("code") == ReasonCode.SCORING_PENDING for r in reasons
    ):
        decision = "score_pending"  # stored held until its score arrives (then late_score)

    def inc() -> None:
        from civility import metrics

        metrics.COMMENTS.labels(decision, stage).inc()

    transaction.on_commit(inc)


class OpsConfig(AppConfig):
    name = "civility.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        post_save.connect(
            count_decision,
            sender=apps.get_model("moderation", "AuditEntry"),
            dispatch_uid="civility.ops.count_decision",
        )
