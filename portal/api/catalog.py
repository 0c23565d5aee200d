"""Settings, currencies, plans, clients and subscriptions over the API (same services as pages)."""

from flask import jsonify

from portal.api import bp
from portal.api.common import (
    STAFF,
    BadRequest,
    body,
    boolean,
    check,
    day,
    integer,
    listing,
    paged,
    roles,
    text,
    user,
)
from portal.api.serializers import currency_json, plan_json, subscription_json
from portal.errors import api_error
from portal.extensions import db
from portal.models import Client, Currency, Plan, Subscription
from portal.money import format_hours
from portal.services.catalog import save_currency, save_plan
from portal.services.catalog_input import CurrencyInput, PlanInput
from portal.services.clients import ClientInput, assign_client_plan, save_client
from portal.services.settings import business_today, get_settings
from portal.services.settings_changes import change_settings
from portal.services.subscriptions import active_subscription, cancel_subscription
from portal.web import MAX_ID

SETTING_KEYS = {"business_timezone", "invoice_on_close", "due_days", "invoice_number_format"}
PLAN_KEYS = {"name", "description", "model", "included_hours", "prorate", "active", "prices"}


@bp.put("/settings")
@roles("admin")
def settings_put():
    """Change business settings; keys left out keep their value."""
    values = {**get_settings(), **body(SETTING_KEYS)}
    errors: dict[str, str] = {}
    for key in ("business_timezone", "invoice_number_format"):
        text(values, key, errors)
    boolean(values, "invoice_on_close", errors)
    integer(values, "due_days", errors, minimum=0, maximum=365)
    check(errors)
    saved = change_settings(values, user())
    db.session.commit()
    return jsonify(saved)


@bp.get("/currencies")
def currencies_list():
    """Every currency (any role)."""
    rows = db.session.scalars(db.select(Currency).order_by(Currency.code)).all()
    return listing([currency_json(c) for c in rows], len(rows), 1, max(len(rows), 1))


@bp.post("/currencies")
@roles("admin")
def currencies_create():
    """Add a currency."""
    data = body({"code", "decimals", "prefix", "suffix", "is_default"})
    errors: dict[str, str] = {}
    values = CurrencyInput(
        code=text(data, "code", errors, required=True, max_len=3),
        decimals=integer(data, "decimals", errors, minimum=0, maximum=4),
        prefix=text(data, "prefix", errors, max_len=8),
        suffix=text(data, "suffix", errors, max_len=8),
        is_default=bool(boolean(data, "is_default", errors, default=False)),
    )
    if values.decimals is None and "decimals" not in errors:
        values.decimals = 2
    check(errors)
    currency = save_currency(None, values, user())
    db.session.commit()
    return jsonify(currency_json(currency)), 201


def _plan_input(data: dict, plan: Plan | None) -> PlanInput:
    """A PlanInput from a request body, on top of the plan's current values for a PATCH."""
    errors: dict[str, str] = {}
    current = (
        {
            "name": plan.name,
            "description": plan.description,
            "model": plan.model,
            "included_hours": format_hours(plan.included_minutes)
            if plan.model == "package"
            else "",
            "prorate": plan.prorate,
            "active": plan.active,
            "prices": [
                {"currency": p.currency.code, "fee": f"{p.fee:f}", "rate": f"{p.rate:f}"}
                for p in plan.prices
            ],
        }
        if plan
        else {}
    )
    merged = {**current, **data}
    model = text(merged, "model", errors, default="package")
    if model not in ("package", "hourly"):
        errors["model"] = 'Must be "package" or "hourly".'
    prices: dict[str, tuple[str, str]] = {}
    raw_prices = merged.get("prices", [])
    if not isinstance(raw_prices, list):
        errors["prices"] = "Must be a list of {currency, fee, rate}."
    else:
        for n, row in enumerate(raw_prices):
            if (
                not isinstance(row, dict)
                or set(row) - {"currency", "fee", "rate"}
                or not all(isinstance(row.get(k, ""), str) for k in ("currency", "fee", "rate"))
            ):
                errors[f"prices[{n}]"] = (
                    'Must be {"currency": "EUR", "fee": "200.00", "rate": "60.00"}.'
                )
                continue
            prices[row.get("currency", "").upper()] = (row.get("fee", ""), row.get("rate", ""))
    values = PlanInput(
        name=text(merged, "name", errors, required=True, max_len=120),
        description=text(merged, "description", errors, max_len=5000),
        model=model,
        included_hours=text(merged, "included_hours", errors),
        prorate=bool(boolean(merged, "prorate", errors, default=True)),
        active=bool(boolean(merged, "active", errors, default=True)),
        prices=prices,
    )
    check(errors)
    known = set(db.session.scalars(db.select(Currency.code)))
    unknown = sorted(set(prices) - known)
    if unknown:
        raise BadRequest({"prices": "No such currency: " + ", ".join(unknown) + "."})
    return values


@bp.get("/plans")
@roles(*STAFF)
def plans_list():
    """Plans."""
    return paged(db.select(Plan).order_by(Plan.name), lambda plans: [plan_json(p) for p in plans])


@bp.post("/plans")
@roles("admin")
def plans_create():
    """Add a plan with its prices."""
    plan = save_plan(None, _plan_input(body(PLAN_KEYS), None), user())
    db.session.commit()
    return jsonify(plan_json(plan)), 201


@bp.get("/plans/<int:plan_id>")
@roles(*STAFF)
def plans_get(plan_id: int):
    """One plan."""
    plan = db.session.get(Plan, plan_id)
    return jsonify(plan_json(plan)) if plan else api_error(404, "Plan not found.", "not_found")


@bp.patch("/plans/<int:plan_id>")
@roles("admin")
def plans_patch(plan_id: int):
    """Change a plan; `prices`, when given, replaces all its prices."""
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        return api_error(404, "Plan not found.", "not_found")
    save_plan(plan, _plan_input(body(PLAN_KEYS), plan), user())
    db.session.commit()
    return jsonify(plan_json(plan))


def client_json(client: Client) -> dict:
    """A client with today's subscription."""
    return {
        "id": client.id,
        "name": client.name,
        "email": client.email,
        "currency": client.currency.code,
        "subscription": subscription_json(active_subscription(client.id, business_today())),
    }


@bp.get("/clients")
@roles(*STAFF)
def clients_list():
    """Clients by name."""
    query = db.select(Client).order_by(Client.name, Client.id)
    return paged(query, lambda clients: [client_json(c) for c in clients])


@bp.post("/clients")
@roles("admin")
def clients_create():
    """Add a client billed in one currency (by code)."""
    data = body({"name", "email", "currency"})
    errors: dict[str, str] = {}
    name = text(data, "name", errors, required=True, max_len=200)
    email = text(data, "email", errors, required=True, max_len=254)
    code = text(data, "currency", errors, required=True, max_len=3)
    check(errors)
    currency = db.session.scalar(db.select(Currency).filter_by(code=code.upper()))
    if currency is None:
        raise BadRequest({"currency": f"No such currency: {code}."})
    client = save_client(None, ClientInput(name, email, currency.id), user())
    db.session.commit()
    return jsonify(client_json(client)), 201


def _client(client_id: int) -> Client | None:
    """The client (staff only reach here)."""
    return db.session.get(Client, client_id)


@bp.get("/clients/<int:client_id>")
@roles(*STAFF)
def clients_get(client_id: int):
    """One client."""
    client = _client(client_id)
    return (
        jsonify(client_json(client)) if client else api_error(404, "Client not found.", "not_found")
    )


@bp.get("/clients/<int:client_id>/subscriptions")
@roles(*STAFF)
def subscriptions_list(client_id: int):
    """A client's subscriptions, oldest first."""
    client = _client(client_id)
    if client is None:
        return api_error(404, "Client not found.", "not_found")
    rows = db.session.scalars(
        db.select(Subscription).filter_by(client_id=client.id).order_by(Subscription.start_date)
    ).all()
    return listing([subscription_json(s) for s in rows], len(rows), 1, max(len(rows), 1))


@bp.post("/clients/<int:client_id>/subscriptions")
@roles(*STAFF)
def subscriptions_create(client_id: int):
    """Assign a plan from a start date (default today)."""
    client = _client(client_id)
    if client is None:
        return api_error(404, "Client not found.", "not_found")
    data = body({"plan_id", "start_date"})
    errors: dict[str, str] = {}
    plan_id = integer(data, "plan_id", errors, required=True, minimum=1, maximum=MAX_ID)
    start = day(data, "start_date", errors)
    check(errors)
    subscription = assign_client_plan(client, plan_id, start or business_today(), user())
    db.session.commit()
    return jsonify(subscription_json(subscription)), 201


@bp.post("/subscriptions/<int:subscription_id>/cancel")
@roles("admin")
def subscriptions_cancel(subscription_id: int):
    """End a subscription on the last day of the current month."""
    subscription = db.session.get(Subscription, subscription_id)
    if subscription is None:
        return api_error(404, "Subscription not found.", "not_found")
    cancel_subscription(subscription, user())
    db.session.commit()
    return jsonify(subscription_json(subscription))
