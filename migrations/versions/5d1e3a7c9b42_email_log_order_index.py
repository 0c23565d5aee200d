"""email log order index

The admin email log lists every message newest first. Without an index on that order each
page sorted the whole outbox (SQLite, 27,000 messages: 25 ms for a page of 25, growing with
the outbox); with `(created_at, id)` the page is read from the end of the index.

Revision ID: 5d1e3a7c9b42
Revises: 5d2e8f1a4c67
Create Date: 2026-12-07 20:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5d1e3a7c9b42'
down_revision = '5d2e8f1a4c67'
branch_labels = None
depends_on = None


# Plain CREATE/DROP INDEX, not a batch: on SQLite a batch may copy the table.
def upgrade():
    op.create_index('ix_outbox_message_created', 'outbox_message', ['created_at', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_outbox_message_created', table_name='outbox_message')
