"""Equality lookups for the per-request hot path, without the ORM's query compiler.

Every post looks up its author, its story and site, the author's ban on that site and the site's
word rules. Through querysets, compiling each query cost ~0.2 ms against ~0.02 ms to run it: a
fifth of a post's CPU. These build the SQL once per (model, fields) and connection, then return
ordinary model instances (`Model.from_db`, with the same field converters the ORM applies), so
callers cannot tell the difference. Only for plain ``column = value`` lookups; everything else
stays with querysets.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import connections
from django.db.models import Model

M = TypeVar("M", bound=Model)


def _plan(model: type[Model], keys: tuple[str, ...], fields: tuple[str, ...] | None) -> Any:
    connection = connections["default"]
    plans = connection.__dict__.setdefault("_civility_lookup_plans", {})
    plan = plans.get((model, keys, fields))
    if plan is None:
        meta = model._meta
        chosen: list[Any] = (
            list(meta.concrete_fields)
            if fields is None
            else [meta.get_field(name) for name in fields]
        )
        key_fields: list[Any] = [meta.pk if k == "pk" else meta.get_field(k) for k in keys]
        quote = connection.ops.quote_name
        where = " AND ".join(f"{quote(f.column)} = %s" for f in key_fields)
        columns = ", ".join(quote(f.column) for f in chosen)
        # Only quoted names from the model's metadata go into the text; values are parameters.
        sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {where}"  # noqa: S608
        converters = []
        for field in chosen:
            col = field.get_col(meta.db_table)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            converters.append((col, found))
        attnames = [f.attname for f in chosen]
        plan = plans[(model, keys, fields)] = (sql, attnames, converters)
    return plan


def _rows(model: type[Model], fields: tuple[str, ...] | None, equals: dict[str, Any]) -> Any:
    keys = tuple(sorted(equals))
    sql, attnames, converters = _plan(model, keys, fields)
    connection = connections["default"]
    params = [v.pk if isinstance(v, Model) else v for v in (equals[k] for k in keys)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for row in rows:
        values = list(row)
        for i, (col, funcs) in enumerate(converters):
            for convert in funcs:
                values[i] = convert(values[i], col, connection)
        yield attnames, values


def fetch_one(model: type[M], **equals: Any) -> M | None:
    """The instance where every ``field = value`` holds (a unique lookup), or None."""
    for attnames, values in _rows(model, None, equals):
        return model.from_db("default", attnames, values)
    return None


def fetch_values(model: type[Model], fields: tuple[str, ...], **equals: Any) -> list[tuple]:
    """``fields`` of every row where each ``field = value`` holds, like values_list()."""
    return [tuple(values) for _, values in _rows(model, fields, equals)]
