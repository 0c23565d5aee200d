"""Subscriptions: which one covers a day, and assigning a plan with a price snapshot."""

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _

from portal.extensions import db
from portal.formatting import format_day, value_label
from portal.i18n import N_
from portal.models import (
    BillableItem,
    Client,
    Plan,
    PlanPrice,
    Subscription,
    TimeEntry,
    UsageRecord,
)
from portal.services import audit
from portal.services.billing.periods import (
    hold_closes,
    latest_closed_period,
    period_bounds,
    period_of,
)
from portal.services.clients.blocks import buy_block
from portal.services.errors import DomainError
from portal.services.settings import business_today


def active_subscription(client_id: int, day: date) -> Subscription | None:
    """The client's subscription active on `day` (they never overlap, so at most one)."""
    return db.session.scalar(
        db.select(Subscription).where(
            Subscription.client_id == client_id,
            Subscription.start_date <= day,
            (Subscription.end_date.is_(None)) | (Subscription.end_date >= day),
        )
    )


def assignable_plans(client: Client) -> list[Plan]:
    """Active plans priced in the client's currency: what may be assigned to it."""
    return list(
        db.session.scalars(
            db.select(Plan)
            .join(PlanPrice)
            .where(Plan.active, PlanPrice.currency_id == client.currency_id)
            .order_by(Plan.name)
        )
    )


def overlap_error(client: Client, start_date: date) -> str | None:
    """Why an open-ended subscription from `start_date` would overlap one of the client's."""
    clash = db.session.scalar(
        db.select(Subscription)
        .where(
            Subscription.client_id == client.id,
            (Subscription.end_date.is_(None)) | (Subscription.end_date >= start_date),
        )
        .order_by(Subscription.start_date)
        .limit(1)
    )
    if clash is None:
        return None
    if clash.end_date:
        return _(
            "%(client)s already has a subscription from %(start)s to %(end)s; subscriptions "
            "may not overlap.",
            client=client.name,
            start=format_day(clash.start_date),
            end=format_day(clash.end_date),
        )
    return _(
        "%(client)s already has a subscription from %(start)s; subscriptions may not overlap.",
        client=client.name,
        start=format_day(clash.start_date),
    )


def closed_start_error(start_date: date) -> str | None:
    """Why a subscription cannot start on `start_date`: on or before the latest closed month's end.

    A closed month is final (its items and invoices carry gapless numbers), so a plan that
    would cover one, even from an open month before it, is refused rather than billed late.
    """
    latest = latest_closed_period()
    if latest is None or start_date > (last_day := period_bounds(latest)[1]):
        return None
    earliest = last_day + timedelta(days=1)
    return _(
        "%(period)s is closed: a plan can start from %(earliest)s at the earliest.",
        period=latest,
        earliest=format_day(earliest),
    )


def subscription_terms(plan: Plan, price: PlanPrice) -> dict:
    """What a subscription freezes of its plan and price when it starts: the terms the
    close bills it by, whatever later happens to the plan (column name to value)."""
    package, block = plan.model == "package", plan.model == "block"
    return {
        "plan_id": plan.id,
        "model": plan.model,
        "fee": price.fee if plan.model != "hourly" else Decimal(0),  # a block: its price
        "rate": price.rate,
        "included_minutes": plan.included_minutes if package else 0,
        "prorate": plan.prorate,
        "rollover_months": plan.rollover_months if package else 0,
        "rollover_cap_minutes": plan.rollover_cap_minutes if package else None,
        "block_minutes": plan.block_minutes if block else 0,
        "validity_months": plan.validity_months if block else 0,
        "when_used_up": plan.when_used_up,
    }


def assign_plan(client: Client, plan: Plan, start_date: date, actor=None) -> Subscription:
    """Start a subscription of `plan` for `client` on `start_date`, freezing today's price
    (and rollover or block terms); a block plan's first block is bought on `start_date`.

    Refuses an inactive plan, a plan with no price in the client's currency, a start on or
    before the end of the latest closed month, and one that would overlap a subscription.
    """
    if not plan.active:
        raise DomainError(_("The plan “%(plan)s” is inactive.", plan=plan.name), field="plan")
    price = plan.price_for(client.currency_id)
    if price is None:
        raise DomainError(
            _(
                "The plan “%(plan)s” has no price in %(currency)s, the client's currency.",
                plan=plan.name,
                currency=client.currency.code,
            ),
            field="plan",
        )
    hold_closes()  # no month closes between this check and the commit
    if message := closed_start_error(start_date):
        raise DomainError(message, field="start_date")
    # Lock the client row so two concurrent assignments cannot both pass the overlap check.
    db.session.execute(db.select(Client.id).where(Client.id == client.id).with_for_update())
    if message := overlap_error(client, start_date):
        raise DomainError(message, field="plan")
    subscription = Subscription(
        client_id=client.id,
        currency_id=client.currency_id,
        start_date=start_date,
        created_by_id=getattr(actor, "id", None),
        **subscription_terms(plan, price),
    )
    db.session.add(subscription)
    db.session.flush()
    audit.record(
        actor,
        "subscription.assign",
        "subscription",
        subscription.id,
        after={
            "client_id": client.id,
            "plan": plan.name,
            "start_date": start_date,
            "fee": subscription.fee,
            "rate": subscription.rate,
            "included_minutes": subscription.included_minutes,
            "rollover_months": subscription.rollover_months,
            "rollover_cap_minutes": subscription.rollover_cap_minutes,
            "block_minutes": subscription.block_minutes,
            "validity_months": subscription.validity_months,
            "when_used_up": subscription.when_used_up,
        },
    )
    if plan.model == "block":  # assigning a block plan buys its first block, invoiced now
        buy_block(subscription, start_date, actor)
    return subscription


def _lock_subscription(subscription: Subscription) -> None:
    """Lock the row and re-read it, so two concurrent changes cannot both pass the checks."""
    query = db.select(Subscription.id).where(Subscription.id == subscription.id)
    db.session.execute(query.with_for_update())
    db.session.refresh(subscription)


def cancel_refusal(subscription: Subscription) -> str | None:
    """Why the subscription cannot end at the end of this month, or None when it can."""
    if subscription.end_date is not None:
        return _(
            "This subscription already ends on %(date)s.", date=format_day(subscription.end_date)
        )
    if subscription.start_date > cancellation_end():
        return _(
            "This subscription starts on %(date)s, after this month: it cannot end at the end "
            "of this month.",
            date=format_day(subscription.start_date),
        )
    return None


def reprice_refusal(subscription: Subscription) -> str | None:
    """Why the subscription has nothing to re-price whatever its plan's price, or None.

    The plan's own state (its model, its price in the currency) is checked on re-pricing.
    """
    if subscription.end_date is not None and subscription.end_date < business_today():
        return _(
            "This subscription ended on %(date)s: nothing to re-price.",
            date=format_day(subscription.end_date),
        )
    return None


def allowed_actions(subscription: Subscription) -> frozenset[str]:
    """What may still be done to the subscription: "cancel" and/or "reprice"."""
    refusals = {"cancel": cancel_refusal, "reprice": reprice_refusal}
    return frozenset(name for name, refusal in refusals.items() if refusal(subscription) is None)


def cancellation_end() -> date:
    """The last day of the current month (business time zone): where a cancel ends a
    subscription."""
    return period_bounds(period_of(business_today()))[1]


def cancel_subscription(subscription: Subscription, actor=None) -> Subscription:
    """End the subscription on the last day of the current month (business time zone).

    The month is still billed in full. A subscription that already ends, or that starts
    after this month, is refused.
    """
    _lock_subscription(subscription)
    if message := cancel_refusal(subscription):
        raise DomainError(message, field="subscription")
    month_end = cancellation_end()
    subscription.end_date = month_end
    db.session.flush()
    audit.record(
        actor,
        "subscription.cancel",
        "subscription",
        subscription.id,
        before={"end_date": None},
        after={"end_date": month_end},
    )
    return subscription


_REFERENCES = (
    (TimeEntry, N_("time entries")),
    (UsageRecord, N_("usage records of a closed month")),
    (BillableItem, N_("billable items")),
)


def delete_refusal(subscription: Subscription) -> str | None:
    """Why this subscription cannot be removed (something refers to it), or None."""
    for model, label in _REFERENCES:
        query = db.select(db.func.count()).where(model.subscription_id == subscription.id)
        if db.session.scalar(query):
            return _(
                "This subscription cannot be removed: %(things)s refer to it. "
                "Cancel it at month end instead.",
                things=_(label),
            )
    return None


def delete_subscription(subscription: Subscription, actor=None) -> None:
    """Remove a subscription created by mistake: only while no time entry, usage record or
    billable item refers to it. The audit row keeps its values."""
    _lock_subscription(subscription)
    if message := delete_refusal(subscription):
        raise DomainError(message, field="subscription")
    values = {
        "client_id": subscription.client_id,
        "plan_id": subscription.plan_id,
        "currency_id": subscription.currency_id,
        "start_date": subscription.start_date,
        "end_date": subscription.end_date,
        "model": subscription.model,
        **_price_terms(subscription),
    }
    audit.record(actor, "subscription.delete", "subscription", subscription.id, before=values)
    db.session.delete(subscription)
    db.session.flush()


def _price_terms(subscription: Subscription) -> dict:
    """The snapshot a re-price replaces."""
    return {
        "fee": subscription.fee,
        "rate": subscription.rate,
        "included_minutes": subscription.included_minutes,
    }


def reprice_subscription(subscription: Subscription, actor=None) -> Subscription:
    """Re-snapshot fee, rate and included minutes from the plan's current price.

    Only an admin's explicit request does this; it applies to every month not yet closed.
    """
    _lock_subscription(subscription)
    plan, code = subscription.plan, subscription.currency.code
    if message := reprice_refusal(subscription):
        raise DomainError(message, field="subscription")
    if plan.model != subscription.model:
        raise DomainError(
            _(
                "The plan “%(plan)s” is now %(plan_model)s, the subscription %(model)s: "
                "assign the plan anew instead of re-pricing.",
                plan=plan.name,
                plan_model=value_label(plan.model),
                model=value_label(subscription.model),
            ),
            field="subscription",
        )
    price = plan.price_for(subscription.currency_id)
    if price is None:
        raise DomainError(
            _(
                "The plan “%(plan)s” has no price in %(currency)s any more: nothing to "
                "re-price from.",
                plan=plan.name,
                currency=code,
            ),
            field="subscription",
        )
    before = _price_terms(subscription)
    package = plan.model == "package"
    subscription.fee = price.fee if plan.model != "hourly" else Decimal(0)
    subscription.rate = price.rate
    subscription.included_minutes = plan.included_minutes if package else 0
    after = _price_terms(subscription)
    if after == before:
        raise DomainError(
            _(
                "The subscription already has the plan's current price in %(currency)s.",
                currency=code,
            ),
            field="subscription",
        )
    db.session.flush()
    audit.record(actor, "subscription.reprice", "subscription", subscription.id, before, after)
    return subscription
