"""Read models for ticket lists: hours per ticket, plan, billing state; set-based queries."""

from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import and_, case, func, or_

from portal.extensions import db
from portal.models import (
    BillableItem,
    BillingPeriod,
    Client,
    Invoice,
    Plan,
    Subscription,
    Ticket,
    TimeEntry,
    User,
)
from portal.services.periods import period_bounds, period_of
from portal.services.settings import business_today


class RowPagination(SelectPagination):
    """Flask-SQLAlchemy's pagination, with whole result rows instead of the first column."""

    def _query_items(self) -> list:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(select).all())


def paginate_rows(query, page: int, per_page: int) -> RowPagination:
    """A page of rows of a multi-column select, with the total count."""
    return RowPagination(
        select=query,
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=200,
        error_out=False,
    )


SORTS = {
    "updated": Ticket.updated_at.desc(),
    "oldest": Ticket.updated_at.asc(),
    "number": Ticket.number.asc(),
    "status": Ticket.status.asc(),
}


@dataclass
class QueueFilters:
    """The filters of the staff ticket queue; None means any."""

    status: str | None = None
    client_id: int | None = None
    department: str | None = None
    tracking: bool | None = None
    sort: str = "updated"


def _minutes_per_ticket(month_start: date):
    """Subquery: per ticket, minutes logged this month and in total."""
    return (
        db.select(
            TimeEntry.ticket_id.label("ticket_id"),
            func.sum(TimeEntry.minutes).label("total"),
            func.sum(case((TimeEntry.work_date >= month_start, TimeEntry.minutes), else_=0)).label(
                "month"
            ),
        )
        .group_by(TimeEntry.ticket_id)
        .subquery()
    )


def ticket_queue(filters: QueueFilters, page: int, per_page: int):
    """A page of the staff queue: (ticket, client name, plan name, minutes month, minutes total)."""
    today = business_today()
    month_start = period_bounds(period_of(today))[0]
    minutes = _minutes_per_ticket(month_start)
    current = and_(
        Subscription.client_id == Ticket.client_id,
        Subscription.start_date <= today,
        or_(Subscription.end_date.is_(None), Subscription.end_date >= today),
    )
    query = (
        db.select(
            Ticket,
            Client.name.label("client_name"),
            Plan.name.label("plan_name"),
            func.coalesce(minutes.c.month, 0).label("minutes_month"),
            func.coalesce(minutes.c.total, 0).label("minutes_total"),
        )
        .join(Client, Client.id == Ticket.client_id)
        .outerjoin(Subscription, current)
        .outerjoin(Plan, Plan.id == Subscription.plan_id)
        .outerjoin(minutes, minutes.c.ticket_id == Ticket.id)
    )
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.client_id:
        query = query.where(Ticket.client_id == filters.client_id)
    if filters.department:
        query = query.where(Ticket.department == filters.department)
    if filters.tracking is not None:
        query = query.where(Ticket.time_tracking == filters.tracking)
    query = query.order_by(SORTS.get(filters.sort, SORTS["updated"]), Ticket.id.desc())
    return paginate_rows(query, page, per_page)


def client_tickets(client_id: int, page: int, per_page: int):
    """A page of one client's tickets: (ticket, minutes total, billing state)."""
    minutes = _minutes_per_ticket(period_bounds(period_of(business_today()))[0])
    query = (
        db.select(Ticket, func.coalesce(minutes.c.total, 0).label("minutes_total"))
        .outerjoin(minutes, minutes.c.ticket_id == Ticket.id)
        .where(Ticket.client_id == client_id)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    )
    pagination = paginate_rows(query, page, per_page)
    return pagination, billing_states([row[0] for row in pagination.items])


def billing_states(tickets: list[Ticket]) -> dict[int, str]:
    """Each ticket's billing state as clients see it, in three queries for the whole page.

    "Not tracked" when tracking is off; "No time logged"; "Not billable" when all its time
    is non-billable; "Open month" while any billable time is in a month not yet closed.
    Once all of it is closed, the latest such month decides: "Invoiced 2026/10/0031 —
    Unpaid" when that month charged hours (overtime or hourly), "Billed, not yet invoiced"
    when those charges wait for an invoice, else "Included in package".
    """
    logged: set[int] = set()
    billable: set[int] = set()
    in_open_month: set[int] = set()
    latest_closed: dict[int, str] = {}
    ids = [t.id for t in tickets]
    if ids:
        days = db.session.execute(
            db.select(TimeEntry.ticket_id, TimeEntry.work_date, TimeEntry.billable)
            .where(TimeEntry.ticket_id.in_(ids))
            .group_by(TimeEntry.ticket_id, TimeEntry.work_date, TimeEntry.billable)
        ).all()
        closed = closed_periods({period_of(day) for _t, day, _b in days})
        for ticket_id, day, is_billable in days:
            logged.add(ticket_id)
            if is_billable:
                billable.add(ticket_id)
                period = period_of(day)
                if period not in closed:
                    in_open_month.add(ticket_id)
                elif period > latest_closed.get(ticket_id, ""):
                    latest_closed[ticket_id] = period
    charged = _hour_charges(
        {(t.client_id, latest_closed[t.id]) for t in tickets if t.id in latest_closed}
    )
    states = {}
    for ticket in tickets:
        if not ticket.time_tracking:
            states[ticket.id] = "Not tracked"
        elif ticket.id not in logged:
            states[ticket.id] = "No time logged"
        elif ticket.id not in billable:
            states[ticket.id] = "Not billable"
        elif ticket.id in in_open_month:
            states[ticket.id] = "Open month"
        else:
            key = (ticket.client_id, latest_closed[ticket.id])
            if key not in charged:
                states[ticket.id] = "Included in package"
            elif charged[key] is None:
                states[ticket.id] = "Billed, not yet invoiced"
            else:
                states[ticket.id] = "Invoiced {} — {}".format(*charged[key])
    return states


def _hour_charges(keys: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[str, str] | None]:
    """For (client, period) pairs that charged hours: the invoice (number, status), or None."""
    if not keys:
        return {}
    rows = db.session.execute(
        db.select(BillableItem.client_id, BillingPeriod.period, Invoice.number, Invoice.status)
        .join(BillingPeriod, BillingPeriod.id == BillableItem.period_id)
        .outerjoin(Invoice, Invoice.id == BillableItem.invoice_id)
        .where(
            BillableItem.kind.in_(("overtime", "hourly")),
            BillableItem.client_id.in_({client for client, _p in keys}),
            BillingPeriod.period.in_({period for _c, period in keys}),
        )
    )
    return {
        (client, period): (number, status) if number else None
        for client, period, number, status in rows
        if (client, period) in keys
    }


def ticket_entries(ticket_id: int) -> list[tuple[TimeEntry, str]]:
    """A ticket's time entries with the operator's display name, oldest first."""
    return db.session.execute(
        db.select(TimeEntry, User.name)
        .join(User, User.id == TimeEntry.operator_id)
        .where(TimeEntry.ticket_id == ticket_id)
        .order_by(TimeEntry.work_date, TimeEntry.id)
    ).all()


def closed_periods(periods: set[str]) -> set[str]:
    """Which of the given periods are closed."""
    if not periods:
        return set()
    return set(
        db.session.scalars(db.select(BillingPeriod.period).where(BillingPeriod.period.in_(periods)))
    )
