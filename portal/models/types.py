"""Column types that stay exact and timezone-aware on SQLite and PostgreSQL."""

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, DateTime, Numeric
from sqlalchemy.types import TypeDecorator


class Choices(StrEnum):
    """A closed set of text values stored in a column: statuses, roles, kinds."""

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """Every value, in the order declared: for checks, choices and messages."""
        return tuple(member.value for member in cls)

    @classmethod
    def sql_list(cls) -> str:
        """The values as an SQL list for a CHECK constraint: 'a', 'b'."""
        return ", ".join(f"'{value}'" for value in cls.values())


MONEY_SCALE = 4
_SCALE_FACTOR = Decimal(10) ** MONEY_SCALE
_QUANTUM = Decimal(1).scaleb(-MONEY_SCALE)


class Money(TypeDecorator):
    """A Decimal with four places: NUMERIC(16, 4) on PostgreSQL, integer 1/10000s on SQLite.

    SQLite has no exact decimal type (its NUMERIC affinity stores floats), so there the
    value is kept as a scaled integer; SUM() over it stays exact on both databases.
    """

    impl = Numeric(16, MONEY_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        """Pick the storage type for the dialect."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(16, MONEY_SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):
        """Decimal -> stored value; floats are refused outright."""
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        value = Decimal(value).quantize(_QUANTUM)
        if dialect.name == "sqlite":
            return int(value * _SCALE_FACTOR)
        return value

    def process_result_value(self, value, dialect):
        """Stored value -> Decimal with four places."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _SCALE_FACTOR).quantize(_QUANTUM)
        return Decimal(value).quantize(_QUANTUM)


PERCENT_SCALE = 3
_PERCENT_FACTOR = Decimal(10) ** PERCENT_SCALE
_PERCENT_QUANTUM = Decimal(1).scaleb(-PERCENT_SCALE)


class Percent(TypeDecorator):
    """A percent with three places (23.000): NUMERIC(6, 3) on PostgreSQL, integer 1/1000s on
    SQLite, for the same reason as Money."""

    impl = Numeric(6, PERCENT_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        """Pick the storage type for the dialect."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(6, PERCENT_SCALE, asdecimal=True))

    def process_bind_param(self, value, dialect):
        """Decimal -> stored value; floats and more than three places are refused."""
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("a percent must be Decimal, not float")
        exact = Decimal(value)
        value = exact.quantize(_PERCENT_QUANTUM)
        if value != exact:
            raise ValueError(f"a percent has at most {PERCENT_SCALE} places: {exact}")
        if dialect.name == "sqlite":
            return int(value * _PERCENT_FACTOR)
        return value

    def process_result_value(self, value, dialect):
        """Stored value -> Decimal with three places."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / _PERCENT_FACTOR).quantize(_PERCENT_QUANTUM)
        return Decimal(value).quantize(_PERCENT_QUANTUM)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        """Attach UTC to what SQLite returns naive."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)
