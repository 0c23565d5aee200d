"""`flask seed-load`: exact row counts, determinism per seed, the big client, dates inside the
period, refusals, and a close over the load that agrees with a plain SUM query."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import text

from portal.extensions import db
from portal.models import Client, Subscription, Ticket, TicketMessage, TimeEntry, User
from portal.services.billing.close import close_period
from portal.services.billing.periods import period_bounds, period_of
from tests.helpers import close_month, count, empty_all_tables, last_month_start, this_month_start

SIZES = ["--clients", "12", "--tickets", "60", "--entries", "400", "--big-client-tickets", "25"]


def last_period() -> str:
    """The previous month, "YYYY-MM"."""
    return period_of(last_month_start())


def seed(runner, *extra):
    """Run seed-load for last month with the small sizes; the result."""
    return runner.invoke(args=["seed-load", *SIZES, "--period", last_period(), *extra])


def digest() -> str:
    """A digest of the loaded rows that does not depend on ids."""
    rows = db.session.execute(
        text(
            "SELECT c.name, c.email, s.model, s.start_date, t.number, t.time_tracking,"
            " e.minutes, e.work_date, e.billable"
            " FROM time_entry e JOIN ticket t ON t.id = e.ticket_id"
            " JOIN client c ON c.id = t.client_id"
            " JOIN subscription s ON s.id = e.subscription_id"
            " ORDER BY t.number, e.work_date, e.minutes, e.billable, e.id"
        )
    ).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_seed_load_makes_exactly_the_rows_asked_for(runner):
    result = seed(runner)
    assert result.exit_code == 0, result.output
    assert "12 client" in result.output and "400 time_entry" in result.output
    assert (count(Client), count(Subscription), count(Ticket), count(TimeEntry)) == (
        12,
        12,
        60,
        400,
    )
    assert count(TicketMessage) == 60
    assert count(User) == 3  # admin, operator (the entries' author), the big client's user
    operator = db.session.scalar(db.select(User).filter_by(role="operator"))
    authors = set(db.session.scalars(db.select(TimeEntry.operator_id).distinct()))
    assert authors == {operator.id}


def test_same_seed_same_rows_other_seed_other_rows(runner):
    assert seed(runner, "--seed", "7").exit_code == 0
    first = digest()
    empty_all_tables()
    assert seed(runner, "--seed", "7").exit_code == 0
    assert digest() == first
    empty_all_tables()
    assert seed(runner, "--seed", "8").exit_code == 0
    assert digest() != first


def test_the_big_client_has_its_tickets(runner):
    assert seed(runner).exit_code == 0
    big = db.session.scalar(db.select(Client).filter_by(name="Load client 00001"))
    assert count(Ticket, client_id=big.id) == 25
    user = db.session.scalar(db.select(User).filter_by(role="client"))
    assert user.client_id == big.id


def test_entries_lie_in_the_period_in_quarter_hours_with_the_right_subscription(runner):
    assert seed(runner).exit_code == 0
    first, last = period_bounds(last_period())
    low, high = db.session.execute(
        db.select(db.func.min(TimeEntry.work_date), db.func.max(TimeEntry.work_date))
    ).one()
    assert first <= low and high <= last
    wrong = db.session.scalar(
        text(
            "SELECT count(*) FROM time_entry e JOIN ticket t ON t.id = e.ticket_id"
            " JOIN subscription s ON s.id = e.subscription_id"
            " WHERE s.client_id <> t.client_id OR e.minutes % 15 <> 0"
            " OR s.start_date >= :first"
        ),
        {"first": first.isoformat()},
    )
    assert wrong == 0
    # Mostly billable, some not; the mix is the generator's, not the database's default.
    assert 0 < count(TimeEntry, billable=False) < count(TimeEntry, billable=True)


def test_the_same_seed_twice_is_refused_and_adds_nothing(runner):
    assert seed(runner).exit_code == 0
    again = seed(runner)
    assert again.exit_code == 1
    assert "seed 1 is already in this database" in again.output
    assert count(TimeEntry) == 400


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "current"], "has not ended yet"),
        (["--period", "2026-13"], "YYYY-MM"),
        (["--period", "last", "--big-client-tickets", "61"], "cannot exceed --tickets"),
    ],
)
def test_bad_input_is_refused_with_exit_1(runner, args, message):
    period = {"current": period_of(this_month_start()), "last": last_period()}
    args = [period.get(a, a) for a in args]
    sizes = ["--clients", "12", "--tickets", "60", "--entries", "400"]
    result = runner.invoke(args=["seed-load", *sizes, *args])
    assert result.exit_code == 1
    assert message in result.output
    assert count(Client) == 0


def test_a_load_whose_subscriptions_would_cover_a_closed_month_is_refused(runner):
    # Its subscriptions start up to a year before the period: with a closed month among those
    # months they would change that month's bill, which a closed month's never may.
    closed = period_of(this_month_start() - timedelta(days=70))
    close_month(this_month_start() - timedelta(days=70))
    result = seed(runner)
    assert result.exit_code == 1
    assert f"{closed} is closed" in result.output and "would cover a closed month" in result.output
    assert (count(Client), count(Subscription), count(TimeEntry)) == (0, 0, 0)


def test_a_negative_size_is_a_usage_error(runner):
    result = runner.invoke(
        args=["seed-load", "--clients", "-1", "--tickets", "1", "--entries", "1"]
        + ["--period", last_period()]
    )
    assert result.exit_code == 2
    assert "--clients" in result.output
    assert count(Client) == 0


def test_close_over_the_load_uses_a_plain_sum(runner):
    assert seed(runner).exit_code == 0
    period = last_period()
    first, last = period_bounds(period)
    expected = dict(
        db.session.execute(
            text(
                "SELECT e.subscription_id, SUM(e.minutes) FROM time_entry e"
                " JOIN ticket t ON t.id = e.ticket_id"
                " WHERE e.billable AND t.time_tracking"
                " AND e.work_date >= :first AND e.work_date <= :last"
                " GROUP BY e.subscription_id"
            ),
            {"first": first.isoformat(), "last": last.isoformat()},
        ).all()
    )
    result = close_period(period)
    db.session.commit()
    used = dict(
        db.session.execute(
            text("SELECT subscription_id, used_minutes FROM subscription_usage")
        ).all()
    )
    assert {k: v for k, v in used.items() if v} == expected
    assert len(used) == 12  # every subscription gets a usage row, used or not
    assert len(result.invoices) == len({item.client_id for item in result.items})


def test_seed_history_adds_what_the_second_floor_pages_show(app):
    from portal.models import (
        Attachment,
        BillingPeriod,
        HourPool,
        Invoice,
        OutboxMessage,
        Payment,
        PoolUse,
    )
    from portal.seeding.load import seed_history, seed_load

    summary = seed_load(
        clients=30, tickets=60, entries=300, period=last_period(), big_client_tickets=10
    )
    history = seed_history(summary, months=2, entries_per_month=200, credit_notes=3)
    db.session.commit()
    closed = set(db.session.scalars(db.select(BillingPeriod.period)))
    assert closed == set(history["months"]) and last_period() not in closed
    assert count(Invoice) >= 30  # every client billed in at least one closed month
    assert db.session.scalar(db.select(db.func.count()).where(Invoice.kind == "credit_note")) == 3
    paid = db.session.scalars(db.select(Invoice).where(Invoice.status == "Paid")).all()
    assert paid and count(Payment) == len(paid) == history["paid"]
    assert all(p.paid_total == p.total for p in paid)
    kinds = set(db.session.scalars(db.select(OutboxMessage.kind)))
    assert {"invoice_issued", "credit_note_issued", "ticket_reply"} <= kinds
    assert count(HourPool) >= 3 and count(PoolUse) >= 1  # 3 block clients in 30, used
    thread = db.session.get(Ticket, history["thread_ticket_id"])
    assert thread.client_id == summary["big_client_id"] and len(thread.messages) == 41
    assert count(Attachment) == history["rows"]["attachment"] > 40
    block_user = db.session.scalar(db.select(User).filter_by(email=history["block_login"]))
    block_sub = db.session.scalar(
        db.select(Subscription).filter_by(client_id=block_user.client_id, end_date=None)
    )
    assert block_sub.model == "block"
    assert db.session.get(Invoice, history["big_invoice_id"]).client_id == summary["big_client_id"]
