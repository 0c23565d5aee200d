"""Writing many rows at once, without an ORM object per row: the monthly close, and the
load for the benchmarks."""

from collections.abc import Iterable
from itertools import chain, islice

from sqlalchemy import text

from portal.extensions import db

# Rows a SQLite executemany sends at once: large enough to be fast, small enough to stream.
CHUNK = 20_000


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


def bulk_insert(model, rows: Iterable[dict]) -> int:
    """Insert many rows at once, without building ORM objects; the number inserted.

    Every value goes through its column type as in an INSERT, and Python-side column
    defaults are filled in for what a row leaves out. Rows stream: an iterable of any
    length is written in chunks, never held whole.
    """
    table = model.__table__
    connection = db.session.connection()
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    defaults = {
        c.name: c.default
        for c in table.columns
        if c.name not in first
        and c.default is not None
        and (c.default.is_scalar or c.default.is_callable)
    }
    names = [*first, *defaults]
    # Only the columns whose type converts values (Money, JSON, enums...) pay a call per row.
    converted = [
        (position, processor)
        for position, name in enumerate(names)
        if (processor := table.c[name].type._cached_bind_processor(connection.dialect))
    ]

    def values(row: dict) -> tuple:
        """The row as the driver receives it, in the order of `names`."""
        out = [row[name] for name in first]
        out += [d.arg(None) if d.is_callable else d.arg for d in defaults.values()]
        for position, processor in converted:
            out[position] = processor(out[position])
        return tuple(out)

    return insert_values(model, tuple(names), (values(r) for r in chain([first], iterator)))


def insert_values(model, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Insert tuples of values ready for the driver, streamed; the number inserted.

    PostgreSQL: COPY (psycopg 3's executemany would send one INSERT per row). SQLite:
    executemany in chunks, one fast C loop each. No per-row statement compilation.
    """
    connection = db.session.connection()
    table = model.__table__.name
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = connection.connection.driver_connection.cursor()
    total = 0
    if connection.dialect.name == "postgresql":
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
                total += 1
        return total
    marks = ", ".join("?" * len(columns))
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'  # noqa: S608 - our own names
    rows = iter(rows)
    while chunk := list(islice(rows, CHUNK)):
        cursor.executemany(sql, chunk)
        total += len(chunk)
    return total
