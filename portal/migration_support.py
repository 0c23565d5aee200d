"""Alembic hooks for the portal's column types, used by migrations/env.py and the tests."""

from sqlalchemy.types import TypeDecorator

from portal.models.types import Money, Percent, UTCDateTime


def render_item(type_, obj, autogen_context):
    """Render the portal's column types as plain SQLAlchemy types in new migrations.

    Migration scripts then import no application code, and spell out what is stored:
    money is NUMERIC(16, 4) on PostgreSQL and integer 1/10000s on SQLite, a percent
    NUMERIC(6, 3) and integer 1/1000s.
    """
    if type_ == "type" and isinstance(obj, Money):
        return 'sa.Numeric(16, 4).with_variant(sa.BigInteger(), "sqlite")'
    if type_ == "type" and isinstance(obj, Percent):
        return 'sa.Numeric(6, 3).with_variant(sa.BigInteger(), "sqlite")'
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Compare decorated types by what they store on the connected dialect."""
    if isinstance(metadata_type, TypeDecorator):
        impl = metadata_type.load_dialect_impl(context.dialect)
        return impl._type_affinity is not inspected_type._type_affinity
    return None


# Kept up by triggers, outside the models (SQLite adds FTS5's shadow tables of the same stem).
UNMODELLED_TABLES = ("ticket_search", "hours_summary")


def include_object(object_, name, type_, reflected, compare_to):
    """Leave the tables the models do not describe out of autogenerate's comparison."""
    return not (type_ == "table" and name and name.startswith(UNMODELLED_TABLES))
