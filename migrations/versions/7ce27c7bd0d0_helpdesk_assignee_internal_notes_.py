"""helpdesk: assignee, internal notes, attachments, user time format

Tickets get an assignee (staff, or none; SET NULL when the user is removed), messages an
`internal` flag for staff-only notes, and files sent with a message live in `attachment`
(bytea / BLOB, so every web process and every backup has them). Users choose how hours are
shown (`hm` = 1:30, `decimal` = 1.50) and may have to pick a new password at first login.

Revision ID: 7ce27c7bd0d0
Revises: dcf482d9772f
Create Date: 2026-12-01 22:23:37.697603

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7ce27c7bd0d0'
down_revision = 'dcf482d9772f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=127), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(filename) > 0', name=op.f('ck_attachment_filename_present')),
    sa.CheckConstraint('size > 0', name=op.f('ck_attachment_size_positive')),
    sa.ForeignKeyConstraint(['message_id'], ['ticket_message.id'], name=op.f('fk_attachment_message_id_ticket_message'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment'))
    )
    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachment_message_id'), ['message_id'], unique=False)

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_ticket_assignee_updated', ['assignee_id', 'updated_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_ticket_assignee_id_user_account'), 'user_account', ['assignee_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('ticket_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_format', sa.String(length=8), server_default='hm', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_check_constraint(op.f('ck_user_account_time_format_valid'), "time_format IN ('hm', 'decimal')")



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_time_format_valid'), type_='check')
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('time_format')

    with op.batch_alter_table('ticket_message', schema=None) as batch_op:
        batch_op.drop_column('internal')

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_ticket_assignee_id_user_account'), type_='foreignkey')
        batch_op.drop_index('ix_ticket_assignee_updated')
        batch_op.drop_column('assignee_id')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachment_message_id'))

    op.drop_table('attachment')
