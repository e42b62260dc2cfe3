"""Cached thread pages must follow every change, including ones made by other apps' actions
(moderators approving, rejecting, closing a story): any saved or deleted Comment or Story bumps
its story's thread version. Bulk `.update()` calls bypass signals; our own actions bump directly.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from civility.comments import cache as thread_cache
from civility.comments.models import Comment, Story


def _bump_later(story_id: int | None) -> None:
    if story_id is not None:
        transaction.on_commit(lambda: thread_cache.bump(story_id))


@receiver([post_save, post_delete], sender=Comment)
def _comment_changed(sender: Any, instance: Comment, **kwargs: Any) -> None:
    _bump_later(instance.story_id)


@receiver([post_save, post_delete], sender=Story)
def _story_changed(sender: Any, instance: Story, **kwargs: Any) -> None:
    _bump_later(instance.pk)
