"""Tasks only the tests queue (module level, so a worker can import them by path)."""

from __future__ import annotations

from civility.tasks.base import durable, mark_done
from civility.tasks.models import DoneKey


@durable(queue="default")
def flaky(key: str, failures: int) -> int:
    """Fails ``failures`` times, then succeeds; every try leaves a DoneKey "key:try:N"."""
    tries = DoneKey.objects.filter(key__startswith=f"{key}:try:").count() + 1
    mark_done(f"{key}:try:{tries}")
    if tries <= failures:
        raise RuntimeError(f"failure {tries} of {failures}")
    mark_done(f"{key}:done")
    return tries
