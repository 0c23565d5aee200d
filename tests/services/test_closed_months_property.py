"""A closed month's bill is final: no sequence of plan assignments, time entries, cancellations,
tracking switches and closes leaves a closed month whose stored items and usage differ from
what a fresh close of that month would bill now.

Hypothesis draws sequences of steps and runs each through the service the pages and the API
call, one transaction per step as a request is; a step a rule refuses (DomainError) is rolled
back, as a request's is. After every step, each closed month is billed afresh (`bills_for`,
the one copy of the arithmetic) and compared with what its close stored.

Derandomized and bounded by default (see tests/hypothesis_profiles.py); for a longer search,
HYPOTHESIS_PROFILE=deep, or PROPERTY_EXAMPLES=500.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import given, note
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import (
    BillableItem,
    BillingPeriod,
    Client,
    Plan,
    Subscription,
    Ticket,
    TimeEntry,
    UsageRecord,
    User,
)
from portal.services.billing.close import bills_for, close_period, item_rows
from portal.services.clients.subscriptions import (
    active_subscription,
    assign_plan,
    cancel_subscription,
)
from portal.services.errors import DomainError
from portal.services.settings import business_today
from portal.services.tickets.conversation import set_tracking
from portal.services.tickets.time_entries import (
    TimeInput,
    delete_time_entry,
    edit_time_entry,
    log_time,
)
from tests import factories
from tests.hypothesis_profiles import profile_settings

PAST_DAYS = 125  # work and start dates go back four months...
AHEAD_DAYS = 40  # ...and plans may start up to about a month ahead
MONTHS_BACK = 4  # the past months a close may pick
CLIENTS = 3
EXAMPLES = {"ci": 25, "deep": 400}  # PROPERTY_EXAMPLES overrides
STEPS = 30

# What the steps did over the whole run, so the test can tell it was not vacuous.
DONE: Counter = Counter()


# --- the bill: as stored by the close, and as a close would make it now --------------------


def stored_bill(period_id: int) -> tuple[list[tuple], list[tuple]]:
    """The items and usage the close of a period stored."""
    items = db.session.execute(
        db.select(
            BillableItem.client_id,
            BillableItem.subscription_id,
            BillableItem.kind,
            BillableItem.minutes,
            BillableItem.unit_rate,
            BillableItem.amount,
        ).filter_by(period_id=period_id)
    )
    usage = db.session.execute(
        db.select(
            UsageRecord.subscription_id,
            UsageRecord.included_minutes,
            UsageRecord.used_minutes,
            UsageRecord.overtime_minutes,
        ).filter_by(period_id=period_id)
    )
    return sorted(map(tuple, items)), sorted(map(tuple, usage))


def fresh_bill(period: str) -> tuple[list[tuple], list[tuple]]:
    """The items and usage a close of the period would write now."""
    months = bills_for(period)
    keys = ("client_id", "subscription_id", "kind", "minutes", "unit_rate", "amount")
    items = [tuple(row[key] for key in keys) for m in months for row in item_rows(m, None)]
    usage = [
        (m.subscription_id, m.bill.included_minutes, m.bill.used_minutes, m.bill.overtime_minutes)
        for m in months
    ]
    return sorted(items), sorted(usage)


def check_closed_months() -> None:
    """Every closed month's stored items and usage are what billing it now gives."""
    closed = db.session.execute(db.select(BillingPeriod.id, BillingPeriod.period)).all()
    for period_id, period in closed:
        (items, usage), (fresh_items, fresh_usage) = stored_bill(period_id), fresh_bill(period)
        assert items == fresh_items, f"{period}: the items differ from a fresh close"
        assert usage == fresh_usage, f"{period}: the usage differs from a fresh close"
        DONE["closed month with items"] += bool(items)
    db.session.rollback()  # a read: end it


# --- the shop of one example ----------------------------------------------------------------


@dataclass(frozen=True)
class Shop:
    """The ids of one example's rows: clients, their two tickets each, plans, the admin."""

    clients: list[int]
    tickets: list[tuple[int, int]]  # per client: one always tracked, one switched off and on
    plans: list[int]
    admin: int
    today: date

    def day(self, days_back: int) -> date:
        """The day `days_back` days before today (after it, when negative)."""
        return self.today - timedelta(days=days_back)


def empty_tables() -> None:
    """Delete every row, children first: on a few rows much quicker than TRUNCATE, which
    would take most of the test's time on PostgreSQL (ids go on counting; nothing needs 1)."""
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


def open_shop() -> Shop:
    """An emptied database with clients, two tickets each, three plans (prorated, full-month,
    hourly) and an admin."""
    empty_tables()
    f = factories
    f.currency("EUR", is_default=True)
    plans = [
        f.plan("Prorated", prices={"EUR": ("200.00", "60.00")}),
        f.plan("Full month", hours=5, prorate=False, prices={"EUR": ("99.99", "45.50")}),
        f.plan("Hourly", model="hourly", prices={"EUR": ("0", "80.00")}),
    ]
    clients = [f.client(f"Client {n}") for n in range(CLIENTS)]
    return Shop(
        clients=[c.id for c in clients],
        tickets=[(f.ticket(c).id, f.ticket(c).id) for c in clients],
        plans=[p.id for p in plans],
        admin=f.user("admin").id,
        today=business_today(),
    )


# --- the steps: each does what one request would, through its service ----------------------
# `run` returns False when there was nothing to do (no entry to edit, say).


@dataclass(frozen=True)
class Assign:
    """Assign a plan (admin page, API) from a random start, often before closed months."""

    client: int
    plan: int
    days_back: int

    def run(self, shop: Shop, admin: User) -> bool:
        """assign_plan, the service every door calls."""
        client = db.session.get(Client, shop.clients[self.client])
        plan = db.session.get(Plan, shop.plans[self.plan])
        assign_plan(client, plan, shop.day(self.days_back), admin)
        return True


@dataclass(frozen=True)
class Log:
    """Log time on a random work date, with an on-the-spot plan when the client has none."""

    client: int
    ticket: int
    quarters: int
    days_back: int
    billable: bool
    plan: int | None

    def run(self, shop: Shop, admin: User) -> bool:
        """log_time; `plan` is assigned when the client has none on the work date (the form
        offers its plan selector only then)."""
        ticket = db.session.get(Ticket, shop.tickets[self.client][self.ticket])
        work_date = shop.day(self.days_back)
        plan = None
        if self.plan is not None and active_subscription(ticket.client_id, work_date) is None:
            plan = db.session.get(Plan, shop.plans[self.plan])
        data = TimeInput(15 * self.quarters, work_date, "", self.billable)
        log_time(ticket, admin, data, assign=plan)
        return True


def nth_entry(pick: int) -> TimeEntry | None:
    """One of the time entries, by position (None while there are none)."""
    ids = db.session.scalars(db.select(TimeEntry.id).order_by(TimeEntry.id)).all()
    return db.session.get(TimeEntry, ids[pick % len(ids)]) if ids else None


@dataclass(frozen=True)
class Edit:
    """Change an entry's hours and billable flag, and move its work date (across months)."""

    pick: int
    quarters: int
    shift_days: int
    billable: bool

    def run(self, shop: Shop, admin: User) -> bool:
        """edit_time_entry."""
        if (entry := nth_entry(self.pick)) is None:
            return False
        work_date = min(entry.work_date + timedelta(days=self.shift_days), shop.today)
        edit_time_entry(entry, admin, TimeInput(15 * self.quarters, work_date, "", self.billable))
        return True


@dataclass(frozen=True)
class Delete:
    """Delete an entry."""

    pick: int

    def run(self, shop: Shop, admin: User) -> bool:
        """delete_time_entry."""
        if (entry := nth_entry(self.pick)) is None:
            return False
        delete_time_entry(entry, admin)
        return True


@dataclass(frozen=True)
class Cancel:
    """Cancel the client's open-ended subscription at the end of this month."""

    client: int

    def run(self, shop: Shop, admin: User) -> bool:
        """cancel_subscription."""
        open_ended = {"client_id": shop.clients[self.client], "end_date": None}
        subscription = db.session.scalar(db.select(Subscription).filter_by(**open_ended))
        if subscription is None:
            return False
        cancel_subscription(subscription, admin)
        return True


@dataclass(frozen=True)
class Tracking:
    """Switch time tracking off, or back on, on the client's second ticket."""

    client: int

    def run(self, shop: Shop, admin: User) -> bool:
        """set_tracking."""
        ticket = db.session.get(Ticket, shop.tickets[self.client][1])
        set_tracking(ticket, not ticket.time_tracking, admin)
        return True


def month_back(today: date, months: int) -> str:
    """The period `months` before today's."""
    index = today.year * 12 + today.month - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass(frozen=True)
class Close:
    """Close a past month, in any order (the billing page may close any past month)."""

    months_back: int

    def run(self, shop: Shop, admin: User) -> bool:
        """close_period."""
        close_period(month_back(shop.today, self.months_back), admin)
        return True


CLIENT = st.integers(0, CLIENTS - 1)
BILLABLE = st.sampled_from([True, True, False])  # mostly billable: that is what bills change on
ASSIGN = st.builds(Assign, CLIENT, st.integers(0, 2), st.integers(-AHEAD_DAYS, PAST_DAYS))
LOG = st.builds(
    Log,
    CLIENT,
    st.integers(0, 1),
    st.integers(1, 40),
    st.integers(0, PAST_DAYS),
    BILLABLE,
    st.sampled_from([None, None, 0, 1, 2]),
)
STEP = st.one_of(
    ASSIGN,
    LOG,
    LOG,
    LOG,  # time is what most requests write
    st.builds(Edit, st.integers(0, 99), st.integers(1, 40), st.integers(-40, 40), BILLABLE),
    st.builds(Delete, st.integers(0, 99)),
    st.builds(Cancel, CLIENT),
    st.builds(Tracking, CLIENT),
    st.builds(Close, st.integers(1, MONTHS_BACK)),
)


def run_step(step, shop: Shop) -> None:
    """Run one step as a request does: commit it, or roll it back when a rule refuses it.

    Each step and its outcome is noted: a failing example lists them up to the failure.
    """
    kind = type(step).__name__
    try:
        done = step.run(shop, db.session.get(User, shop.admin))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        DONE[f"{kind} refused"] += 1
        note(f"{step!r}: refused: {exc.message}")
        return
    DONE[kind] += done
    note(f"{step!r}: {'done' if done else 'nothing to do'}")


def test_no_sequence_of_steps_changes_a_closed_months_bill(app):
    DONE.clear()

    @profile_settings(EXAMPLES, "PROPERTY_EXAMPLES")
    @given(
        plans=st.lists(ASSIGN, max_size=CLIENTS),  # clients often have a plan to begin with
        time=st.lists(LOG, max_size=8),  # and time in past months
        steps=st.lists(STEP, min_size=STEPS // 3, max_size=STEPS),
    )
    def sequences(plans, time, steps):
        """Run the steps one by one, checking every closed month after each."""
        shop = open_shop()
        for step in [*plans, *time, *steps]:
            run_step(step, shop)
            check_closed_months()

    sequences()
    # Not vacuous: each kind of step was done, plans and time were refused, months were billed.
    for kind in ("Assign", "Log", "Edit", "Delete", "Cancel", "Tracking", "Close"):
        assert DONE[kind] > 0, (kind, DONE)
    for kind in ("Assign refused", "Log refused", "closed month with items"):
        assert DONE[kind] > 0, (kind, DONE)
