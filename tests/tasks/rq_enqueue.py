"""Run by test_rq_backend.py in a process configured for CIVILITY_TASK_BACKEND=rq: posts a
comment (its webhook delivery is queued in Redis on commit) and queues a task that fails once."""

from __future__ import annotations

import sys

import django

django.setup()

from django.db import transaction  # noqa: E402

from civility.accounts.models import User  # noqa: E402
from civility.comments.actions import store_comment  # noqa: E402
from civility.comments.models import Story  # noqa: E402
from tests.tasks.sample_tasks import flaky  # noqa: E402

story = Story.objects.get(pk=int(sys.argv[1]))
author = User.objects.get(pk=int(sys.argv[2]))
with transaction.atomic():
    store_comment(story=story, author=author, body="Through Redis", status="approved")
flaky.enqueue("rq", 1)
