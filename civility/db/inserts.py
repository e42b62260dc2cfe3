"""One-row INSERTs for the per-post hot path, without the ORM's query compiler.

Every post writes two rows: the comment and its audit entry. Through ``Model.objects.create``,
compiling each INSERT cost about as much CPU as the rest of the post's queries together
(bench/post_profile.py: ~0.8 ms a row of a ~7 ms post, one process). `insert` builds the SQL once
per model and connection and prepares each value as the ORM does (``pre_save`` for auto_now and
auto_now_add dates, ``get_db_prep_save`` for JSON, dates and foreign keys), and sends the same
``pre_save``/``post_save`` signals, so receivers (the thread cache's version, the decision
metrics) cannot tell the difference. It skips what ``Model.save`` overrides do: a caller whose
model overrides ``save`` does that work itself (see civility.comments.actions.store_comment).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model
from django.db.models.signals import post_save, pre_save

M = TypeVar("M", bound=Model)


def _plan(model: type[Model]) -> tuple[str, list[Any], bool]:
    connection = connections["default"]
    plans = connection.__dict__.setdefault("_civility_insert_plans", {})
    plan = plans.get(model)
    if plan is None:
        meta = model._meta
        fields = [
            f
            for f in meta.local_concrete_fields
            if not getattr(f, "generated", False) and not (f.primary_key and f.auto_created)
        ]
        if meta.pk in fields or not getattr(meta.pk, "auto_created", False):
            raise TypeError(f"{model.__name__}: insert() is for models with an automatic id")
        quote = connection.ops.quote_name
        columns = ", ".join(quote(str(f.column)) for f in fields)
        placeholders = ", ".join(["%s"] * len(fields))
        returning = bool(connection.features.can_return_columns_from_insert)
        # Only quoted names from the model's metadata go into the text; values are parameters.
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        if returning:
            sql += f" RETURNING {quote(str(meta.pk.column))}"
        plan = plans[model] = (sql, fields, returning)
    return plan


def insert(obj: M) -> M:
    """Write ``obj`` (an unsaved instance) as a new row, as ``obj.save()`` would; returns it
    with its id. Call inside the caller's transaction, like save()."""
    model = type(obj)
    connection = connections["default"]
    sql, fields, returning = _plan(model)
    pre_save.send(sender=model, instance=obj, raw=False, using="default", update_fields=None)
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if returning:
            pk = cursor.fetchone()[0]
        else:  # pragma: no cover - SQLite < 3.35
            table, column = model._meta.db_table, str(model._meta.pk.column)
            pk = connection.ops.last_insert_id(cursor, table, column)
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = "default"
    post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using="default"
    )
    return obj
