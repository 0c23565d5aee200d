"""Currencies, plans, clients and subscriptions over the API (same services as pages)."""

import re

from flask_babel import gettext as _

from portal.api import bp
from portal.api.common import (
    STAFF,
    BadRequest,
    found,
    money,
    page_of_list,
    paged,
    roles,
    user,
)
from portal.api.schemas import (
    ClientIn,
    ClientOut,
    ClientPatch,
    CurrencyIn,
    CurrencyOut,
    PageQuery,
    PlanIn,
    PlanOut,
    PlanPatch,
    SubscriptionIn,
    SubscriptionOut,
    TopUpIn,
    TopUpOut,
    page_of,
)
from portal.api.serializers import (
    currency_json,
    invoice_json,
    plan_json,
    purchase_json,
    selling_terms_json,
    subscription_json,
)
from portal.extensions import db
from portal.models import Client, Currency, Plan, Subscription
from portal.money import format_hours
from portal.services.billing.profiles import CLIENT_BILLING_FIELDS, billing_values
from portal.services.catalog.input import CurrencyInput, PlanInput
from portal.services.catalog.rules import save_currency, save_plan
from portal.services.clients.accounts import ClientInput, assign_client_plan, save_client
from portal.services.clients.blocks import top_up
from portal.services.clients.subscriptions import active_subscription, cancel_subscription
from portal.services.errors import ValidationFailed
from portal.services.lookups import client_for, plan_for, subscription_for
from portal.services.settings import business_today


@bp.get("/currencies")
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(CurrencyOut))
def currencies_list(args: dict):
    """Every currency, by code (any role)."""
    rows = db.session.scalars(db.select(Currency).order_by(Currency.code)).all()
    return page_of_list([currency_json(c) for c in rows], args)


@bp.post("/currencies")
@roles("admin")
@bp.arguments(CurrencyIn)
@bp.response(201, CurrencyOut)
def currencies_create(data: dict):
    """Add a currency."""
    currency = save_currency(None, CurrencyInput(**data), user())
    return currency_json(currency)


# The keys that belong to one billing model: a PATCH changing the model does not carry the
# old model's values over (a block plan's block_hours would refuse it as a package).
MODEL_KEYS = (
    "included_hours",
    "rollover_months",
    "rollover_cap_hours",
    "block_hours",
    "validity_months",
    "when_used_up",
)


def _plan_values(plan: Plan | None, model: str | None = None) -> dict:
    """A plan's current values in the shape of a request body (for a PATCH to build on);
    with a new `model`, without the values of the old one."""
    if plan is None:
        return {}
    values = {
        "name": plan.name,
        "description": plan.description,
        "model": plan.model,
        "included_hours": format_hours(plan.included_minutes) if plan.model == "package" else "",
        "prorate": plan.prorate,
        "active": plan.active,
        "prices": [
            {
                "currency": p.currency.code,
                "fee": money(p.fee, p.currency),
                "rate": money(p.rate, p.currency),
            }
            for p in plan.prices
        ],
        **selling_terms_json(plan),
    }
    if model is not None and model != plan.model:
        for key in MODEL_KEYS:
            values.pop(key)
    return values


def _plan_input(data: dict, plan: Plan | None) -> PlanInput:
    """A PlanInput from a checked body, on top of the plan's current values for a PATCH."""
    merged = {**_plan_values(plan, data.get("model")), **data}
    prices = {
        row["currency"].upper(): (row.get("fee", ""), row.get("rate", ""))
        for row in merged.get("prices", [])
    }
    known = set(db.session.scalars(db.select(Currency.code)))
    unknown = sorted(set(prices) - known)
    if unknown:
        raise BadRequest({"prices": _("No such currency: %(codes)s.", codes=", ".join(unknown))})
    return PlanInput(
        name=merged.get("name", ""),
        description=merged.get("description", ""),
        model=merged.get("model", "package"),
        included_hours=merged.get("included_hours", ""),
        prorate=merged.get("prorate", True),
        active=merged.get("active", True),
        prices=prices,
        rollover_months=merged.get("rollover_months", 0),
        rollover_cap_hours=merged.get("rollover_cap_hours"),
        block_hours=merged.get("block_hours", ""),
        validity_months=merged.get("validity_months", ""),
        when_used_up=merged.get("when_used_up", "overtime"),
    )


@bp.get("/plans")
@roles(*STAFF)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(PlanOut))
def plans_list(args: dict):
    """Plans by name."""
    query = db.select(Plan).order_by(Plan.name, Plan.id)
    return paged(query, lambda plans: [plan_json(p) for p in plans], args)


def _save_plan(plan: Plan | None, data: dict) -> Plan:
    """save_plan, with the price fields of its messages named as the API names them."""
    try:
        return save_plan(plan, _plan_input(data, plan), user())
    except ValidationFailed as exc:
        raise BadRequest(
            {_PRICE_FIELD.sub(r"prices[\1].\2", key): text for key, text in exc.fields.items()}
        ) from None


# The plan form's price fields ("price-EUR-fee") are the API's prices[EUR].fee.
_PRICE_FIELD = re.compile(r"^price-([A-Z]{3})-(fee|rate)$")


@bp.post("/plans")
@roles("admin")
@bp.arguments(PlanIn)
@bp.response(201, PlanOut)
def plans_create(data: dict):
    """Add a plan with its prices."""
    plan = _save_plan(None, data)
    return plan_json(plan)


@bp.get("/plans/<int:plan_id>")
@roles(*STAFF)
@bp.response(200, PlanOut)
def plans_get(plan_id: int):
    """One plan."""
    return plan_json(plan_for(user(), plan_id))


@bp.patch("/plans/<int:plan_id>")
@roles("admin")
@found(plan_for)
@bp.arguments(PlanPatch(partial=True))
@bp.response(200, PlanOut)
def plans_patch(data: dict, plan_id: int):
    """Change a plan; `prices`, when given, replaces all its prices."""
    plan = _save_plan(plan_for(user(), plan_id), data)
    return plan_json(plan)


def client_json(client: Client) -> dict:
    """A client with its billing profile and today's subscription."""
    return {
        "id": client.id,
        "name": client.name,
        "email": client.email,
        "currency": client.currency.code,
        **billing_values(client),
        "billing_name": client.billing_name,
        "subscription": subscription_json(active_subscription(client.id, business_today())),
    }


@bp.get("/clients")
@roles(*STAFF)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(ClientOut))
def clients_list(args: dict):
    """Clients by name."""
    query = db.select(Client).order_by(Client.name, Client.id)
    return paged(query, lambda clients: [client_json(c) for c in clients], args)


@bp.post("/clients")
@roles("admin")
@bp.arguments(ClientIn)
@bp.response(201, ClientOut)
def clients_create(data: dict):
    """Add a client billed in one currency (by code), with its billing profile if given."""
    code = data["currency"]
    currency = db.session.scalar(db.select(Currency).filter_by(code=code.upper()))
    if currency is None:
        raise BadRequest({"currency": _("No such currency: %(codes)s.", codes=code)})
    billing = {k: v for k, v in data.items() if k in CLIENT_BILLING_FIELDS} or None
    changes = ClientInput(data["name"], data["email"], currency.id, billing=billing)
    return client_json(save_client(None, changes, user()))


@bp.get("/clients/<int:client_id>")
@roles(*STAFF)
@bp.response(200, ClientOut)
def clients_get(client_id: int):
    """One client."""
    return client_json(client_for(user(), client_id))


@bp.patch("/clients/<int:client_id>")
@roles("admin")
@found(client_for)
@bp.arguments(ClientPatch)
@bp.response(200, ClientOut)
def clients_patch(data: dict, client_id: int):
    """Change a client's name, email or billing profile; keys left out keep their value."""
    client = client_for(user(), client_id)
    billing = billing_values(client) | {k: v for k, v in data.items() if k in CLIENT_BILLING_FIELDS}
    changes = ClientInput(
        data.get("name", client.name),
        data.get("email", client.email),
        client.currency_id,
        client.active,
        billing,
    )
    return client_json(save_client(client, changes, user()))


@bp.get("/clients/<int:client_id>/subscriptions")
@roles(*STAFF)
@found(client_for)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(SubscriptionOut))
def subscriptions_list(args: dict, client_id: int):
    """A client's subscriptions, oldest first."""
    client = client_for(user(), client_id)
    query = (
        db.select(Subscription)
        .filter_by(client_id=client.id)
        .order_by(Subscription.start_date, Subscription.id)
    )
    return paged(query, lambda rows: [subscription_json(s) for s in rows], args)


@bp.post("/clients/<int:client_id>/subscriptions")
@roles(*STAFF)
@found(client_for)
@bp.arguments(SubscriptionIn)
@bp.response(201, SubscriptionOut)
def subscriptions_create(data: dict, client_id: int):
    """Assign a plan from a start date (default today)."""
    client = client_for(user(), client_id)
    start = data.get("start_date") or business_today()
    subscription = assign_client_plan(client, data["plan_id"], start, user())
    return subscription_json(subscription)


@bp.post("/subscriptions/<int:subscription_id>/cancel")
@roles("admin")
@bp.response(200, SubscriptionOut)
def subscriptions_cancel(subscription_id: int):
    """End a subscription on the last day of the current month."""
    subscription = subscription_for(user(), subscription_id)
    cancel_subscription(subscription, user())
    return subscription_json(subscription)


@bp.post("/subscriptions/<int:subscription_id>/top-ups")
@roles(*STAFF)
@found(subscription_for)
@bp.arguments(TopUpIn)
@bp.response(201, TopUpOut)
def subscriptions_top_up(data: dict, subscription_id: int):
    """Buy another prepaid block for a block subscription (dated today unless `date` says
    otherwise, in an open month), invoiced at once."""
    subscription = subscription_for(user(), subscription_id)
    pool, invoice = top_up(subscription, data.get("date") or business_today(), user())
    return {"purchase": purchase_json(pool), "invoice": invoice_json(invoice)}
