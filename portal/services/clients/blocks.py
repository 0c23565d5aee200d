"""Prepaid blocks: buying one (with the plan, or as a top-up), invoiced at once, and the
`refuse` rule for billable time once the blocks are used up."""

from datetime import date

from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.models import BillableItem, HourPool, Invoice, ItemKind, Subscription
from portal.money import format_hours
from portal.services import audit
from portal.services.billing.invoices import item_row, plan_invoices
from portal.services.billing.ledger import bill_months, block_validity, months_between
from portal.services.billing.periods import is_period_closed, lock_period, month_name, period_of
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today


def top_up_refusal(subscription: Subscription, day: object) -> dict[str, str]:
    """Why a block cannot be bought for the subscription on `day`, as field -> message."""
    if subscription.model != "block":
        return {
            "subscription": "Only a prepaid-block plan is topped up: this subscription is "
            f"{subscription.model}."
        }
    if not isinstance(day, date):
        return {"date": "Enter the top-up's date, e.g. 2026-10-05."}
    if day > business_today():
        return {"date": "A top-up cannot be dated in the future."}
    if not subscription.is_active_on(day):
        until = f" to {subscription.end_date:%Y-%m-%d}" if subscription.end_date else ""
        return {
            "date": f"The subscription runs from {subscription.start_date:%Y-%m-%d}{until}: "
            "date the top-up within it."
        }
    lock_period(period_of(day), exclusive=False)  # a close of that month waits for us
    if is_period_closed(period_of(day)):
        return {"date": f"{period_of(day)} is closed: date the top-up in an open month."}
    return {}


def buy_block(subscription: Subscription, day: date, actor=None) -> tuple[HourPool, Invoice]:
    """Buy one block of the subscription's hours on `day`, valid for its validity months,
    and invoice it at once: a `block_fee` item on an invoice of its own (same series,
    mailed like every invoice). The caller has checked the date (top_up_refusal)."""
    valid_from, valid_until = block_validity(day, subscription.validity_months)
    hours = format_hours(subscription.block_minutes)
    item = BillableItem(
        client_id=subscription.client_id,
        subscription_id=subscription.id,
        period_id=None,
        kind=ItemKind.BLOCK_FEE.value,
        description=(
            f"{subscription.plan.name} prepaid hours: {hours} h, "
            f"valid {valid_from:%Y-%m-%d} to {valid_until:%Y-%m-%d}"
        ),
        minutes=subscription.block_minutes,
        quantity=1,
        unit_rate=subscription.fee,
        amount=subscription.fee,
        currency_id=subscription.currency_id,
        work_date=day,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(item)
    db.session.flush()
    pool = HourPool(
        client_id=subscription.client_id,
        subscription_id=subscription.id,
        kind="block",
        minutes=subscription.block_minutes,
        valid_from=valid_from,
        valid_until=valid_until,
        item_id=item.id,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(pool)
    db.session.flush()
    batch = plan_invoices([{"id": item.id, **item_row(item)}], None, actor)
    batch.insert()
    set_committed_value(item, "invoice_id", batch.invoice_of[item.id])
    audit.record(
        actor,
        "block.purchase",
        "hour_pool",
        pool.id,
        after={
            "subscription_id": subscription.id,
            "minutes": pool.minutes,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "price": subscription.fee,
            "invoice_id": item.invoice_id,
        },
    )
    return pool, db.session.get(Invoice, item.invoice_id)


def top_up(subscription: Subscription, day: object, actor=None) -> tuple[HourPool, Invoice]:
    """A top-up: another block for a block subscription, dated in an open month, not ahead."""
    _lock(subscription)
    if errors := top_up_refusal(subscription, day):
        raise ValidationFailed(errors)
    return buy_block(subscription, day, actor)


def _lock(subscription: Subscription) -> None:
    """Serialise changes to one subscription's blocks (two top-ups, a top-up and time).

    FOR NO KEY UPDATE on PostgreSQL: two of these wait for each other, but not for the
    key-share locks that inserting a row which refers to the subscription takes (a time
    entry just flushed, a close writing its usage), which would deadlock with FOR UPDATE.
    """
    db.session.execute(
        db.select(Subscription.id)
        .where(Subscription.id == subscription.id)
        .with_for_update(key_share=True)
    )


def check_refuse(subscription_id: int | None, work_date: date) -> None:
    """Under `refuse`, billable time beyond the blocks is refused: call after the entry is
    flushed; raises (the request rolls back) when the month now needs overtime, or a later
    open month does (time in an earlier month takes the hours it relied on first)."""
    if subscription_id is None:
        return
    subscription = db.session.get(Subscription, subscription_id)
    if subscription.model != "block" or subscription.when_used_up != "refuse":
        return
    _lock(subscription)
    periods = months_between(period_of(work_date), period_of(business_today()))
    periods = periods or [period_of(work_date)]
    billed = bill_months(periods, subscription_ids=[subscription_id])
    for period in periods:
        bill = next((month.bill for month in billed.get(period, [])), None)
        if bill is not None and bill.overtime_minutes > 0:
            raise ValidationFailed(
                {
                    "hours": (
                        f"The prepaid hours of {subscription.plan.name} for {month_name(period)} "
                        f"are used up: {format_hours(bill.block_in_minutes)} h available, "
                        f"{format_hours(bill.used_minutes)} h billable with this time. Top up the "
                        "client's hours first, or log the time as non-billable."
                    )
                }
            )


def block_balance(subscription: Subscription, period: str | None = None) -> dict | None:
    """A block subscription's balance for a month (this one by default): hours left going
    in, used, and left, for the ticket page and the top-up prompts. None for other models."""
    if subscription is None or subscription.model != "block":
        return None
    period = period or period_of(business_today())
    months = bill_months([period], subscription_ids=[subscription.id]).get(period, [])
    if not months:
        return None
    bill = months[0].bill
    left = max(0, bill.block_in_minutes - bill.block_used_minutes)
    return {
        "period": period,
        "in_minutes": bill.block_in_minutes,
        "used_minutes": bill.used_minutes,
        "left_minutes": left,
        "overtime_minutes": bill.overtime_minutes,
        "low": left < subscription.block_minutes // 4,
    }
