"""COPY for the bulk ingest's large rows (replies, their search entries, their sources).

`bulk_create` compiles one INSERT with a parameter per column and row and waits for it whole;
COPY streams the rows, so PostgreSQL stores the first while Python formats the next, and it
skips Django's SQL compiler and psycopg's query conversion (together a quarter of the bulk
writer's time, profiled). The rows are prepared the way `bulk_create` prepares them (related
objects' keys, `pre_save` values such as `auto_now`, each field's database value), so a row
stored either way is the same. PostgreSQL only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

#: Field classes whose database value is the attribute itself when it already has the
#: Python type below: their get_db_prep_save only converts (str(), int()) and checks. Every
#: column of every bulk-loaded row went through it (~6% of the writer's time in py-spy).
_PLAIN_TYPES: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.AutoField: int,
    models.BigAutoField: int,
    models.BooleanField: bool,
}


def _preparer(field: models.Field) -> Callable[[models.Model], Any]:
    """How to read `field`'s database value off an object, as bulk_create does. (A
    concrete relation is a foreign key or one-to-one: its value is the target's key.)"""
    target = field.target_field if field.is_relation else field
    plain = _PLAIN_TYPES.get(type(target))
    overrides_pre_save = type(field).pre_save is not models.Field.pre_save
    if plain is None or overrides_pre_save:
        return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)
    attname = field.attname

    def prepare(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        if value is None or type(value) is plain:
            return value
        return field.get_db_prep_save(value, connection)

    return prepare


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """`count` new primary keys from the table's own sequence, for rows that other rows of the
    same batch point at before they are stored."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_insert(objs: Sequence[models.Model], *, table_keys: bool = False) -> None:
    """Store new objects of one model with their primary keys already set (see reserve_ids, or
    a key that is a link to a stored row); or, with `table_keys`, without keys, numbered by
    the table itself — for rows nothing else in the batch points at (links, commitments,
    citations, change records). Keys the table assigns are not read back."""
    if not objs:
        return
    opts = objs[0]._meta
    for obj in objs:
        if table_keys and obj.pk is not None:
            raise ValueError(f"{opts.label} row with a primary key under table_keys")
        if not table_keys and obj.pk is None:
            raise ValueError(f"{opts.label} row without a primary key: reserve one first")
    fields = [
        field
        for field in opts.concrete_fields
        if not field.generated and not (table_keys and field is opts.pk)
    ]
    quote = connection.ops.quote_name
    statement = "COPY {} ({}) FROM STDIN".format(
        quote(opts.db_table), ", ".join(quote(field.column) for field in fields)
    )
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
    preparers = [_preparer(field) for field in fields]
    # Raw psycopg under Django's error mapping, so that a unique violation is the IntegrityError
    # the ingest's batch retry expects.
    with (
        connection.wrap_database_errors,
        connection.cursor() as cursor,
        cursor.cursor.copy(statement) as copy,
    ):
        for obj in objs:
            copy.write_row([prepare(obj) for prepare in preparers])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
