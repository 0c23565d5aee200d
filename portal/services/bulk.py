"""Writing many rows at once, without an ORM object per row (the monthly close's path)."""

from sqlalchemy import insert, text

from portal.extensions import db


def reserve_ids(model, count: int) -> list[int]:
    """`count` new primary keys for `model`'s table, ascending, for rows written with them.

    PostgreSQL: taken from the id sequence, so concurrent inserts never collide with them.
    SQLite: the ids after the largest one; the caller holds SQLite's single write lock
    (it has already written in this transaction), so nobody else can take them meanwhile.
    """
    if count <= 0:
        return []
    table = model.__table__.name
    if db.session.get_bind().dialect.name == "postgresql":
        ids = db.session.scalars(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table, "n": count},
        )
        return sorted(ids)
    last = db.session.scalar(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"'))  # noqa: S608
    return list(range(last + 1, last + 1 + count))


def bulk_insert(model, rows: list[dict]) -> None:
    """Insert many rows at once, without building ORM objects.

    SQLite: executemany, one fast C loop. PostgreSQL: COPY (psycopg 3's executemany would
    send one INSERT per row); Python-side column defaults are filled in first, since COPY
    knows nothing of them, and every value goes through its column type as in an INSERT.
    """
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(insert(table), rows)
        return
    defaults = {
        c.name: c.default.arg(None) if c.default.is_callable else c.default.arg
        for c in table.columns
        if c.default is not None and c.default.is_scalar | c.default.is_callable
    }
    names = list(dict.fromkeys([*rows[0], *(name for name in defaults if name not in rows[0])]))
    # Only the columns whose type converts values (Money, JSON, enums...) pay a call per row.
    converted = [
        (position, processor)
        for position, name in enumerate(names)
        if (processor := table.c[name].type._cached_bind_processor(connection.dialect))
    ]
    cursor = connection.connection.driver_connection.cursor()
    columns = ", ".join(f'"{name}"' for name in names)
    with cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy:
        for row in rows:
            values = [row[name] if name in row else defaults[name] for name in names]
            for position, processor in converted:
                values[position] = processor(values[position])
            copy.write_row(values)
