"""Equality lookups for the per-request hot path, without the ORM's query compiler.

Every post looks up its author (and whether its token was revoked), its story and site, the
author's ban on that site and the site's word rules. Through querysets, compiling each query
cost ~0.2 ms against ~0.02 ms to run it: a fifth of a post's CPU. These build the SQL once per
(model, fields) and connection, then return ordinary model instances (`Model.from_db`, with the
same field converters the ORM applies), so callers cannot tell the difference. Only for plain
``column = value`` lookups; everything else stays with querysets. Two extras save a round trip
each (on PostgreSQL a post's reads were mostly waiting for answers): `fetch_joined` (a row and
the row its foreign key names, like select_related, and lists of rows that name that row, as
`RowsOf`) and `fetch_one_and_exists` (a row, and whether another table has a given value).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any, TypeVar

from django.db import connections
from django.db.models import BooleanField, DateTimeField, Model
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


def _plans(connection: Any) -> dict[Any, Any]:
    """The SQL and converters built so far for this connection."""
    return connection.__dict__.setdefault("_civility_lookup_plans", {})


def _converters(connection: Any, model: type[Model], fields: list[Any]) -> list[Any]:
    table = model._meta.db_table
    out = []
    for field in fields:
        col = field.get_col(table)
        out.append((col, connection.ops.get_db_converters(col) + col.get_db_converters(connection)))
    return out


def _convert(connection: Any, converters: list[Any], row: Any) -> list[Any]:
    values = list(row)
    for i, (col, funcs) in enumerate(converters):
        for convert in funcs:
            values[i] = convert(values[i], col, connection)
    return values


def _plan(model: type[Model], keys: tuple[str, ...], fields: tuple[str, ...] | None) -> Any:
    connection = connections["default"]
    plans = _plans(connection)
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
        attnames = [f.attname for f in chosen]
        plan = plans[(model, keys, fields)] = (
            sql,
            attnames,
            _converters(connection, model, chosen),
        )
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
        yield attnames, _convert(connection, converters, row)


def fetch_one(model: type[M], **equals: Any) -> M | None:
    """The instance where every ``field = value`` holds (a unique lookup), or None."""
    for attnames, values in _rows(model, None, equals):
        return model.from_db("default", attnames, values)
    return None


def fetch_values(model: type[Model], fields: tuple[str, ...], **equals: Any) -> list[tuple]:
    """``fields`` of every row where each ``field = value`` holds, like values_list()."""
    return [tuple(values) for _, values in _rows(model, fields, equals)]


@dataclass(frozen=True)
class RowsOf:
    """For `fetch_joined`: ``fields`` of every row of ``model`` whose foreign key ``fk`` names
    the joined row (or, with ``of_row``, the row itself) and where each of ``equals``
    (constants) and ``params`` (values given to `fetch_joined`) holds: a list of tuples, kept on
    that instance under ``attr`` for those values (read it with `fetched`). One subquery in the
    same statement: a round trip less per list (on PostgreSQL, a post's reads were mostly
    waiting for answers)."""

    attr: str
    model: type[Model]
    fk: str
    fields: tuple[str, ...]
    equals: tuple[tuple[str, Any], ...] = ()
    params: tuple[str, ...] = ()
    of_row: bool = False


def _rows_sql(connection: Any, rows: RowsOf, named_pk: str) -> str:
    quote = connection.ops.quote_name
    meta: Any = rows.model._meta
    cols = ", ".join(quote(meta.get_field(f).column) for f in rows.fields)
    where = [f"{quote(meta.get_field(rows.fk).column)} = {named_pk}"]
    where += [f"{quote(meta.get_field(f).column)} = %s" for f, _ in rows.equals]
    where += [f"{quote(meta.get_field(f).column)} = %s" for f in rows.params]
    if connection.vendor == "postgresql":
        agg = f"coalesce(json_agg(json_build_array({cols})), '[]'::json)"
    else:  # SQLite's JSON1 functions (built in since 3.38)
        agg = f"json_group_array(json_array({cols}))"
    # Only quoted names from the models' metadata go into the text; values are parameters.
    return f"(SELECT {agg} FROM {quote(meta.db_table)} WHERE {' AND '.join(where)})"  # noqa: S608


def _rows_values(rows: RowsOf, raw: Any) -> list[tuple[Any, ...]]:
    """JSON rows as the ORM would give them: booleans (SQLite has 0/1) and aware datetimes
    (SQLite's text has no zone; stored in UTC)."""
    items = json.loads(raw) if isinstance(raw, str | bytes) else raw
    fields = [rows.model._meta.get_field(f) for f in rows.fields]
    out = []
    for item in items:
        values = list(item)
        for i, field in enumerate(fields):
            if values[i] is None:
                continue
            if isinstance(field, BooleanField):
                values[i] = bool(values[i])
            elif isinstance(field, DateTimeField):
                moment = parse_datetime(str(values[i]).replace(" ", "T"))
                values[i] = moment.replace(tzinfo=UTC) if moment and not moment.tzinfo else moment
        out.append(tuple(values))
    return out


def fetch_joined(
    model: type[M],
    related: str,
    pk: Any,
    rows: Sequence[RowsOf] = (),
    params: dict[str, Any] | None = None,
) -> M | None:
    """The instance with primary key ``pk`` and, cached on it, the row its foreign key
    ``related`` names (``select_related(related)`` in one query), or None. Each of ``rows``
    lists rows that name the joined row (or the row itself), in the same query (``params``:
    their values)."""
    connection = connections["default"]
    plans = _plans(connection)
    key = ("joined", model, related, tuple(rows))
    plan = plans.get(key)
    if plan is None:
        meta: Any = model._meta
        fk: Any = meta.get_field(related)
        other: type[Model] = fk.related_model
        other_meta: Any = other._meta
        quote = connection.ops.quote_name
        own, theirs = list(meta.concrete_fields), list(other_meta.concrete_fields)
        columns = ", ".join(
            [f"a.{quote(f.column)}" for f in own] + [f"b.{quote(f.column)}" for f in theirs]
        )
        joined_pk = f"b.{quote(other_meta.pk.column)}"
        own_pk = f"a.{quote(meta.pk.column)}"
        for extra in rows:
            columns += ", " + _rows_sql(connection, extra, own_pk if extra.of_row else joined_pk)
        sql = (
            f"SELECT {columns} FROM {quote(meta.db_table)} a"  # noqa: S608 - names from metadata
            f" JOIN {quote(other_meta.db_table)} b ON a.{quote(fk.column)} ="
            f" {joined_pk} WHERE a.{quote(meta.pk.column)} = %s"
        )
        plan = plans[key] = (
            sql,
            fk,
            other,
            [f.attname for f in own],
            [f.attname for f in theirs],
            _converters(connection, model, own) + _converters(connection, other, theirs),
        )
    sql, fk, other, own_names, their_names, converters = plan
    asked = [tuple(_param((params or {})[name]) for name in extra.params) for extra in rows]
    args: list[Any] = []
    for extra, given in zip(rows, asked, strict=True):  # in the subqueries' order, then the pk
        args += [value for _, value in extra.equals]
        args += given
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    n = len(own_names) + len(their_names)
    values = _convert(connection, converters, row[:n])
    instance = model.from_db("default", own_names, values[: len(own_names)])
    joined = other.from_db("default", their_names, values[len(own_names) :])
    for extra, given, raw in zip(rows, asked, row[n:], strict=True):
        setattr(instance if extra.of_row else joined, extra.attr, {given: _rows_values(extra, raw)})
    fk.set_cached_value(instance, joined)
    return instance


def _param(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


def fetched(instance: Any, attr: str, *params: Any) -> list[tuple[Any, ...]] | None:
    """The rows `fetch_joined` set on ``instance`` as ``attr`` for these values of the RowsOf's
    ``params`` (in order), or None where it did not (ask the database then)."""
    got = getattr(instance, attr, None)
    return None if got is None else got.get(tuple(_param(p) for p in params))


def rows_for(instance: Any, rows: RowsOf, **params: Any) -> list[tuple[Any, ...]]:
    """``rows`` of ``instance`` (the row their foreign key names): those `fetch_joined` read
    with it, else from the database by the same description."""
    got = fetched(instance, rows.attr, *(params[name] for name in rows.params))
    if got is not None:
        return got
    equals = {rows.fk: instance, **dict(rows.equals), **params}
    return fetch_values(rows.model, rows.fields, **equals)


def fetch_one_and_exists(
    model: type[M], equals: dict[str, Any], other: type[Model], field: str, value: Any
) -> tuple[M | None, bool]:
    """(The instance where every ``field = value`` of ``equals`` holds, or None; whether any
    row of ``other`` has ``field`` = ``value``), in one query."""
    connection = connections["default"]
    plans = _plans(connection)
    keys = tuple(sorted(equals))
    key = ("exists", model, keys, other, field)
    plan = plans.get(key)
    if plan is None:
        sql, attnames, converters = _plan(model, keys, None)
        quote = connection.ops.quote_name
        other_meta: Any = other._meta
        probe = (
            f"SELECT 1 FROM {quote(other_meta.db_table)}"  # noqa: S608 - names from metadata
            f" WHERE {quote(other_meta.get_field(field).column)} = %s"
        )
        head, _, tail = sql.partition(" FROM ")
        sql = f"{head}, EXISTS({probe}) FROM {tail}"
        plan = plans[key] = (sql, attnames, converters)
    sql, attnames, converters = plan
    params = [value] + [v.pk if isinstance(v, Model) else v for v in (equals[k] for k in keys)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None, False
    values = _convert(connection, converters, row[:-1])
    return model.from_db("default", attnames, values), bool(row[-1])
