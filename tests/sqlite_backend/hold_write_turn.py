"""Another process holding the SQLite write turn, as `civility import` does for a whole file.

Run by test_write_queue.py with the test database's path: takes the turn through Civility's
backend, prints "holding", and keeps the transaction open until a line (or EOF) on stdin.
"""

from __future__ import annotations

import sys

import django
from django.conf import settings

settings.configure(
    DATABASES={
        "default": {
            "ENGINE": "civility.sqlite_backend",
            "NAME": sys.argv[1],
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000;"},
        }
    },
    USE_TZ=True,
)
django.setup()

from django.db import connection, transaction  # noqa: E402 - after settings

with transaction.atomic(), connection.cursor() as cursor:
    cursor.execute("UPDATE comments_story SET title = title")
    print("holding", flush=True)
    sys.stdin.readline()
print("done", flush=True)
