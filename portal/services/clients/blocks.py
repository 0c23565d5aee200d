"""Prepaid blocks: buying one (with the plan, or as a top-up), invoiced at once, and the
`refuse` rule for billable time once the blocks are used up."""

from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.formatting import format_day, value_label
from portal.i18n import speaking
from portal.models import BillableItem, HourPool, Invoice, ItemKind, Subscription
from portal.money import format_hours, local_number
from portal.services import audit
from portal.services.billing.invoices import buyer_terms, item_row, plan_invoices
from portal.services.billing.ledger import bill_months, block_validity, months_between
from portal.services.billing.periods import (
    hold_subscription,
    is_period_closed,
    lock_period,
    month_name,
    period_of,
)
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today


def top_up_refusal(subscription: Subscription, day: object) -> dict[str, str]:
    """Why a block cannot be bought for the subscription on `day`, as field -> message."""
    if subscription.model != "block":
        return {
            "subscription": _(
                "Only a prepaid-block plan is topped up: this subscription is %(model)s.",
                model=value_label(subscription.model),
            )
        }
    if not isinstance(day, date):
        return {
            "date": _(
                "Enter the top-up's date, e.g. %(example)s.", example=format_day(date(2026, 10, 5))
            )
        }
    if day > business_today():
        return {"date": _("A top-up cannot be dated in the future.")}
    if not subscription.is_active_on(day):
        start = format_day(subscription.start_date)
        if subscription.end_date:
            runs = _(
                "The subscription runs from %(start)s to %(end)s: date the top-up within it.",
                start=start,
                end=format_day(subscription.end_date),
            )
        else:
            runs = _(
                "The subscription runs from %(start)s: date the top-up within it.", start=start
            )
        return {"date": runs}
    lock_period(period_of(day), exclusive=False)  # a close of that month waits for us
    if is_period_closed(period_of(day)):
        return {
            "date": _(
                "%(period)s is closed: date the top-up in an open month.", period=period_of(day)
            )
        }
    return {}


def buy_block(subscription: Subscription, day: date, actor=None) -> tuple[HourPool, Invoice]:
    """Buy one block of the subscription's hours on `day`, valid for its validity months,
    and invoice it at once: a `block_fee` item on an invoice of its own (same series,
    mailed like every invoice). The caller has checked the date (top_up_refusal).

    The item's text is written in the client's language, read with the buyer the invoice
    takes anyway (no query of its own)."""
    valid_from, valid_until = block_validity(day, subscription.validity_months)
    terms = buyer_terms([subscription.client_id])
    with speaking(terms[subscription.client_id].language):
        description = _(
            "%(plan)s prepaid hours: %(hours)s h, valid %(valid_from)s to %(valid_until)s",
            plan=subscription.plan.name,
            hours=local_number(format_hours(subscription.block_minutes)),
            valid_from=format_day(valid_from),
            valid_until=format_day(valid_until),
        )
    item = BillableItem(
        client_id=subscription.client_id,
        subscription_id=subscription.id,
        period_id=None,
        kind=ItemKind.BLOCK_FEE.value,
        description=description,
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
    batch = plan_invoices([{"id": item.id, **item_row(item)}], None, actor, terms)
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
    hold_subscription(subscription.id)
    if errors := top_up_refusal(subscription, day):
        raise ValidationFailed(errors)
    return buy_block(subscription, day, actor)


def check_refuse(subscription_id: int | None, work_date: date) -> None:
    """Under `refuse`, billable time beyond the blocks is refused: call after the entry is
    flushed; raises (the request rolls back) when the month now needs overtime, or a later
    open month does (time in an earlier month takes the hours it relied on first)."""
    if subscription_id is None:
        return
    subscription = db.session.get(Subscription, subscription_id)
    if subscription.model != "block" or subscription.when_used_up != "refuse":
        return
    hold_subscription(subscription.id)
    periods = months_between(period_of(work_date), period_of(business_today()))
    periods = periods or [period_of(work_date)]
    billed = bill_months(periods, subscription_ids=[subscription_id])
    for period in periods:
        bill = next((month.bill for month in billed.get(period, [])), None)
        if bill is not None and bill.overtime_minutes > 0:
            raise ValidationFailed(
                {
                    "hours": _(
                        "The prepaid hours of %(plan)s for %(month)s are used up: %(available)s h "
                        "available, %(billable)s h billable with this time. Top up the client's "
                        "hours first, or log the time as non-billable.",
                        plan=subscription.plan.name,
                        month=month_name(period),
                        available=local_number(format_hours(bill.block_in_minutes)),
                        billable=local_number(format_hours(bill.used_minutes)),
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
    return balance(
        subscription,
        period,
        in_minutes=bill.block_in_minutes,
        block_used_minutes=bill.block_used_minutes,
        used_minutes=bill.used_minutes,
        overtime_minutes=bill.overtime_minutes,
    )


def balance(
    subscription: Subscription,
    period: str,
    *,
    in_minutes: int,
    block_used_minutes: int,
    used_minutes: int,
    overtime_minutes: int,
) -> dict:
    """A block subscription's balance of a month from its bill's figures: what the pages
    show, and "low" under a quarter of one block left."""
    left = max(0, in_minutes - block_used_minutes)
    return {
        "period": period,
        "in_minutes": in_minutes,
        "used_minutes": used_minutes,
        "left_minutes": left,
        "overtime_minutes": overtime_minutes,
        "low": left < subscription.block_minutes // 4,
    }
