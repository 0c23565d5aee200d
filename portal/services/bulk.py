"""Writing many rows at once, without an ORM object per row: the monthly close, and the
load for the benchmarks."""

import gc
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from itertools import chain, islice
from operator import itemgetter

from psycopg.errors import UniqueViolation
from sqlalchemy import text

from portal.extensions import db

# Rows a SQLite executemany sends at once: large enough to be fast, small enough to stream.
CHUNK = 20_000


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch builds its rows, back as it was after.

    A close builds some 100,000 dicts that all live until they are written: each time the
    survivors grow by a quarter the collector walks every object of the process again,
    finds no cycle, and takes 0.1 s of a 1.5 s close at 100,000 entries. Plain rows are freed
    by reference counting without it; any cycle made meanwhile waits for the next
    collection after the batch (a few MB).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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
        # The sequence's name first: pg_get_serial_sequence in the SELECT list would look it
        # up for every id (0.15 s for a close's 27,000 ids against 0.03 s).
        sequence = db.session.scalar(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
        )
        ids = db.session.scalars(
            text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :n)"),
            {"sequence": sequence, "n": count},
        )
        return sorted(ids)
    last = db.session.scalar(text(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"'))  # noqa: S608
    return list(range(last + 1, last + 1 + count))


def bulk_insert(model, rows: Iterable[dict], skip_existing: tuple[str, ...] = ()) -> int:
    """Insert many rows at once, without building ORM objects; the number offered.

    Every value goes through its column type as in an INSERT, and Python-side column
    defaults are filled in for what a row leaves out — evaluated once per call, as an
    INSERT's defaults are once per statement (every row of a batch gets the same
    `created_at`). Rows stream: an iterable of any length is written in chunks, never held
    whole. `skip_existing`: the columns of a unique constraint; a row that would repeat an
    existing row's values there is skipped (ON CONFLICT DO NOTHING) — on PostgreSQL the
    rows are then held, to be written again after a conflict (see _insert_skipping).
    """
    table = model.__table__
    connection = db.session.connection()
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return 0
    filled = [
        c
        for c in table.columns
        if c.name not in first
        and c.default is not None
        and (c.default.is_scalar or c.default.is_callable)
    ]
    defaults = [c.default.arg(None) if c.default.is_callable else c.default.arg for c in filled]
    names = [*first, *(c.name for c in filled)]
    # Only the columns whose type converts values (Money, JSON, enums...) pay for it, and a
    # value seen before in the column is converted once: a close's amounts, rates, dates and
    # its one seller snapshot repeat thousands of times. Each column remembers by value
    # (with its type: 1.0 must still meet Money's refusal of floats after Decimal 1) the
    # immutable values it converted, and the last dict or list by identity.
    converters = [
        (position, {}, [None, None], processor)
        for position, name in enumerate(names)
        if (processor := table.c[name].type._cached_bind_processor(connection.dialect))
    ]
    keys = tuple(first)
    # itemgetter of one key gives the value, not a 1-tuple (and of none, an error).
    pick = itemgetter(*keys) if len(keys) > 1 else lambda row: tuple(row[k] for k in keys)

    def values(row: dict) -> tuple:
        """The row as the driver receives it, in the order of `names` (the loop is inline:
        a call per value cost more than the conversions it spared)."""
        out = [*pick(row), *defaults]
        for position, seen, last, processor in converters:
            value = out[position]
            if isinstance(value, dict | list):
                if value is not last[0]:
                    last[:] = [value, processor(value)]
                out[position] = last[1]
                continue
            key = (value.__class__, value)
            try:
                out[position] = seen[key]
            except KeyError:
                out[position] = seen[key] = processor(value)
            except TypeError:  # unhashable: converted every time
                out[position] = processor(value)
        return tuple(out)

    return insert_values(
        model,
        tuple(names),
        (values(r) for r in chain([first], iterator)),
        skip_existing=skip_existing,
    )


def insert_values(
    model, columns: tuple[str, ...], rows: Iterable[tuple], skip_existing: tuple[str, ...] = ()
) -> int:
    """Insert tuples of values ready for the driver, streamed; the number offered.

    PostgreSQL: COPY (psycopg 3's executemany would send one INSERT per row); with
    `skip_existing`, the same under a savepoint, and only when a row repeats one, COPY into
    a temporary table and one INSERT ... SELECT ... ON CONFLICT DO NOTHING from it. SQLite:
    executemany in chunks, one fast C loop each. No per-row statement compilation.
    """
    connection = db.session.connection()
    table = model.__table__.name
    names = ", ".join(f'"{name}"' for name in columns)
    conflict = ""
    if skip_existing:
        keys = ", ".join(f'"{name}"' for name in skip_existing)
        conflict = f" ON CONFLICT ({keys}) DO NOTHING"
    with closing(connection.connection.driver_connection.cursor()) as cursor:
        if connection.dialect.name == "postgresql":
            if skip_existing:
                return _insert_skipping(model, columns, rows, conflict, cursor)
            total = 0
            with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
                    total += 1
            return total
        marks = ", ".join("?" * len(columns))
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks}){conflict}'  # noqa: S608 - our own names
        total = 0
        rows = iter(rows)
        while chunk := list(islice(rows, CHUNK)):
            cursor.executemany(sql, chunk)
            total += len(chunk)
        return total


def _insert_skipping(model, columns, rows, conflict: str, cursor) -> int:
    """PostgreSQL: a COPY straight into the table under a savepoint, the usual case of rows
    that repeat none (a close's new invoices' mail: 30 % faster); if one does, back to the
    savepoint, COPY into a temporary table of the columns and one INSERT ... SELECT from it
    with ON CONFLICT (COPY itself cannot skip a row). Either way the same rows are written;
    a concurrent writer of the same key is waited for as an INSERT would wait."""
    table = model.__table__.name
    names = ", ".join(f'"{name}"' for name in columns)
    rows = list(rows)
    cursor.execute("SAVEPOINT bulk_copy")
    try:
        with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row(row)
    except UniqueViolation:
        cursor.execute("ROLLBACK TO SAVEPOINT bulk_copy")
    else:
        cursor.execute("RELEASE SAVEPOINT bulk_copy")
        return len(rows)
    cursor.execute("RELEASE SAVEPOINT bulk_copy")
    scratch = f"bulk_{table}"
    cursor.execute(
        f'CREATE TEMPORARY TABLE "{scratch}" ON COMMIT DROP AS'  # noqa: S608 - our own names
        f' SELECT {names} FROM "{table}" WITH NO DATA'
    )
    total = 0
    with cursor.copy(f'COPY "{scratch}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            total += 1
    cursor.execute(f'INSERT INTO "{table}" ({names}) SELECT {names} FROM "{scratch}"{conflict}')  # noqa: S608
    cursor.execute(f'DROP TABLE "{scratch}"')
    return total
