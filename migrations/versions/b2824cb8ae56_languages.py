"""languages

English, Polish and German (SPEC "Languages"): a user's chosen interface language (NULL
follows the browser) and a client's language for its documents and billing mail.

Revision ID: b2824cb8ae56
Revises: 856442e88257
Create Date: 2026-12-07 17:06:20.919001

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b2824cb8ae56'
down_revision = '856442e88257'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), server_default='en', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_client_language_valid'), "language IN ('en', 'pl', 'de')")

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_user_account_language_valid'), "language IS NULL OR language IN ('en', 'pl', 'de')")


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_account_language_valid'), type_='check')
        batch_op.drop_column('language')

    with op.batch_alter_table('client', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_client_language_valid'), type_='check')
        batch_op.drop_column('language')
