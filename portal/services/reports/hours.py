"""Staff reports: hours by month, client and operator, from the sums the database keeps.

`hours_summary` (migration 5d2e8f1a4c67) holds one row per month, client and operator with
the minutes logged and the billable ones, kept by triggers on every write of a time entry
or a ticket's tracking. The report reads those sums, never the entries: at 10,000 active
clients a month is 10,000 rows to page through instead of 1,000,000 entries to add up.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Integer, String, column, func, table

from portal.extensions import db
from portal.models import Client, Role, User
from portal.money import format_hours
from portal.pagination import RowPagination, paginate_rows
from portal.services.billing.periods import parse_period, period_of
from portal.services.clients.search import clients_named
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


# The trigger-kept sums (not in the models' metadata, like the search index).
SUMMARY = table(
    "hours_summary",
    column("period", String(7)),
    column("client_id", Integer),
    column("operator_id", Integer),
    column("minutes", Integer),
    column("billable_minutes", Integer),
)
# ?by=: the detail rows (month, client, operator), or totals by client or by operator.
GROUPINGS = ("month", "client", "operator")
DEFAULT_PER_PAGE = 50


@dataclass(frozen=True)
class HoursFilters:
    """Which sums the report shows: a checked month range, part of a client's name, an
    operator's id (None: any)."""

    start: str
    end: str
    client_name: str | None = None
    operator_id: int | None = None


@dataclass(frozen=True)
class Totals:
    """Summed minutes of a group of rows."""

    minutes: int = 0
    billable_minutes: int = 0

    @property
    def non_billable_minutes(self) -> int:
        """Minutes that count towards no bill (non-billable, or on an untracked ticket)."""
        return self.minutes - self.billable_minutes


@dataclass(frozen=True)
class HoursRow(Totals):
    """One row of the report: a month, client and operator (those the grouping keeps; the
    others are None) and its minutes."""

    period: str | None = None
    client_id: int | None = None
    client: str | None = None
    operator_id: int | None = None
    operator: str | None = None


def _where(query, filters: HoursFilters):
    """The filters on a query over SUMMARY (rows with no minutes left are never shown)."""
    query = query.where(
        SUMMARY.c.period >= filters.start,
        SUMMARY.c.period <= filters.end,
        SUMMARY.c.minutes > 0,
    )
    if filters.client_name:
        query = query.where(SUMMARY.c.client_id.in_(clients_named(filters.client_name)))
    if filters.operator_id is not None:
        query = query.where(SUMMARY.c.operator_id == filters.operator_id)
    return query


def _rows_query(filters: HoursFilters, grouping: str = "month"):
    """The report's rows in a stable order: by month, then client name and id, then operator
    name and id; or totals by client or by operator, by name and id."""
    minutes = func.sum(SUMMARY.c.minutes).label("minutes")
    billable = func.sum(SUMMARY.c.billable_minutes).label("billable_minutes")
    if grouping in ("client", "operator"):
        model, key = (
            (Client, SUMMARY.c.client_id) if grouping == "client" else (User, SUMMARY.c.operator_id)
        )
        query = (
            db.select(model.id, model.name, minutes, billable)
            .select_from(SUMMARY)
            .join(model, model.id == key)
            .group_by(model.id, model.name)
            .order_by(model.name, model.id)
        )
    else:
        query = (
            db.select(
                SUMMARY.c.period,
                Client.id,
                Client.name,
                User.id,
                User.name,
                SUMMARY.c.minutes,
                SUMMARY.c.billable_minutes,
            )
            .join(Client, Client.id == SUMMARY.c.client_id)
            .join(User, User.id == SUMMARY.c.operator_id)
            .order_by(SUMMARY.c.period, Client.name, Client.id, User.name, User.id)
        )
    return _where(query, filters)


def _row(grouping: str, values) -> HoursRow:
    """A result row as an HoursRow."""
    if grouping == "client":
        client_id, client, minutes, billable = values
        return HoursRow(int(minutes), int(billable), client_id=client_id, client=client)
    if grouping == "operator":
        operator_id, operator, minutes, billable = values
        return HoursRow(int(minutes), int(billable), operator_id=operator_id, operator=operator)
    period, client_id, client, operator_id, operator, minutes, billable = values
    return HoursRow(int(minutes), int(billable), period, client_id, client, operator_id, operator)


class _KnownCount(RowPagination):
    """A page whose count was read with the range's total (no count statement of its own)."""

    def _query_count(self) -> int:
        return self._query_args["total"]


# What a grouping counts: its rows, its clients or its operators.
_COUNTED = {
    "month": func.count(),
    "client": func.count(SUMMARY.c.client_id.distinct()),
    "operator": func.count(SUMMARY.c.operator_id.distinct()),
}


def hours_page(
    filters: HoursFilters, grouping: str, page: int, per_page: int
) -> tuple[RowPagination, Totals]:
    """A page of the report's rows (HoursRow) with the count of all of them, and the total of
    every row the filters keep, whatever the page: two statements whatever the page size
    (the count and the total in one, from the sums alone; the page with its names)."""
    grouping = grouping if grouping in GROUPINGS else "month"
    count, minutes, billable = db.session.execute(
        _where(
            db.select(
                _COUNTED[grouping],
                func.coalesce(func.sum(SUMMARY.c.minutes), 0),
                func.coalesce(func.sum(SUMMARY.c.billable_minutes), 0),
            ),
            filters,
        )
    ).one()
    pagination = paginate_rows(
        _rows_query(filters, grouping), page, per_page, partial(_KnownCount, total=int(count))
    )
    pagination.items = [_row(grouping, values) for values in pagination.items]
    return pagination, Totals(int(minutes), int(billable))


def report_operators(
    filters: HoursFilters | None, selected: int | None = None
) -> list[tuple[int, str]]:
    """(id, name) of the people who logged time in the months (any month while the range is
    not valid), for the operator filter; the `selected` one is listed whatever it logged, so
    the filter the page applies is the one it shows."""
    logged = db.select(SUMMARY.c.operator_id).where(SUMMARY.c.minutes > 0).distinct()
    if filters is not None:
        logged = logged.where(SUMMARY.c.period >= filters.start, SUMMARY.c.period <= filters.end)
    listed = (
        User.id.in_(logged)
        if selected is None
        else User.id.in_(logged)
        | ((User.id == selected) & User.role.in_((Role.ADMIN, Role.OPERATOR)))
    )
    return [
        tuple(row)
        for row in db.session.execute(
            db.select(User.id, User.name).where(listed).order_by(User.name, User.id)
        )
    ]


def hours_csv_rows(filters: HoursFilters) -> Iterator[list]:
    """Every row of the report as CSV rows, hours with two decimals, written as they are read
    (fetched in batches: nothing is held but the batch)."""
    query = _rows_query(filters).execution_options(yield_per=1000)
    for row in db.session.execute(query):
        row = _row("month", row)
        yield [
            row.period,
            row.client,
            row.operator,
            format_hours(row.minutes),
            format_hours(row.billable_minutes),
            format_hours(row.non_billable_minutes),
        ]
