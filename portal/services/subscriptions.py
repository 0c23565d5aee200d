"""Subscriptions: which one covers a day, and assigning a plan with a price snapshot."""

from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.models import Client, Plan, Subscription
from portal.services import audit
from portal.services.errors import DomainError


def active_subscription(client_id: int, day: date) -> Subscription | None:
    """The client's subscription active on `day` (they never overlap, so at most one)."""
    return db.session.scalar(
        db.select(Subscription).where(
            Subscription.client_id == client_id,
            Subscription.start_date <= day,
            (Subscription.end_date.is_(None)) | (Subscription.end_date >= day),
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
    until = f" to {clash.end_date:%Y-%m-%d}" if clash.end_date else ""
    return (
        f"{client.name} already has a subscription from {clash.start_date:%Y-%m-%d}{until}; "
        "subscriptions may not overlap."
    )


def assign_plan(client: Client, plan: Plan, start_date: date, actor=None) -> Subscription:
    """Start a subscription of `plan` for `client` on `start_date`, freezing today's price.

    Refuses an inactive plan, a plan with no price in the client's currency, and a start
    that would overlap one of the client's subscriptions.
    """
    if not plan.active:
        raise DomainError(f"The plan “{plan.name}” is inactive.", field="plan")
    price = plan.price_for(client.currency_id)
    if price is None:
        raise DomainError(
            f"The plan “{plan.name}” has no price in {client.currency.code}, "
            "the client's currency.",
            field="plan",
        )
    # Lock the client row so two concurrent assignments cannot both pass the overlap check.
    db.session.execute(db.select(Client.id).where(Client.id == client.id).with_for_update())
    if message := overlap_error(client, start_date):
        raise DomainError(message, field="plan")
    subscription = Subscription(
        client_id=client.id,
        plan_id=plan.id,
        currency_id=client.currency_id,
        start_date=start_date,
        model=plan.model,
        fee=price.fee if plan.model == "package" else Decimal(0),
        rate=price.rate,
        included_minutes=plan.included_minutes if plan.model == "package" else 0,
        prorate=plan.prorate,
        created_by_id=getattr(actor, "id", None),
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
        },
    )
    return subscription
