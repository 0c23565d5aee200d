"""hours summary emptied with its entries

`hours_summary` is kept by row triggers on `time_entry` (5d2e8f1a4c67). TRUNCATE fires no
row trigger, so `TRUNCATE time_entry` left every sum standing over no entries. On
PostgreSQL a statement trigger now empties the summary with it. SQLite has no TRUNCATE
(its `DELETE FROM time_entry` runs the row triggers).

Revision ID: 5d3f9b2e7a18
Revises: 5d1e3a7c9b42
Create Date: 2026-12-07 23:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d3f9b2e7a18'
down_revision = '5d1e3a7c9b42'
branch_labels = None
depends_on = None

UP = [
    """
    CREATE FUNCTION hours_summary_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM hours_summary;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER hours_summary_entry_truncate AFTER TRUNCATE ON time_entry
    FOR EACH STATEMENT EXECUTE FUNCTION hours_summary_on_truncate()
    """,
]
DOWN = [
    "DROP TRIGGER hours_summary_entry_truncate ON time_entry",
    "DROP FUNCTION hours_summary_on_truncate()",
]


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in UP:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in DOWN:
            op.execute(statement)
