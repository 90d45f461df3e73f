"""Database helpers shared by the services."""

from django.db import connections, router


def bulk_update_by_pk(model, objs, fields: list[str], *, batch_size: int = 5000) -> int:
    """Write `fields` of many saved instances, one statement per `batch_size` rows.

    On PostgreSQL: `UPDATE t SET f = v.f FROM unnest(%s::type[], ...) AS v(pk, f, ...) WHERE t.pk = v.pk`,
    three parameters whatever the batch size. `QuerySet.bulk_update` builds a `CASE WHEN pk = ...`
    per row and field instead, which Django resolves slowly and PostgreSQL evaluates row by row
    (bench: a 100,000-entry settlement spent most of its time there). Other databases (the SQLite
    demo) use `bulk_update`. Returns how many rows were written.
    """
    objs = list(objs)
    if not objs:
        return 0
    db = router.db_for_write(model)
    connection = connections[db]
    if connection.vendor != "postgresql":
        return model.objects.using(db).bulk_update(objs, fields, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    columns = [meta.get_field(name) for name in fields]
    table = connection.ops.quote_name(meta.db_table)
    quote = connection.ops.quote_name
    arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in [pk, *columns])
    names = ", ".join(quote(field.column) for field in [pk, *columns])
    sets = ", ".join(f"{quote(field.column)} = v.{quote(field.column)}" for field in columns)
    key = quote(pk.column)
    sql = f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS v({names}) WHERE {table}.{key} = v.{key}"
    written = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            batch = objs[start : start + batch_size]
            params = [[obj.pk for obj in batch]]
            for field in columns:
                params.append([field.get_db_prep_save(getattr(obj, field.attname), connection) for obj in batch])
            cursor.execute(sql, params)
            written += cursor.rowcount
    return written
