"""tax rates

A tax rate: name, percent with three places (NUMERIC(6, 3) on PostgreSQL, integer 1/1000s
on SQLite, like money), an optional ISO 3166 alpha-2 country, at most one default.

Revision ID: c15b07a8e5e1
Revises: b9adbc2a7591
Create Date: 2026-12-01 18:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c15b07a8e5e1'
down_revision = 'b9adbc2a7591'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tax_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('percent', sa.Numeric(6, 3).with_variant(sa.BigInteger(), "sqlite"), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.CheckConstraint('country IS NULL OR length(country) = 2', name=op.f('ck_tax_rate_country_length')),
    sa.CheckConstraint('percent >= 0', name=op.f('ck_tax_rate_percent_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_rate')),
    sa.UniqueConstraint('name', name=op.f('uq_tax_rate_name'))
    )
    with op.batch_alter_table('tax_rate', schema=None) as batch_op:
        batch_op.create_index('uq_tax_rate_single_default', ['is_default'], unique=True, sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))


def downgrade():
    with op.batch_alter_table('tax_rate', schema=None) as batch_op:
        batch_op.drop_index('uq_tax_rate_single_default', sqlite_where=sa.text('is_default'), postgresql_where=sa.text('is_default'))

    op.drop_table('tax_rate')
