"""Read models of one ticket's page, for staff and for the client: each section read once,
so the page's statements stay few and do not grow with its rows."""

from dataclasses import dataclass

from portal.models import Subscription, Ticket, TicketMessage, TimeEntry, User
from portal.services.billing.periods import closed_months, period_of
from portal.services.clients.blocks import balance
from portal.services.clients.subscriptions import active_subscription
from portal.services.clients.usage import MonthUsage, client_usage, subscription_on
from portal.services.settings import business_today
from portal.services.tickets.conversation import thread_messages
from portal.services.tickets.queue import billing_states, ticket_entries


@dataclass
class StaffTicketPage:
    """What the staff ticket page shows besides the ticket and its forms."""

    messages: list[TicketMessage]
    entries: list[tuple[TimeEntry, str]]  # (entry, operator's name), oldest first
    locked_periods: set[str]  # the entries' months that are closed
    usage: MonthUsage  # the sidebar: plan and what is left this month
    balance: dict | None  # a block plan's hours left, and if low (as blocks.block_balance)
    subscription: Subscription | None  # the client's today: None, the form offers a plan


def staff_ticket_page(ticket: Ticket, viewer: User) -> StaffTicketPage:
    """The thread, the time entries with their locks, and the client's month.

    Every closed month is read once, for the entries' locks and the month's walk; today's
    subscription comes from the subscriptions the month read."""
    closed = closed_months()
    entries = ticket_entries(ticket.id)
    usage = client_usage(ticket.client, closed_ids=closed)
    today = business_today()
    if usage.closed:  # only a month closed early has no live subscriptions
        subscription = active_subscription(ticket.client_id, today)
    else:
        subscription = subscription_on(usage, today)
    return StaffTicketPage(
        messages=thread_messages(ticket, viewer),
        entries=entries,
        locked_periods={period_of(entry.work_date) for entry, _name in entries} & closed.keys(),
        usage=usage,
        balance=_block_balance(usage),
        subscription=subscription,
    )


def _block_balance(usage: MonthUsage) -> dict | None:
    """blocks.block_balance of the month's subscription, from the bill the month's walk
    made already (the same walk, scoped to the client instead of the subscription)."""
    subscription = usage.subscription
    if subscription is None or subscription.model != "block":
        return None
    return balance(
        subscription,
        usage.period,
        in_minutes=usage.block_in_minutes,
        block_used_minutes=usage.block_used_minutes,
        used_minutes=usage.subscription_used_minutes,
        overtime_minutes=usage.overtime_minutes,
    )


@dataclass
class ClientTicketPage:
    """What the client's ticket page shows besides the ticket and its forms."""

    messages: list[TicketMessage]
    entries: list[tuple[TimeEntry, str]]
    state: str  # the billing state (queue.billing_states)


def client_ticket_page(ticket: Ticket, viewer: User) -> ClientTicketPage:
    """The thread, the time entries and the billing state, which is read from the entries
    already loaded."""
    entries = ticket_entries(ticket.id)
    days = [(ticket.id, e.work_date, e.billable, e.minutes) for e, _name in entries]
    return ClientTicketPage(
        messages=thread_messages(ticket, viewer),
        entries=entries,
        state=billing_states([ticket], days)[ticket.id],
    )
