"""ticket search index

Each ticket's subject and message text in a full-text index, kept current by triggers on
`ticket` and `ticket_message`, so every writer (pages, API, bulk loaders) keeps it right.
Two documents a ticket: `staff` (subject and every message) and `public` (subject and the
messages a client may see, never internal notes), so a client's search cannot find a ticket
by the words of a note.

PostgreSQL: a `ticket_search` table of two `tsvector`s ('simple' configuration: no stemming,
any language) with a GIN index each; the row goes with its ticket (ON DELETE CASCADE, also
on TRUNCATE … CASCADE). At most the first 100,000 characters of a ticket's text are indexed
(a tsvector must stay under 1 MB). SQLite: an FTS5 table (unicode61, diacritics folded)
whose rowid is the ticket id. The number is not indexed: it is matched on `ticket.number`.

The table is not in the models' metadata (migrations/env.py leaves it out of autogenerate).

Revision ID: a7f3c2d19e04
Revises: 7ce27c7bd0d0
Create Date: 2026-12-01 23:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'a7f3c2d19e04'
down_revision = '7ce27c7bd0d0'
branch_labels = None
depends_on = None

POSTGRESQL_UP = [
    """
    CREATE TABLE ticket_search (
        ticket_id integer PRIMARY KEY REFERENCES ticket (id) ON DELETE CASCADE,
        public tsvector NOT NULL,
        staff tsvector NOT NULL
    )
    """,
    "CREATE INDEX ix_ticket_search_public ON ticket_search USING gin (public)",
    "CREATE INDEX ix_ticket_search_staff ON ticket_search USING gin (staff)",
    """
    CREATE FUNCTION ticket_search_refresh(tid integer) RETURNS void LANGUAGE sql AS $$
        INSERT INTO ticket_search (ticket_id, public, staff)
        SELECT t.id,
            to_tsvector('simple', left(t.subject || ' ' || coalesce((
                SELECT string_agg(m.body, ' ' ORDER BY m.id) FROM ticket_message m
                WHERE m.ticket_id = t.id AND NOT m.internal), ''), 100000)),
            to_tsvector('simple', left(t.subject || ' ' || coalesce((
                SELECT string_agg(m.body, ' ' ORDER BY m.id) FROM ticket_message m
                WHERE m.ticket_id = t.id), ''), 100000))
        FROM ticket t WHERE t.id = tid
        ON CONFLICT (ticket_id) DO UPDATE SET public = EXCLUDED.public, staff = EXCLUDED.staff
    $$
    """,
    """
    CREATE FUNCTION ticket_search_on_ticket() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM ticket_search_refresh(NEW.id);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER ticket_search_ticket AFTER INSERT OR UPDATE OF subject ON ticket
    FOR EACH ROW EXECUTE FUNCTION ticket_search_on_ticket()
    """,
    """
    CREATE FUNCTION ticket_search_on_message() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM ticket_search_refresh(OLD.ticket_id);
        END IF;
        IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.ticket_id <> OLD.ticket_id) THEN
            PERFORM ticket_search_refresh(NEW.ticket_id);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER ticket_search_message
    AFTER INSERT OR UPDATE OF body, internal, ticket_id OR DELETE ON ticket_message
    FOR EACH ROW EXECUTE FUNCTION ticket_search_on_message()
    """,
    """
    INSERT INTO ticket_search (ticket_id, public, staff)
    SELECT t.id,
        to_tsvector('simple', left(t.subject || ' ' || coalesce(p.body, ''), 100000)),
        to_tsvector('simple', left(t.subject || ' ' || coalesce(s.body, ''), 100000))
    FROM ticket t
    LEFT JOIN (SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS body FROM ticket_message
               WHERE NOT internal GROUP BY ticket_id) p ON p.ticket_id = t.id
    LEFT JOIN (SELECT ticket_id, string_agg(body, ' ' ORDER BY id) AS body FROM ticket_message
               GROUP BY ticket_id) s ON s.ticket_id = t.id
    """,
]

POSTGRESQL_DOWN = [
    "DROP TRIGGER ticket_search_message ON ticket_message",
    "DROP TRIGGER ticket_search_ticket ON ticket",
    "DROP FUNCTION ticket_search_on_message()",
    "DROP FUNCTION ticket_search_on_ticket()",
    "DROP FUNCTION ticket_search_refresh(integer)",
    "DROP TABLE ticket_search",
]

# One ticket's two documents, for the SQLite triggers (`{id}` is NEW.id, OLD.ticket_id …).
_SQLITE_ROW = """
    INSERT INTO ticket_search (rowid, public, staff)
    SELECT t.id,
        t.subject || ' ' || coalesce((SELECT group_concat(body, ' ') FROM
            (SELECT body FROM ticket_message WHERE ticket_id = t.id AND NOT internal
             ORDER BY id)), ''),
        t.subject || ' ' || coalesce((SELECT group_concat(body, ' ') FROM
            (SELECT body FROM ticket_message WHERE ticket_id = t.id ORDER BY id)), '')
    FROM ticket t WHERE t.id = {id};
"""


def _sqlite_refresh(ticket_id: str) -> str:
    return f"DELETE FROM ticket_search WHERE rowid = {ticket_id};" + _SQLITE_ROW.format(
        id=ticket_id
    )


SQLITE_UP = [
    """
    CREATE VIRTUAL TABLE ticket_search USING fts5(
        public, staff, tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER ticket_search_ticket_insert AFTER INSERT ON ticket BEGIN
        {_SQLITE_ROW.format(id="NEW.id")}
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_ticket_update AFTER UPDATE OF subject ON ticket BEGIN
        {_sqlite_refresh("NEW.id")}
    END
    """,
    """
    CREATE TRIGGER ticket_search_ticket_delete AFTER DELETE ON ticket BEGIN
        DELETE FROM ticket_search WHERE rowid = OLD.id;
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_insert AFTER INSERT ON ticket_message BEGIN
        {_sqlite_refresh("NEW.ticket_id")}
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_update
    AFTER UPDATE OF body, internal, ticket_id ON ticket_message BEGIN
        {_sqlite_refresh("OLD.ticket_id")}
        {_sqlite_refresh("NEW.ticket_id")}
    END
    """,
    f"""
    CREATE TRIGGER ticket_search_message_delete AFTER DELETE ON ticket_message BEGIN
        {_sqlite_refresh("OLD.ticket_id")}
    END
    """,
    _SQLITE_ROW.replace("WHERE t.id = {id}", ""),
]

SQLITE_DOWN = [
    "DROP TRIGGER ticket_search_message_delete",
    "DROP TRIGGER ticket_search_message_update",
    "DROP TRIGGER ticket_search_message_insert",
    "DROP TRIGGER ticket_search_ticket_delete",
    "DROP TRIGGER ticket_search_ticket_update",
    "DROP TRIGGER ticket_search_ticket_insert",
    "DROP TABLE ticket_search",
]


def _run(statements) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_UP if postgresql else SQLITE_UP)


def downgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    _run(POSTGRESQL_DOWN if postgresql else SQLITE_DOWN)
