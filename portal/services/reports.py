"""Staff reports: hours by client, operator and month, aggregated in the database."""

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import Integer, and_, case, cast, extract, func

from portal.extensions import db
from portal.models import Client, Ticket, TimeEntry, User
from portal.money import format_hours
from portal.services.billing import parse_period
from portal.services.errors import ValidationFailed
from portal.services.periods import period_bounds, period_of
from portal.services.settings import business_today
from portal.services.usage import previous_periods

DEFAULT_MONTHS = 3
MAX_MONTHS = 36
HOURS_HEADER = ["period", "client", "operator", "hours", "billable_hours", "non_billable_hours"]


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
        errors["to"] = "The last month must not be before the first."
    if not errors:
        months = (int(values["to"][:4]) - int(values["from"][:4])) * 12
        if months + int(values["to"][5:]) - int(values["from"][5:]) + 1 > MAX_MONTHS:
            errors["to"] = f"Choose at most {MAX_MONTHS} months."
    if errors:
        raise ValidationFailed(errors)
    return values["from"], values["to"]


def hours_rows(start: str, end: str) -> list[HoursRow]:
    """One GROUP BY query: minutes per month, client and operator between two periods."""
    year = cast(extract("year", TimeEntry.work_date), Integer)
    month = cast(extract("month", TimeEntry.work_date), Integer)
    billable = case((and_(TimeEntry.billable, Ticket.time_tracking), TimeEntry.minutes), else_=0)
    query = (
        db.select(
            year,
            month,
            Client.id,
            Client.name,
            User.id,
            User.name,
            func.sum(TimeEntry.minutes),
            func.sum(billable),
        )
        .select_from(TimeEntry)
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .join(Client, Client.id == Ticket.client_id)
        .join(User, User.id == TimeEntry.operator_id)
        .where(
            TimeEntry.work_date >= period_bounds(start)[0],
            TimeEntry.work_date <= period_bounds(end)[1],
        )
        .group_by(year, month, Client.id, Client.name, User.id, User.name)
        .order_by(year, month, Client.name, Client.id, User.name, User.id)
    )
    return [
        HoursRow(
            f"{y:04d}-{m:02d}", client_id, client, operator_id, operator, int(total), int(paid)
        )
        for y, m, client_id, client, operator_id, operator, total, paid in db.session.execute(query)
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
