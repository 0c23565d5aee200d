"""Read models for ticket lists: hours per ticket, plan, billing state; set-based queries."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_

from portal.extensions import db
from portal.i18n import N_
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
from portal.pagination import paginate_counted, paginate_rows
from portal.services.billing.periods import period_bounds, period_of
from portal.services.clients.search import clients_named
from portal.services.settings import business_today
from portal.services.tickets.search import search_condition

SORTS = {
    "updated": Ticket.updated_at.desc(),
    "oldest": Ticket.updated_at.asc(),
    "number": Ticket.number.asc(),
    "status": Ticket.status.asc(),
    # Severity, not the alphabet: Urgent, High, Medium, Low.
    "priority": case(
        {"Urgent": 0, "High": 1, "Medium": 2, "Low": 3}, value=Ticket.priority, else_=4
    ).asc(),
}


@dataclass
class QueueFilters:
    """The filters of the staff ticket queue; None means any."""

    status: str | None = None
    client_id: int | None = None
    client_name: str | None = None  # part of the name, any case
    department: str | None = None
    tracking: bool | None = None
    q: str | None = None  # number, or words of the subject and messages
    sort: str = "updated"
    assignee_id: int | None = None  # one person's tickets ("Mine": the viewer's id)
    unassigned: bool = False
    priority: str | None = None


def _minutes_of(ids: list[int], month_start: date):
    """Subquery: minutes logged this month and in total on the given tickets (one page)."""
    return (
        db.select(
            TimeEntry.ticket_id.label("ticket_id"),
            func.sum(TimeEntry.minutes).label("total"),
            func.sum(case((TimeEntry.work_date >= month_start, TimeEntry.minutes), else_=0)).label(
                "month"
            ),
        )
        .where(TimeEntry.ticket_id.in_(ids))
        .group_by(TimeEntry.ticket_id)
        .subquery()
    )


def _queue_rows(tickets: list[Ticket]) -> list[tuple]:
    """The queue's columns for a page of tickets, in one statement for the whole page."""
    if not tickets:
        return []
    today = business_today()
    ids = [ticket.id for ticket in tickets]
    minutes = _minutes_of(ids, period_bounds(period_of(today))[0])
    current = and_(
        Subscription.client_id == Ticket.client_id,
        Subscription.start_date <= today,
        or_(Subscription.end_date.is_(None), Subscription.end_date >= today),
    )
    details = {
        ticket_id: rest
        for ticket_id, *rest in db.session.execute(
            db.select(
                Ticket.id,
                Client.name,
                Plan.name,
                func.coalesce(minutes.c.month, 0),
                func.coalesce(minutes.c.total, 0),
                User.name,
            )
            .join(Client, Client.id == Ticket.client_id)
            .outerjoin(User, User.id == Ticket.assignee_id)
            .outerjoin(Subscription, current)
            .outerjoin(Plan, Plan.id == Subscription.plan_id)
            .outerjoin(minutes, minutes.c.ticket_id == Ticket.id)
            .where(Ticket.id.in_(ids))
        )
    }
    return [(ticket, *details[ticket.id]) for ticket in tickets]


def ticket_queue(filters: QueueFilters, page: int, per_page: int):
    """A page of the staff queue: (ticket, client name, plan name, minutes month, minutes total,
    assignee name or None).

    The page of tickets is chosen first, from the ticket table alone (with the count in the
    same statement when searching); names and hours are then fetched for that page only, so
    neither grows with the number of tickets or entries.
    """
    query = db.select(Ticket)
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.client_id:
        query = query.where(Ticket.client_id == filters.client_id)
    if filters.client_name:
        query = query.where(Ticket.client_id.in_(clients_named(filters.client_name)))
    if filters.department:
        query = query.where(Ticket.department == filters.department)
    if filters.tracking is not None:
        query = query.where(Ticket.time_tracking == filters.tracking)
    found = search_condition(filters.q, staff=True)
    if found is not None:
        query = query.where(found)
    if filters.unassigned:
        query = query.where(Ticket.assignee_id.is_(None))
    elif filters.assignee_id:
        query = query.where(Ticket.assignee_id == filters.assignee_id)
    if filters.priority:
        query = query.where(Ticket.priority == filters.priority)
    query = query.order_by(SORTS.get(filters.sort, SORTS["updated"]), Ticket.id.desc())
    # A search's matches are read once for page and count; the whole queue is counted apart
    # (a count of the table reads an index; the page, the first rows of the order index).
    pagination = (paginate_rows if found is None else paginate_counted)(query, page, per_page)
    pagination.items = _queue_rows([row[0] for row in pagination.items])
    return pagination


# The statuses as clients read them (SPEC "Helpdesk"): ?status= key -> (words, statuses);
# the words are lazy, in the language of the page that shows them.
CLIENT_STATUSES = {
    "support": (_l("Waiting for support"), ("Open", "Customer-Reply")),
    "you": (_l("Waiting for you"), ("Answered",)),
    "hold": (_l("On hold"), ("On Hold",)),
    "closed": (_l("Closed"), ("Closed",)),
}


def client_tickets(client_id: int, page: int, per_page: int, status: str | None = None):
    """A page of one client's tickets: (ticket, minutes total), and their billing states.

    `status` is a key of CLIENT_STATUSES (anything else: every ticket)."""
    query = (
        db.select(Ticket)
        .where(Ticket.client_id == client_id)
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    )
    if status in CLIENT_STATUSES:
        query = query.where(Ticket.status.in_(CLIENT_STATUSES[status][1]))
    pagination = paginate_rows(query, page, per_page)
    tickets = [row[0] for row in pagination.items]
    days = _entry_days(tickets)
    totals: dict[int, int] = {}
    for ticket_id, _day, _billable, minutes in days:
        totals[ticket_id] = totals.get(ticket_id, 0) + int(minutes)
    pagination.items = [(ticket, totals.get(ticket.id, 0)) for ticket in tickets]
    return pagination, billing_states(tickets, days)


def _entry_days(tickets: list[Ticket]) -> list[tuple]:
    """(ticket id, work date, billable, minutes) for the tickets' time, one row per kind of day."""
    if not tickets:
        return []
    return db.session.execute(
        db.select(
            TimeEntry.ticket_id,
            TimeEntry.work_date,
            TimeEntry.billable,
            func.sum(TimeEntry.minutes),
        )
        .where(TimeEntry.ticket_id.in_([t.id for t in tickets]))
        .group_by(TimeEntry.ticket_id, TimeEntry.work_date, TimeEntry.billable)
    ).all()


def billing_states(tickets: list[Ticket], days: list[tuple] | None = None) -> dict[int, str]:
    """Each ticket's billing state as clients see it, in three queries for the whole page.

    `days` are the tickets' _entry_days when the caller has them already (then two queries).

    "Not tracked" when tracking is off; "No time logged"; "Not billable" when all its time
    is non-billable; "Open month" while any billable time is in a month not yet closed.
    Once all of it is closed, the latest such month decides: "Invoiced 2026/10/0031 —
    Unpaid" when that month charged hours (overtime or hourly), "Billed, not yet invoiced"
    when those charges wait for an invoice, else "Included in package".
    The states are English keys the pages look their notes up by (marked for the catalog:
    a page shows `_(state)`).
    """
    logged: set[int] = set()
    billable: set[int] = set()
    in_open_month: set[int] = set()
    latest_closed: dict[int, str] = {}
    days = _entry_days(tickets) if days is None else days
    if days:
        closed = closed_periods({period_of(day) for _t, day, _b, _m in days})
        for ticket_id, day, is_billable, _minutes in days:
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
            states[ticket.id] = N_("Not tracked")
        elif ticket.id not in logged:
            states[ticket.id] = N_("No time logged")
        elif ticket.id not in billable:
            states[ticket.id] = N_("Not billable")
        elif ticket.id in in_open_month:
            states[ticket.id] = N_("Open month")
        else:
            key = (ticket.client_id, latest_closed[ticket.id])
            if key not in charged:
                states[ticket.id] = N_("Included in package")
            elif charged[key] is None:
                states[ticket.id] = N_("Billed, not yet invoiced")
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
