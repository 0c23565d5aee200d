"""hours by month, client and operator

The staff hours report summed every time entry of its months on each request: at 10,000
active clients and 1,000,000 entries a month that aggregate alone took 0.7-0.8 s on
PostgreSQL and over a second on SQLite, before a row was shown. `hours_summary` holds the
sums the report shows, one row per month, client and operator, kept by triggers on
`time_entry` and `ticket` (so every writer — pages, API, bulk loaders — keeps it right):

- `minutes`: every minute logged;
- `billable_minutes`: minutes of billable entries on tickets with time tracking on (the
  report's "billable"); switching a ticket's tracking, or moving it to another client,
  moves its entries' sums. On PostgreSQL an entry's trigger first holds its ticket's row
  shared (FOR SHARE) until it commits, so a switch of that ticket's tracking and the
  entries being written on it take turns: an entry is never summed with the tracking a
  concurrent switch is replacing. Only writers of the same ticket wait for each other.

A row whose entries are all deleted stays with zero minutes (the report leaves such rows
out). The rows go with their client or operator (ON DELETE CASCADE, also on TRUNCATE …
CASCADE). PostgreSQL: statement-level triggers over the transition tables, so a bulk insert
adds one grouped upsert, not one per row. SQLite: row triggers with an upsert each.

The table is not in the models' metadata (portal/migration_support.py leaves it out of
autogenerate). As for the search index: a later SQLite batch migration that copies
`time_entry` or `ticket` drops these triggers and must create them again.

Revision ID: 5d2e8f1a4c67
Revises: b2824cb8ae56
Create Date: 2026-12-07 20:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d2e8f1a4c67'
down_revision = 'b2824cb8ae56'
branch_labels = None
depends_on = None

TABLE = """
    CREATE TABLE hours_summary (
        period varchar(7) NOT NULL,
        client_id integer NOT NULL REFERENCES client (id) ON DELETE CASCADE,
        operator_id integer NOT NULL REFERENCES user_account (id) ON DELETE CASCADE,
        minutes integer NOT NULL,
        billable_minutes integer NOT NULL,
        PRIMARY KEY (period, client_id, operator_id)
    )
"""
UPSERT = """
    ON CONFLICT (period, client_id, operator_id) DO UPDATE SET
        minutes = hours_summary.minutes + excluded.minutes,
        billable_minutes = hours_summary.billable_minutes + excluded.billable_minutes
"""


# PostgreSQL: `{rows}` is a SELECT of (work_date, ticket_id, operator_id, minutes, billable,
# sign) from the transition tables; the sums are grouped by key, so the upsert meets each
# summary row once.
def _pg_apply(rows: str) -> str:
    return f"""
        -- The entries' tickets, shared, in id order: a switch of a ticket's tracking (an
        -- UPDATE of its row) being made now finishes first, and the sums below read the
        -- tracking it leaves; a switch that comes later waits for these entries.
        PERFORM 1 FROM ticket
        WHERE id IN (SELECT r.ticket_id FROM ({rows}) r) ORDER BY id FOR SHARE;
        INSERT INTO hours_summary (period, client_id, operator_id, minutes, billable_minutes)
        SELECT to_char(d.work_date, 'YYYY-MM'), t.client_id, d.operator_id,
            sum(d.sign * d.minutes),
            sum(CASE WHEN d.billable AND t.time_tracking THEN d.sign * d.minutes ELSE 0 END)
        FROM ({rows}) d JOIN ticket t ON t.id = d.ticket_id
        GROUP BY 1, 2, 3
        {UPSERT};
    """


_NEW = "SELECT work_date, ticket_id, operator_id, minutes, billable, 1 AS sign FROM new_rows"
_OLD = "SELECT work_date, ticket_id, operator_id, minutes, billable, -1 AS sign FROM old_rows"

POSTGRESQL_UP = [
    TABLE,
    "CREATE INDEX ix_hours_summary_client ON hours_summary (client_id)",
    "CREATE INDEX ix_hours_summary_operator ON hours_summary (operator_id)",
    f"""
    CREATE FUNCTION hours_summary_on_entries() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_pg_apply(_NEW)}
        ELSIF TG_OP = 'DELETE' THEN
            {_pg_apply(_OLD)}
        ELSE
            {_pg_apply(_NEW + " UNION ALL " + _OLD)}
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER hours_summary_entry_insert AFTER INSERT ON time_entry
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hours_summary_on_entries()
    """,
    """
    CREATE TRIGGER hours_summary_entry_update AFTER UPDATE ON time_entry
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hours_summary_on_entries()
    """,
    """
    CREATE TRIGGER hours_summary_entry_delete AFTER DELETE ON time_entry
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hours_summary_on_entries()
    """,
    f"""
    CREATE FUNCTION hours_summary_on_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- Entries written now hold this ticket's row shared (see _pg_apply): the UPDATE
        -- that fired this waited for them, and these sums see them.
        INSERT INTO hours_summary (period, client_id, operator_id, minutes, billable_minutes)
        SELECT to_char(e.work_date, 'YYYY-MM'), v.client_id, e.operator_id,
            sum(v.sign * e.minutes),
            sum(CASE WHEN e.billable AND v.tracking THEN v.sign * e.minutes ELSE 0 END)
        FROM time_entry e,
            (VALUES (OLD.client_id, OLD.time_tracking, -1),
                    (NEW.client_id, NEW.time_tracking, 1)) AS v (client_id, tracking, sign)
        WHERE e.ticket_id = NEW.id
        GROUP BY 1, 2, 3
        {UPSERT};
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER hours_summary_ticket AFTER UPDATE OF time_tracking, client_id ON ticket
    FOR EACH ROW
    WHEN (OLD.time_tracking IS DISTINCT FROM NEW.time_tracking
          OR OLD.client_id IS DISTINCT FROM NEW.client_id)
    EXECUTE FUNCTION hours_summary_on_ticket()
    """,
]

POSTGRESQL_DOWN = [
    "DROP TRIGGER hours_summary_ticket ON ticket",
    "DROP TRIGGER hours_summary_entry_delete ON time_entry",
    "DROP TRIGGER hours_summary_entry_update ON time_entry",
    "DROP TRIGGER hours_summary_entry_insert ON time_entry",
    "DROP FUNCTION hours_summary_on_ticket()",
    "DROP FUNCTION hours_summary_on_entries()",
    "DROP TABLE hours_summary",
]


# SQLite: one entry's minutes, `{e}` NEW or OLD, `{sign}` 1 or -1 (WHERE: an upsert after
# INSERT … SELECT needs one to parse).
def _sqlite_apply(e: str, sign: int) -> str:
    return f"""
        INSERT INTO hours_summary (period, client_id, operator_id, minutes, billable_minutes)
        SELECT strftime('%Y-%m', {e}.work_date), t.client_id, {e}.operator_id,
            {sign} * {e}.minutes,
            CASE WHEN {e}.billable AND t.time_tracking THEN {sign} * {e}.minutes ELSE 0 END
        FROM ticket t WHERE t.id = {e}.ticket_id
        {UPSERT};
    """


def _sqlite_ticket(t: str, sign: int) -> str:
    return f"""
        INSERT INTO hours_summary (period, client_id, operator_id, minutes, billable_minutes)
        SELECT strftime('%Y-%m', e.work_date), {t}.client_id, e.operator_id,
            sum({sign} * e.minutes),
            sum(CASE WHEN e.billable AND {t}.time_tracking THEN {sign} * e.minutes ELSE 0 END)
        FROM time_entry e WHERE e.ticket_id = NEW.id
        GROUP BY 1, 2, 3
        {UPSERT};
    """


SQLITE_UP = [
    TABLE,
    "CREATE INDEX ix_hours_summary_client ON hours_summary (client_id)",
    "CREATE INDEX ix_hours_summary_operator ON hours_summary (operator_id)",
    f"""
    CREATE TRIGGER hours_summary_entry_insert AFTER INSERT ON time_entry BEGIN
        {_sqlite_apply("NEW", 1)}
    END
    """,
    f"""
    CREATE TRIGGER hours_summary_entry_update AFTER UPDATE ON time_entry BEGIN
        {_sqlite_apply("OLD", -1)}
        {_sqlite_apply("NEW", 1)}
    END
    """,
    f"""
    CREATE TRIGGER hours_summary_entry_delete AFTER DELETE ON time_entry BEGIN
        {_sqlite_apply("OLD", -1)}
    END
    """,
    f"""
    CREATE TRIGGER hours_summary_ticket AFTER UPDATE OF time_tracking, client_id ON ticket
    WHEN OLD.time_tracking IS NOT NEW.time_tracking OR OLD.client_id IS NOT NEW.client_id
    BEGIN
        {_sqlite_ticket("OLD", -1)}
        {_sqlite_ticket("NEW", 1)}
    END
    """,
]

SQLITE_DOWN = [
    "DROP TRIGGER hours_summary_ticket",
    "DROP TRIGGER hours_summary_entry_delete",
    "DROP TRIGGER hours_summary_entry_update",
    "DROP TRIGGER hours_summary_entry_insert",
    "DROP TABLE hours_summary",
]

# The sums of the entries already there.
BACKFILL = """
    INSERT INTO hours_summary (period, client_id, operator_id, minutes, billable_minutes)
    SELECT {period}, t.client_id, e.operator_id, sum(e.minutes),
        sum(CASE WHEN e.billable AND t.time_tracking THEN e.minutes ELSE 0 END)
    FROM time_entry e JOIN ticket t ON t.id = e.ticket_id
    GROUP BY 1, 2, 3
"""


def _run(statements) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_UP if postgresql else SQLITE_UP)
    period = "to_char(e.work_date, 'YYYY-MM')" if postgresql else "strftime('%Y-%m', e.work_date)"
    op.execute(BACKFILL.format(period=period))


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_DOWN if postgresql else SQLITE_DOWN)
