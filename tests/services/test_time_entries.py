"""Time entry and subscription services: every rule of SPEC.md "Time entries" and
"Subscriptions", called directly inside an app context as a view would."""

import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from portal.extensions import db
from portal.models import PlanPrice, Subscription, TimeEntry
from portal.services.billing.periods import period_of
from portal.services.clients.subscriptions import active_subscription, assign_plan
from portal.services.errors import DomainError, ValidationFailed
from portal.services.settings import business_today
from portal.services.tickets.conversation import set_tracking
from portal.services.tickets.time_entries import (
    NOTE_MAX,
    NotAllowed,
    PeriodClosed,
    TimeInput,
    delete_time_entry,
    edit_time_entry,
    log_time,
)
from tests.helpers import (
    audit_rows,
    bearer,
    close_month,
    count,
    last_month_day,
    last_month_end,
    last_month_start,
    this_month_start,
    today,
    until_someone_waits,
)


@dataclass
class Shop:
    client: object
    plan: object
    ticket: object
    operator: object
    other_operator: object
    admin: object


@pytest.fixture
def shop(f) -> Shop:
    """An EUR client without a subscription, a tracked ticket, a plan, and staff."""
    client = f.client(currency_code="EUR")
    return Shop(
        client=client,
        plan=f.plan(prices={"EUR": ("200.00", "60.00")}, hours=10),
        ticket=f.ticket(client),
        operator=f.user("operator"),
        other_operator=f.user("operator"),
        admin=f.user("admin"),
    )


@pytest.fixture
def subscribed(shop, f) -> Shop:
    """The shop's client subscribed since the first day of the previous month."""
    f.subscription(shop.client, shop.plan, last_month_start())
    return shop


def log(shop: Shop, minutes=90, work_date=None, note="", billable=True, actor=None, assign=None):
    """Log time as the shop's operator (or `actor`) and commit, as the view does."""
    entry = log_time(
        shop.ticket,
        actor or shop.operator,
        TimeInput(minutes, work_date or today(), note, billable),
        assign=assign,
    )
    db.session.commit()
    return entry


# --- log_time


def test_log_time_links_entry_to_the_subscription_active_on_its_work_date(shop, f):
    earlier = f.subscription(shop.client, shop.plan, last_month_start())
    f.update(earlier, end_date=last_month_end())
    later = f.subscription(shop.client, f.plan(), this_month_start())

    in_last_month = log(shop, 90, last_month_day())
    in_this_month = log(shop, 60, this_month_start())

    assert in_last_month.subscription_id == earlier.id
    assert in_this_month.subscription_id == later.id
    assert (in_last_month.minutes, in_last_month.work_date) == (90, last_month_day())
    assert in_last_month.operator_id == shop.operator.id
    assert in_last_month.ticket_id == shop.ticket.id
    assert in_last_month.billable is True
    assert count(TimeEntry) == 2


def test_non_billable_entry_needs_no_subscription(shop):
    entry = log(shop, 60, billable=False)

    assert entry.id is not None
    assert entry.billable is False
    assert entry.subscription_id is None
    assert count(Subscription) == 0


def test_non_billable_entry_is_linked_to_the_active_subscription_when_there_is_one(subscribed):
    entry = log(subscribed, 60, billable=False)

    assert entry.billable is False
    assert entry.subscription_id == active_subscription(subscribed.client.id, today()).id


def test_billable_entry_without_subscription_is_refused_on_plan(shop):
    with pytest.raises(ValidationFailed) as caught:
        log_time(shop.ticket, shop.operator, TimeInput(60, today()))
    db.session.rollback()

    assert "plan" in caught.value.fields
    assert count(TimeEntry) == 0


def test_future_work_date_is_refused(subscribed):
    tomorrow = business_today() + timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        log_time(subscribed.ticket, subscribed.operator, TimeInput(60, tomorrow))
    db.session.rollback()

    assert "work_date" in caught.value.fields
    assert "future" in caught.value.fields["work_date"]
    assert count(TimeEntry) == 0


def test_today_is_not_the_future(subscribed):
    assert log(subscribed, 15, today()).work_date == today()


def test_work_date_in_a_closed_month_is_refused(subscribed):
    close_month(last_month_day())
    with pytest.raises(ValidationFailed) as caught:
        log_time(subscribed.ticket, subscribed.operator, TimeInput(60, last_month_day()))
    db.session.rollback()

    assert "work_date" in caught.value.fields
    assert period_of(last_month_day()) in caught.value.fields["work_date"]
    assert count(TimeEntry) == 0


def test_non_billable_entry_in_a_closed_month_is_refused_too(shop):
    close_month(last_month_day())
    with pytest.raises(ValidationFailed) as caught:
        log_time(shop.ticket, shop.operator, TimeInput(60, last_month_day(), billable=False))
    db.session.rollback()

    assert "work_date" in caught.value.fields
    assert count(TimeEntry) == 0


def test_ticket_without_time_tracking_is_refused_on_hours(subscribed, f):
    untracked = f.ticket(subscribed.client, tracking=False)
    with pytest.raises(ValidationFailed) as caught:
        log_time(untracked, subscribed.operator, TimeInput(60, today()))
    db.session.rollback()

    assert "hours" in caught.value.fields
    assert count(TimeEntry) == 0


def test_note_over_500_characters_is_refused(subscribed):
    with pytest.raises(ValidationFailed) as caught:
        log_time(
            subscribed.ticket, subscribed.operator, TimeInput(60, today(), "x" * (NOTE_MAX + 1))
        )
    db.session.rollback()

    assert "note" in caught.value.fields
    assert count(TimeEntry) == 0


def test_note_of_exactly_500_characters_is_kept(subscribed):
    entry = log(subscribed, 60, note="x" * NOTE_MAX)
    db.session.expire_all()

    assert db.session.get(TimeEntry, entry.id).note == "x" * NOTE_MAX


def test_assign_creates_a_subscription_from_the_work_date_with_a_price_snapshot(f):
    client = f.client(currency_code="PLN")
    plan = f.plan(prices={"EUR": ("200.00", "60.00"), "PLN": ("850.00", "250.00")}, hours=10)
    ticket = f.ticket(client)
    operator = f.user("operator")

    entry = log_time(ticket, operator, TimeInput(90, last_month_day()), assign=plan)
    db.session.commit()
    db.session.expire_all()

    subs = list(db.session.scalars(db.select(Subscription)))
    assert len(subs) == 1
    sub = subs[0]
    assert entry.subscription_id == sub.id
    assert sub.client_id == client.id
    assert sub.plan_id == plan.id
    assert sub.start_date == last_month_day()
    assert sub.end_date is None
    assert sub.currency.code == "PLN"
    assert sub.model == "package"
    assert sub.fee == Decimal("850.00")
    assert sub.rate == Decimal("250.00")
    assert sub.included_minutes == 600
    assert sub.created_by_id == operator.id


def test_assign_is_refused_when_the_client_already_has_a_subscription_that_day(subscribed, f):
    other_plan = f.plan()
    with pytest.raises(ValidationFailed) as caught:
        log_time(subscribed.ticket, subscribed.operator, TimeInput(60, today()), assign=other_plan)
    db.session.rollback()

    assert "plan" in caught.value.fields
    assert count(Subscription) == 1
    assert count(TimeEntry) == 0


def test_assign_of_an_inactive_plan_saves_nothing(shop, f):
    inactive = f.plan(active=False)
    with pytest.raises(DomainError) as caught:
        log_time(shop.ticket, shop.operator, TimeInput(60, today()), assign=inactive)
    db.session.rollback()

    assert caught.value.field == "plan"
    assert count(Subscription) == 0
    assert count(TimeEntry) == 0


def test_every_create_is_written_to_the_audit_log(subscribed):
    first = log(subscribed, 90, note="  diagnosed  ")
    second = log(subscribed, 15, billable=False, actor=subscribed.admin)

    rows = audit_rows("time_entry.create")
    assert [r.object_id for r in rows] == [first.id, second.id]
    assert [r.user_id for r in rows] == [subscribed.operator.id, subscribed.admin.id]
    assert all(r.object_type == "time_entry" for r in rows)
    assert rows[0].before is None
    assert rows[0].after["minutes"] == 90
    assert rows[0].after["note"] == "diagnosed"
    assert rows[0].after["work_date"] == today().isoformat()
    assert rows[1].after["minutes"] == 15
    assert rows[1].after["billable"] is False


# --- edit_time_entry / delete_time_entry


def test_author_may_edit_own_entry(subscribed):
    entry = log(subscribed, 90)
    edit_time_entry(entry, subscribed.operator, TimeInput(120, today(), "more work", True))
    db.session.commit()
    db.session.expire_all()

    saved = db.session.get(TimeEntry, entry.id)
    assert (saved.minutes, saved.note) == (120, "more work")


def test_another_operator_may_not_edit_an_entry(subscribed):
    entry = log(subscribed, 90)
    with pytest.raises(NotAllowed):
        edit_time_entry(entry, subscribed.other_operator, TimeInput(120, today()))
    db.session.rollback()

    assert db.session.get(TimeEntry, entry.id).minutes == 90
    assert audit_rows("time_entry.update") == []


def test_another_operator_may_not_delete_an_entry(subscribed):
    entry = log(subscribed, 90)
    with pytest.raises(NotAllowed):
        delete_time_entry(entry, subscribed.other_operator)
    db.session.rollback()

    assert db.session.get(TimeEntry, entry.id) is not None
    assert audit_rows("time_entry.delete") == []


def test_admin_may_edit_anyones_entry(subscribed):
    entry = log(subscribed, 90)
    edit_time_entry(entry, subscribed.admin, TimeInput(45, today(), "", False))
    db.session.commit()
    db.session.expire_all()

    saved = db.session.get(TimeEntry, entry.id)
    assert (saved.minutes, saved.billable) == (45, False)
    assert saved.operator_id == subscribed.operator.id  # still the author's entry


def test_admin_may_delete_anyones_entry(subscribed):
    entry = log(subscribed, 90)
    delete_time_entry(entry, subscribed.admin)
    db.session.commit()

    assert count(TimeEntry) == 0


def test_author_may_delete_own_entry(subscribed):
    entry = log(subscribed, 90)
    delete_time_entry(entry, subscribed.operator)
    db.session.commit()

    assert count(TimeEntry) == 0


@pytest.mark.parametrize("who", ["operator", "admin"])
def test_editing_an_entry_in_a_closed_month_raises_period_closed(subscribed, who):
    entry = log(subscribed, 90, last_month_day())
    close_month(last_month_day())

    with pytest.raises(PeriodClosed) as caught:
        edit_time_entry(entry, getattr(subscribed, who), TimeInput(120, last_month_day()))
    db.session.rollback()

    assert caught.value.code == "period_closed"
    assert caught.value.status == 409
    assert db.session.get(TimeEntry, entry.id).minutes == 90


def test_moving_an_entry_out_of_a_closed_month_raises_period_closed(subscribed):
    entry = log(subscribed, 90, last_month_day())
    close_month(last_month_day())

    with pytest.raises(PeriodClosed):
        edit_time_entry(entry, subscribed.operator, TimeInput(90, today()))
    db.session.rollback()

    assert db.session.get(TimeEntry, entry.id).work_date == last_month_day()


@pytest.mark.parametrize("who", ["operator", "admin"])
def test_deleting_an_entry_in_a_closed_month_raises_period_closed(subscribed, who):
    entry = log(subscribed, 90, last_month_day())
    close_month(last_month_day())

    with pytest.raises(PeriodClosed) as caught:
        delete_time_entry(entry, getattr(subscribed, who))
    db.session.rollback()

    assert caught.value.code == "period_closed"
    assert caught.value.status == 409
    assert db.session.get(TimeEntry, entry.id) is not None


def test_moving_an_entry_into_a_closed_month_is_refused(subscribed):
    entry = log(subscribed, 90, today())
    close_month(last_month_day())

    with pytest.raises(DomainError) as caught:
        edit_time_entry(entry, subscribed.operator, TimeInput(90, last_month_day()))
    db.session.rollback()

    assert "work_date" in caught.value.fields
    assert db.session.get(TimeEntry, entry.id).work_date == today()


def test_moving_an_entry_into_the_future_is_refused(subscribed):
    entry = log(subscribed, 90, today())

    with pytest.raises(ValidationFailed) as caught:
        edit_time_entry(
            entry, subscribed.operator, TimeInput(90, business_today() + timedelta(days=1))
        )
    db.session.rollback()

    assert "work_date" in caught.value.fields
    assert db.session.get(TimeEntry, entry.id).work_date == today()


def test_moving_an_entry_relinks_it_to_the_subscription_of_its_new_date(shop, f):
    earlier = f.subscription(shop.client, shop.plan, last_month_start())
    f.update(earlier, end_date=last_month_end())
    later = f.subscription(shop.client, f.plan(), this_month_start())
    entry = log(shop, 90, this_month_start())
    assert entry.subscription_id == later.id

    edit_time_entry(entry, shop.operator, TimeInput(90, last_month_day()))
    db.session.commit()

    assert db.session.get(TimeEntry, entry.id).subscription_id == earlier.id


def test_edit_is_written_to_the_audit_log_with_before_and_after(subscribed):
    entry = log(subscribed, 90, note="first look")
    edit_time_entry(entry, subscribed.admin, TimeInput(120, today(), "fixed", True))
    db.session.commit()

    [row] = audit_rows("time_entry.update")
    assert row.object_id == entry.id
    assert row.user_id == subscribed.admin.id
    assert row.before["minutes"] == 90
    assert row.before["note"] == "first look"
    assert row.after["minutes"] == 120
    assert row.after["note"] == "fixed"
    assert row.before != row.after


def test_delete_is_written_to_the_audit_log_with_before(subscribed):
    entry = log(subscribed, 90, note="gone soon")
    entry_id = entry.id
    delete_time_entry(entry, subscribed.operator)
    db.session.commit()

    [row] = audit_rows("time_entry.delete")
    assert row.object_id == entry_id
    assert row.user_id == subscribed.operator.id
    assert row.before["minutes"] == 90
    assert row.before["note"] == "gone soon"
    assert row.after is None


# --- assign_plan


def test_assign_plan_snapshots_fee_rate_and_included_minutes(shop):
    sub = assign_plan(shop.client, shop.plan, this_month_start(), shop.admin)
    db.session.commit()
    db.session.expire_all()

    sub = db.session.get(Subscription, sub.id)
    assert sub.start_date == this_month_start()
    assert sub.model == "package"
    assert sub.fee == Decimal("200.00")
    assert sub.rate == Decimal("60.00")
    assert sub.included_minutes == 600
    assert sub.currency_id == shop.client.currency_id
    assert sub.prorate is True
    [row] = audit_rows("subscription.assign")
    assert row.object_id == sub.id
    assert Decimal(row.after["fee"]) == Decimal("200.00")
    assert Decimal(row.after["rate"]) == Decimal("60.00")
    assert row.after["included_minutes"] == 600


def test_assign_plan_of_an_hourly_plan_snapshots_no_fee_and_no_included_hours(shop, f):
    hourly = f.plan(model="hourly", prices={"EUR": ("0.00", "75.00")})
    sub = assign_plan(shop.client, hourly, this_month_start())
    db.session.commit()
    db.session.expire_all()

    sub = db.session.get(Subscription, sub.id)
    assert sub.model == "hourly"
    assert sub.fee == Decimal("0")
    assert sub.rate == Decimal("75.00")
    assert sub.included_minutes == 0


def test_assign_plan_refuses_an_inactive_plan(shop, f):
    inactive = f.plan(active=False)
    with pytest.raises(DomainError) as caught:
        assign_plan(shop.client, inactive, this_month_start())
    db.session.rollback()

    assert caught.value.field == "plan"
    assert "inactive" in caught.value.message
    assert count(Subscription) == 0


def test_assign_plan_refuses_a_plan_without_a_price_in_the_clients_currency(f):
    usd_client = f.client(currency_code="USD")
    eur_only = f.plan(prices={"EUR": ("200.00", "60.00")})
    with pytest.raises(DomainError) as caught:
        assign_plan(usd_client, eur_only, this_month_start())
    db.session.rollback()

    assert caught.value.field == "plan"
    assert "USD" in caught.value.message
    assert count(Subscription) == 0


def test_assign_plan_refuses_to_overlap_an_existing_subscription(subscribed, f):
    other = f.plan()
    for start in (today(), last_month_start(), last_month_start() - timedelta(days=30)):
        with pytest.raises(DomainError) as caught:
            assign_plan(subscribed.client, other, start)
        db.session.rollback()
        assert caught.value.field == "plan"
    assert count(Subscription) == 1


def test_assign_plan_is_allowed_after_the_previous_subscription_ended(shop, f):
    first = f.subscription(shop.client, shop.plan, last_month_start())
    f.update(first, end_date=last_month_end())

    second = assign_plan(shop.client, f.plan(), this_month_start())
    db.session.commit()

    assert second.start_date == this_month_start()
    assert count(Subscription) == 2


def test_a_later_price_change_does_not_touch_existing_subscriptions(subscribed):
    sub = active_subscription(subscribed.client.id, today())
    price = db.session.scalar(db.select(PlanPrice).filter_by(plan_id=subscribed.plan.id))
    price.fee = Decimal("999.00")
    price.rate = Decimal("123.00")
    subscribed.plan.included_minutes = 1200
    db.session.commit()
    db.session.expire_all()

    sub = db.session.get(Subscription, sub.id)
    assert sub.fee == Decimal("200.00")
    assert sub.rate == Decimal("60.00")
    assert sub.included_minutes == 600


# --- a close committing while an entry waits for the period lock (PostgreSQL only)


@pytest.fixture
def other_connection(app):
    """A second database connection, as a concurrent billing run would have."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("period locks are PostgreSQL advisory locks; SQLite serialises writers")
    engine = create_engine(db.engine.url)
    yield engine
    engine.dispose()


def while_a_close_commits(engine, day: date, action):
    """Run `action` while another connection closes the month of `day`.

    The other connection holds the period's exclusive lock with its period row not yet
    committed, and commits only once `action` is waiting for a lock it holds (the period's,
    or the period table's), so `action` has passed its own early checks by then.
    """
    period = period_of(day)
    key = int(period.replace("-", ""))
    conn = engine.connect()
    conn.execute(text("SELECT pg_advisory_xact_lock(21320, :key)"), {"key": key})
    conn.execute(
        text("INSERT INTO billing_period (period, closed_at) VALUES (:p, now())"), {"p": period}
    )
    waited = []

    def commit_once_waited_for():
        if until_someone_waits(conn):
            waited.append(True)
        conn.commit()
        conn.close()

    closer = threading.Thread(target=commit_once_waited_for)
    closer.start()
    try:
        return action()
    finally:
        closer.join()
        assert waited, "the action never waited for the close"


def test_log_time_refuses_a_month_closed_while_it_waited_for_the_lock(subscribed, other_connection):
    with pytest.raises(ValidationFailed) as caught:
        while_a_close_commits(
            other_connection,
            last_month_day(),
            lambda: log_time(
                subscribed.ticket, subscribed.operator, TimeInput(60, last_month_day())
            ),
        )
    db.session.rollback()

    assert "work_date" in caught.value.fields
    assert count(TimeEntry) == 0


def test_moving_an_entry_refuses_a_month_closed_while_it_waited_for_the_lock(
    subscribed, other_connection
):
    entry = log(subscribed, 90, today())

    with pytest.raises(DomainError):
        while_a_close_commits(
            other_connection,
            last_month_day(),
            lambda: edit_time_entry(entry, subscribed.operator, TimeInput(90, last_month_day())),
        )
        db.session.commit()
    db.session.rollback()

    assert db.session.get(TimeEntry, entry.id).work_date == today()


def test_assigning_a_plan_waits_for_a_close_and_then_refuses_to_cover_it(shop, other_connection):
    before_it = last_month_start() - timedelta(days=10)  # in the open month before

    with pytest.raises(DomainError) as caught:
        while_a_close_commits(
            other_connection,
            last_month_day(),
            lambda: assign_plan(shop.client, shop.plan, before_it, shop.admin),
        )
    db.session.rollback()

    assert caught.value.field == "start_date" and "is closed" in caught.value.message
    assert count(Subscription) == 0


def test_an_on_the_spot_plan_waits_for_a_close_and_then_refuses_to_cover_it(shop, other_connection):
    before_it = last_month_start() - timedelta(days=10)

    with pytest.raises(ValidationFailed) as caught:
        while_a_close_commits(
            other_connection,
            last_month_day(),
            lambda: log_time(
                shop.ticket, shop.operator, TimeInput(60, before_it), assign=shop.plan
            ),
        )
    db.session.rollback()

    assert "is closed: a plan can start from" in caught.value.fields["work_date"]
    assert (count(Subscription), count(TimeEntry)) == (0, 0)


def test_a_note_of_500_characters_with_surrounding_spaces_is_kept_trimmed(subscribed):
    entry = log_time(
        subscribed.ticket, subscribed.operator, TimeInput(15, today(), "  " + "n" * 500 + " ")
    )
    db.session.commit()
    assert entry.note == "n" * 500


def while_a_top_up_holds_the_subscription(engine, subscription_id: int, ticket_id: int, action):
    """Run `action` while another connection does what a top-up with time does: hold the
    subscription's row, then (once `action` waits for it) update the ticket's row, and
    commit. Returns the other connection's error, if any."""
    conn = engine.connect()
    conn.execute(
        text("SELECT id FROM subscription WHERE id = :id FOR NO KEY UPDATE"),
        {"id": subscription_id},
    )
    waited, errors = [], []

    def touch_the_ticket_once_waited_for():
        try:
            if until_someone_waits(conn):
                waited.append(True)
            conn.execute(
                text("UPDATE ticket SET updated_at = now() WHERE id = :id"), {"id": ticket_id}
            )
            conn.commit()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            conn.close()

    other = threading.Thread(target=touch_the_ticket_once_waited_for)
    other.start()
    action_result = None
    try:
        action_result = action()
        db.session.commit()
    finally:
        other.join(15)
    assert waited, f"the action never waited for the subscription's row (it gave {action_result!r})"
    return errors


def test_time_logged_takes_the_subscription_before_the_ticket_as_a_top_up_does(
    subscribed, other_connection
):
    """A top-up holds the subscription's row and then updates the ticket's. Time logged
    updated the ticket's row first and then waited for the subscription's (to decide its
    usage alert): the two deadlocked. It now takes the subscription's row first."""
    subscription = active_subscription(subscribed.client.id, today())
    errors = while_a_top_up_holds_the_subscription(
        other_connection,
        subscription.id,
        subscribed.ticket.id,
        lambda: log_time(subscribed.ticket, subscribed.operator, TimeInput(60, today())),
    )

    assert errors == []
    assert count(TimeEntry) == 1


def test_an_edited_entry_takes_the_subscription_before_the_ticket(subscribed, other_connection):
    """Editing an entry shares its ticket's row (the hours report's trigger) and then
    decides the alert under the subscription's row: the same order as logging it."""
    entry = log(subscribed, 30, today())
    subscription = active_subscription(subscribed.client.id, today())
    errors = while_a_top_up_holds_the_subscription(
        other_connection,
        subscription.id,
        subscribed.ticket.id,
        lambda: edit_time_entry(entry, subscribed.operator, TimeInput(90, today())),
    )

    assert errors == []
    assert db.session.get(TimeEntry, entry.id).minutes == 90


def test_switching_tracking_on_takes_the_subscriptions_before_the_ticket(
    subscribed, other_connection
):
    entry = log(subscribed, 30, today())
    subscribed.ticket.time_tracking = False
    db.session.commit()
    subscription = active_subscription(subscribed.client.id, today())
    errors = while_a_top_up_holds_the_subscription(
        other_connection,
        subscription.id,
        subscribed.ticket.id,
        lambda: set_tracking(subscribed.ticket, True, subscribed.operator),
    )

    assert errors == []
    assert db.session.get(TimeEntry, entry.id).ticket.time_tracking is True


def test_the_api_switches_tracking_before_the_status_so_the_subscription_comes_first(
    subscribed, other_connection, client, f
):
    """PATCH with a status and tracking on: the status's UPDATE took the ticket's row
    before tracking took the subscriptions', the order a top-up reverses."""
    log(subscribed, 30, today())
    subscribed.ticket.time_tracking = False
    db.session.commit()
    subscription = active_subscription(subscribed.client.id, today())
    token = bearer(f.api_token(subscribed.operator))
    db.session.commit()  # the request reads the token on its own connection
    answers = []

    def patch():
        answers.append(
            client.patch(
                f"/api/v1/tickets/{subscribed.ticket.id}",
                json={"status": "On Hold", "time_tracking": True},
                headers=token,
            )
        )
        return answers[-1].status_code, answers[-1].get_data(as_text=True)[:300]

    errors = while_a_top_up_holds_the_subscription(
        other_connection, subscription.id, subscribed.ticket.id, patch
    )

    assert errors == []
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json["time_tracking"] is True
