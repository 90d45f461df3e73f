"""Database helpers shared by the services: many rows in one statement.

On PostgreSQL the rows travel as one array per column and the statement reads them with
`unnest(...)`: a few parameters whatever the number of rows, no model instance per row, and no
per-value SQL quoting (bench: a 100,000-entry settlement spent most of its time building model
instances and parameters for `bulk_create` and `bulk_update`). Other databases (the SQLite demo)
fall back to the ORM's bulk methods, with the same results.
"""

import json

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connections, models, router

BATCH_SIZE = 5000


def _connection(model):
    return connections[router.db_for_write(model)]


def on_postgresql(model) -> bool:
    """Whether `model`'s writes go to PostgreSQL: where a service has a one-statement path beside
    its portable one, this is what chooses (tests force the portable path through it)."""
    return _connection(model).vendor == "postgresql"


def _columns(model, names: list[str]):
    return [model._meta.get_field(name) for name in names]


def _array_cursor(connection):
    """A cursor that sends the arrays as binary parameters: Django's psycopg cursors bind on the
    client, rendering every element of every array into the SQL text (with a quoting check per
    element), which was a third of a settlement batch's Python time. Same connection, so same
    transaction; never prepared (safe behind a transaction-pooling proxy); not in Django's query log."""
    import psycopg

    connection.ensure_connection()
    return psycopg.Cursor(connection.connection)


def _array_param(field, values):
    if isinstance(field, models.JSONField):
        return [json.dumps(value) for value in values]
    return values


def _unnest(fields, connection) -> str:
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
    names = ", ".join(quote(field.column) for field in fields)
    return f"unnest({arrays}) AS v({names})"


def insert_rows(
    model,
    fields: list[str],
    rows: list[tuple],
    *,
    returning: str | None = None,
    conflict: list[str] | None = None,
    update: list[str] | None = None,
    same: dict | None = None,
    batch_size: int = BATCH_SIZE,
) -> list:
    """INSERT `rows` (tuples of plain values for `fields`, foreign keys by id) in statements of
    `batch_size` rows; `same` gives the fields whose value every row shares (sent once, not once
    per row). With `returning`, the value of that field for each row, in the order of `rows`.
    With `conflict` (the unique fields) and `update`, an upsert that overwrites `update` fields.
    Pass every value the row needs: defaults and `auto_now_add` are not applied on PostgreSQL."""
    if not rows:
        return []
    same = same or {}
    connection = _connection(model)
    if connection.vendor != "postgresql":
        fields, rows = [*fields, *same], [(*row, *same.values()) for row in rows]
        return _insert_rows_orm(
            model, fields, rows, returning=returning, conflict=conflict, update=update, batch_size=batch_size
        )
    quote = connection.ops.quote_name
    columns = _columns(model, fields)
    shared = _columns(model, list(same))
    table = quote(model._meta.db_table)
    names = ", ".join(quote(field.column) for field in [*columns, *shared])
    selected = ", ".join(
        [f"v.{quote(field.column)}" for field in columns] + [f"%s::{field.db_type(connection)}" for field in shared]
    )
    sql = f"INSERT INTO {table} ({names}) SELECT {selected} FROM {_unnest(columns, connection)}"
    if conflict:
        targets = ", ".join(quote(field.column) for field in _columns(model, conflict))
        sets = ", ".join(f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in _columns(model, update))
        sql += f" ON CONFLICT ({targets}) DO UPDATE SET {sets}"
    if returning:
        # unnest keeps the arrays' order and an INSERT ... SELECT returns rows in the order it
        # inserted them: Django's own bulk_create on PostgreSQL relies on the same.
        sql += f" RETURNING {quote(model._meta.get_field(returning).column)}"
    result = []
    with _array_cursor(connection) as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            # The shared values come first in the statement (its SELECT list), then the arrays.
            params = [_array_param(field, [value])[0] for field, value in zip(shared, same.values(), strict=True)]
            params += [_array_param(field, [row[i] for row in batch]) for i, field in enumerate(columns)]
            cursor.execute(sql, params, binary=True, prepare=False)
            if returning:
                result.extend(value for (value,) in cursor.fetchall())
    return result


def _insert_rows_orm(model, fields, rows, *, returning, conflict, update, batch_size) -> list:
    objs = [model(**dict(zip(fields, row, strict=True))) for row in rows]
    extra = {"update_conflicts": True, "unique_fields": conflict, "update_fields": update} if conflict else {}
    created = model.objects.using(router.db_for_write(model)).bulk_create(objs, batch_size=batch_size, **extra)
    return [getattr(obj, returning) for obj in created] if returning else []


def update_rows(model, fields: list[str], rows: list[tuple], *, batch_size: int = BATCH_SIZE) -> int:
    """UPDATE `fields` of many rows by primary key: `rows` are (pk, value, ...) tuples. Returns how
    many rows were written. One `UPDATE ... FROM unnest(...)` per `batch_size` rows on PostgreSQL
    (QuerySet.bulk_update builds a CASE WHEN per row and field, slow to build and to run)."""
    if not rows:
        return 0
    connection = _connection(model)
    if connection.vendor != "postgresql":
        objs = []
        for row in rows:
            obj = model(pk=row[0])
            for name, value in zip(fields, row[1:], strict=True):
                setattr(obj, model._meta.get_field(name).attname, value)
            objs.append(obj)
        return model.objects.using(router.db_for_write(model)).bulk_update(objs, fields, batch_size=batch_size)
    quote = connection.ops.quote_name
    pk = model._meta.pk
    columns = _columns(model, fields)
    table = quote(model._meta.db_table)
    sets = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns)
    key = quote(pk.column)
    sql = f"UPDATE {table} SET {sets} FROM {_unnest([pk, *columns], connection)} WHERE {table}.{key} = v.{key}"
    written = 0
    with _array_cursor(connection) as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start : start + batch_size]
            params = [_array_param(field, [row[i] for row in batch]) for i, field in enumerate([pk, *columns])]
            cursor.execute(sql, params, binary=True, prepare=False)
            written += cursor.rowcount
    return written


def fetch_rows(model, sql: str, params: list | dict) -> list[tuple] | None:
    """Run a statement on `model`'s table whose parameters include arrays (`= ANY(%s)`) on the
    binary cursor, and return its rows (none without RETURNING): a 2,000-id `IN (...)` list
    rendered into the SQL text cost more to build and to parse than the statement. None on other
    databases: the caller uses the ORM there."""
    connection = _connection(model)
    if connection.vendor != "postgresql":
        return None
    with _array_cursor(connection) as cursor:
        cursor.execute(sql, params, binary=True, prepare=False)
        return cursor.fetchall() if cursor.description else []  # a statement may return nothing


def fetch_prepared(model, sql: str, params: list | dict) -> list[tuple]:
    """Run a hot statement and return its rows; on PostgreSQL as a prepared statement, planned once
    per connection instead of on every call (the check-in's statement took 1.0 ms to plan and 1.2
    ms to run; prepared, 0.56 ms in all). `DB_PREPARED_STATEMENTS=0` turns preparing off, for a
    transaction-pooling proxy that does not follow prepared statements."""
    connection = _connection(model)
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    with _array_cursor(connection) as cursor:
        cursor.execute(sql, params, prepare=settings.DB_PREPARED_STATEMENTS)
        return cursor.fetchall()


def bulk_update_by_pk(model, objs, fields: list[str], *, batch_size: int = BATCH_SIZE) -> int:
    """Write `fields` of many saved instances (see update_rows)."""
    attnames = [model._meta.get_field(name).attname for name in fields]
    rows = [(obj.pk, *(getattr(obj, a) for a in attnames)) for obj in objs]
    return update_rows(model, fields, rows, batch_size=batch_size)


class ConstraintErrorsOnFields:
    """A model mixin: a database constraint whose `violation_error_code` names one of the model's
    fields reports its message on that field, so an admin form shows it beside the input (Django
    puts every check constraint's message at the top of the form)."""

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            fields = {field.name for field in self._meta.fields}
            errors: dict = {}
            for key, messages in exc.error_dict.items():
                for error in messages:
                    on_field = key == NON_FIELD_ERRORS and error.code in fields
                    errors.setdefault(error.code if on_field else key, []).append(error)
            raise ValidationError(errors) from None
