"""SPEC.md "More ways to sell hours": the Flex (rollover) and Block20 (prepaid blocks) worked
examples to the cent, through the services and the close."""

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import BillableItem, HourPool, Invoice, UsageRecord
from portal.services.billing.close import EarlierPeriodOpen, close_period
from portal.services.clients.blocks import top_up
from portal.services.clients.usage import usage_history
from portal.services.errors import DomainError, ValidationFailed
from portal.services.tickets.conversation import set_tracking
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import amounts_by_kind as amounts
from tests.helpers import close_committed as close


def log(ticket, operator, hours, day, billable=True):
    """Log whole or quarter hours through the service and commit."""
    log_time(ticket, operator, TimeInput(int(Decimal(hours) * 60), day, "", billable))
    db.session.commit()


@pytest.fixture
def flex(f):
    """Plan Flex: 10 h, rollover 1 month, no cap, EUR 300/80; the client from 2026-09-01."""
    client = f.client("Flexer", currency_code="EUR")
    plan = f.plan("Flex", hours=10, prices={"EUR": ("300.00", "80.00")}, rollover_months=1)
    subscription = f.subscription(client, plan, date(2026, 9, 1))
    return client, subscription, f.ticket(client), f.user("operator")


def test_flex_worked_example(flex):
    client, subscription, ticket, operator = flex
    log(ticket, operator, 6, date(2026, 9, 10))
    september = close("2026-09")
    assert amounts(september) == {"package_fee": Decimal("300.00")}
    log(ticket, operator, 12, date(2026, 10, 10))
    october = close("2026-10")
    assert amounts(october) == {"package_fee": Decimal("300.00")}
    log(ticket, operator, 13, date(2026, 11, 10))
    november = close("2026-11")
    assert amounts(november) == {"package_fee": Decimal("300.00"), "overtime": Decimal("80.00")}
    records = {
        r.period_id: (r.carried_in_minutes, r.carry_used_minutes, r.carried_out_minutes)
        for r in db.session.scalars(db.select(UsageRecord).filter_by(client_id=client.id))
    }
    assert records == {
        september.period_id: (0, 0, 240),
        october.period_id: (240, 240, 120),
        november.period_id: (120, 120, 0),
    }
    history = {m.period: m for m in usage_history(client, ["2026-10", "2026-11"])}
    assert history["2026-10"].carry_overs[0]["from_period"] == "2026-09"
    assert history["2026-10"].carry_overs[0]["valid_until"] == date(2026, 10, 31)


@pytest.fixture
def delta(f):
    """Plan Block20: 20 h, 3 months, EUR 1,000.00 a block, 70.00 an hour, overtime."""
    client = f.client("Delta", currency_code="EUR")
    subscription = f.subscription(client, f.block_plan(), date(2026, 8, 10))
    return client, subscription, f.ticket(client), f.user("operator")


def test_block20_worked_example(delta):
    client, subscription, ticket, operator = delta
    first = db.session.scalar(db.select(HourPool).filter_by(subscription_id=subscription.id))
    assert (first.valid_from, first.valid_until) == (date(2026, 8, 10), date(2026, 11, 9))
    fees = db.session.scalars(db.select(BillableItem).filter_by(kind="block_fee")).all()
    assert [item.amount for item in fees] == [Decimal("1000.00")]
    assert db.session.get(Invoice, fees[0].invoice_id).total >= Decimal("1000.00")
    log(ticket, operator, 6, date(2026, 8, 20))
    assert amounts(close("2026-08")) == {}
    log(ticket, operator, 15, date(2026, 9, 20))
    assert amounts(close("2026-09")) == {"overtime": Decimal("70.00")}
    pool, invoice = top_up(subscription, date(2026, 10, 5))
    db.session.commit()
    assert pool.valid_until == date(2027, 1, 4)
    assert invoice.net_total == Decimal("1000.00")
    log(ticket, operator, 5, date(2026, 10, 20))
    assert amounts(close("2026-10")) == {}
    october = usage_history(client, ["2026-10"])[0]
    assert october.block_left_minutes == 15 * 60
    assert [(b["minutes"], b["used_minutes"], b["left_minutes"]) for b in october.blocks] == [
        (1200, 1200, 0),
        (1200, 300, 900),
    ]


def test_a_month_waits_for_the_month_before_it(flex):
    with pytest.raises(EarlierPeriodOpen):
        close_period("2026-10")


def test_refuse_turns_billable_time_away_beyond_the_blocks(f):
    client = f.client("Refuser", currency_code="EUR")
    plan = f.plan(
        "Block5",
        model="block",
        prices={"EUR": ("250.00", "70.00")},
        block_minutes=300,
        validity_months=1,
        when_used_up="refuse",
    )
    f.subscription(client, plan, date(2026, 11, 2))
    ticket, operator = f.ticket(client), f.user("operator")
    log(ticket, operator, 4, date(2026, 11, 3))
    with pytest.raises(ValidationFailed) as refused:
        log_time(ticket, operator, TimeInput(120, date(2026, 11, 4), "", True))
    db.session.rollback()
    assert "used up" in refused.value.fields["hours"]
    log(ticket, operator, 2, date(2026, 11, 4), billable=False)
    log_time(ticket, operator, TimeInput(120, date(2026, 11, 4), "", True), top_up=True)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(HourPool)) == 2


def test_switching_tracking_on_cannot_bring_in_time_refuse_would_turn_away(f):
    """Time on a ticket with tracking off does not count; switched back on, it would: beyond
    the blocks of a refuse plan, tracking stays off and nothing changes."""
    client = f.client("Untracked", currency_code="EUR")
    plan = f.block_plan("Block5", hours=5, validity_months=1, when_used_up="refuse")
    f.subscription(client, plan, date(2026, 11, 2))
    first, second, operator = f.ticket(client), f.ticket(client), f.user("operator")
    log(first, operator, 4, date(2026, 11, 3))
    set_tracking(first, False, operator)
    db.session.commit()
    log(second, operator, 4, date(2026, 11, 4))  # the first ticket's time no longer counts
    with pytest.raises(DomainError) as refused:
        set_tracking(first, True, operator)
    db.session.rollback()
    assert refused.value.field == "time_tracking"
    assert "used up" in refused.value.message
    assert db.session.get(type(first), first.id).time_tracking is False
