"""What the shop sells: currencies, plans and their price per currency; every change audited."""

import re
from functools import cache

from babel.core import get_global
from babel.numbers import get_territory_currencies
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.i18n import N_
from portal.models import BillingModel, Client, Currency, Plan, PlanPrice, WhenUsedUp
from portal.models.types import utcnow
from portal.money import round_money
from portal.services import audit
from portal.services.catalog.input import (
    CurrencyInput,
    IncludedHoursError,
    PlanInput,
    parse_included_hours,
    parse_month_count,
    parse_prices,
)
from portal.services.errors import ValidationFailed
from portal.services.text import text_problem

_CODE = re.compile(r"[A-Z]{3}", re.ASCII)
AFFIX_MAX = 8
NAME_MAX = 120
DESCRIPTION_MAX = 2000
# Messages used in more than one place, translated at use.
CURRENCY_TAKEN = N_("A currency with the code %(code)s already exists.")
PLAN_TAKEN = N_("A plan named “%(name)s” already exists.")
DEFAULT_RACE = {
    "currency": N_("Another currency was made the default meanwhile; try again."),
    "tax_rate": N_("Another tax rate was made the default meanwhile; try again."),
}


@cache
def current_currency_codes() -> frozenset[str]:
    """ISO 4217 codes that are legal tender somewhere today, from Babel's CLDR data.

    Leaves out codes no one is billed in: withdrawn ones (DEM, HRK), metals (XAU), funds
    and the test and "no currency" codes (XTS, XXX). Read once per process.
    """
    today = utcnow().date()
    return frozenset(
        code
        for territory in get_global("territory_currencies")
        for code in get_territory_currencies(territory, today, tender=True)
    )


def flush_unique(field_name: str, message: str) -> None:
    """Flush; a unique clash (a concurrent request won the race) becomes a field message."""
    try:
        db.session.flush()
    except IntegrityError:
        raise ValidationFailed({field_name: message}) from None


def currency_in_use(currency: Currency) -> bool:
    """True when a client is billed in the currency."""
    query = db.select(Client.id).where(Client.currency_id == currency.id).limit(1)
    return currency.id is not None and db.session.scalar(query) is not None


def _prices_need_places(currency: Currency, places: int) -> bool:
    """True when a plan price in the currency has more decimals than `places`."""
    prices = db.session.scalars(db.select(PlanPrice).filter_by(currency_id=currency.id))
    return any(round_money(amount, places) != amount for p in prices for amount in (p.fee, p.rate))


def currency_snapshot(currency: Currency) -> dict:
    """The currency's values for the audit log."""
    keys = ("code", "decimals", "prefix", "suffix", "is_default")
    return {key: getattr(currency, key) for key in keys}


def _currency_errors(data: CurrencyInput, currency: Currency | None) -> dict[str, str]:
    """Every rule a currency must meet, as field -> message."""
    errors = {}
    in_use = currency is not None and currency_in_use(currency)
    taken = db.select(Currency.id).where(Currency.code == data.code)
    changed = currency is None or data.code != currency.code
    if not _CODE.fullmatch(data.code):
        errors["code"] = _("Enter the ISO 4217 code: three letters such as EUR, USD or PLN.")
    elif currency is not None and in_use and changed:
        errors["code"] = _(
            "%(code)s is used by clients: its code cannot change.", code=currency.code
        )
    elif changed and data.code not in current_currency_codes():
        errors["code"] = _(
            "%(code)s is not an ISO 4217 currency in use: "
            "enter the code of a current currency, such as EUR, USD or PLN.",
            code=data.code,
        )
    elif db.session.scalar(taken.where(Currency.id != (currency.id if currency else -1))):
        errors["code"] = _(CURRENCY_TAKEN, code=data.code)
    if data.decimals is None or not 0 <= data.decimals <= 4:
        errors["decimals"] = _("Enter decimal places from 0 to 4 (JPY 0, most currencies 2).")
    elif in_use and data.decimals != currency.decimals:
        errors["decimals"] = _(
            "%(code)s is used by clients: its decimal places cannot change (they stay %(places)s).",
            code=currency.code,
            places=currency.decimals,
        )
    elif currency is not None and _prices_need_places(currency, data.decimals):
        errors["decimals"] = _(
            "Plan prices in %(code)s have more than %(places)s decimals: change them first.",
            code=currency.code,
            places=data.decimals,
        )
    for name in ("prefix", "suffix"):
        if len(getattr(data, name)) > AFFIX_MAX:
            too_long = (
                N_("Keep the prefix to %(max)s characters or fewer.")
                if name == "prefix"
                else N_("Keep the suffix to %(max)s characters or fewer.")
            )
            errors[name] = _(too_long, max=AFFIX_MAX)
        elif problem := text_problem(getattr(data, name)):
            errors[name] = problem
    if currency is not None and currency.is_default and not data.is_default:
        errors["is_default"] = _("One currency must be the default: make another one the default.")
    return errors


def save_currency(currency: Currency | None, data: CurrencyInput, actor) -> Currency:
    """Create (currency None) or update a currency; making it the default un-defaults the rest.

    The first currency becomes the default whatever the form says: there is always one.
    """
    data.code = (data.code or "").strip().upper()
    errors = _currency_errors(data, currency)
    if errors:
        raise ValidationFailed(errors)
    before = currency_snapshot(currency) if currency else None
    if currency is None:
        currency = Currency(is_default=False)
        db.session.add(currency)
    currency.code, currency.decimals = data.code, data.decimals
    currency.prefix, currency.suffix = data.prefix, data.suffix
    flush_unique("code", _(CURRENCY_TAKEN, code=data.code))
    others = other_defaults(currency)
    if data.is_default or not others:
        make_default(currency, others, actor, "currency")
    action = "currency.update" if before else "currency.create"
    audit.record(actor, action, "currency", currency.id, before, currency_snapshot(currency))
    return currency


def other_defaults(row) -> list:
    """The rows of the same table as `row` that are the default now, `row` aside."""
    model = type(row)
    return db.session.scalars(db.select(model).where(model.is_default, model.id != row.id)).all()


def make_default(row, others: list, actor, object_type: str) -> None:
    """Un-default the others first (a unique index allows one default), then `row`; each
    change audited as `<object_type>.update`."""
    for other in others:
        other.is_default = False
        change = ({"is_default": True}, {"is_default": False})
        audit.record(actor, f"{object_type}.update", object_type, other.id, *change)
    db.session.flush()
    row.is_default = True
    flush_unique("is_default", _(DEFAULT_RACE[object_type]))


def name_problem(model, name: str, row, missing: str, taken: str) -> str | None:
    """Why `name` cannot name `row` (None: a new one) of `model`: blank (`missing`), too
    long, not plain text, or the name of another row, whatever the case (`taken`, a
    message with %(name)s; both translated here)."""
    if not name:
        return _(missing)
    if len(name) > NAME_MAX:
        return _("Keep the name to %(max)s characters or fewer.", max=NAME_MAX)
    if problem := text_problem(name):
        return problem
    same = db.select(model.id).where(func.lower(model.name) == name.lower())
    if db.session.scalar(same.where(model.id != (row.id if row else -1))):
        return _(taken, name=name)
    return None


SELLING_KEYS = (
    "rollover_months",
    "rollover_cap_minutes",
    "block_minutes",
    "validity_months",
    "when_used_up",
)
MAX_ROLLOVER_MONTHS = 12
MAX_VALIDITY_MONTHS = 36


def plan_snapshot(plan: Plan) -> dict:
    """The plan's values and prices for the audit log."""
    keys = ("name", "description", "model", "included_minutes", "prorate", "active", *SELLING_KEYS)
    values = {key: getattr(plan, key) for key in keys}
    values["prices"] = {p.currency.code: {"fee": p.fee, "rate": p.rate} for p in plan.prices}
    return values


def _plan_errors(plan: Plan | None, data: PlanInput, errors: dict) -> int:
    """Check name, model and included hours into `errors`; return the included minutes."""
    if problem := name_problem(Plan, data.name, plan, N_("Give the plan a name."), PLAN_TAKEN):
        errors["name"] = problem
    if len(data.description) > DESCRIPTION_MAX:
        errors["description"] = _(
            "Keep the description to %(max)s characters or fewer.", max=DESCRIPTION_MAX
        )
    elif problem := text_problem(data.description, multiline=True):
        errors["description"] = problem
    if data.model not in BillingModel.values():
        errors["model"] = _("Choose package, hourly or block.")
        return 0
    hours_text = data.included_hours.strip()
    if data.model == BillingModel.HOURLY or data.model == BillingModel.BLOCK:
        if hours_text and hours_text not in ("0", "0.00", "0:00"):
            errors["included_hours"] = (
                _("Hourly plans include no monthly hours: leave this blank.")
                if data.model == BillingModel.HOURLY
                else _("Block plans include no monthly hours (they sell blocks): leave this blank.")
            )
        return 0
    try:
        minutes = parse_included_hours(hours_text)
    except IncludedHoursError as exc:
        errors["included_hours"] = str(exc)
        return 0
    if minutes == 0:
        errors["included_hours"] = _("A package includes hours: enter more than 0, e.g. 10 or 7.5.")
    return minutes


def _blank(value: object) -> bool:
    """True for a field left empty (or 0, which says the same)."""
    return value in (None, "", 0, "0")


def selling_terms(data: PlanInput, errors: dict) -> dict:
    """Rollover (package) and block terms checked into `errors`; the columns' values."""
    terms = {
        "rollover_months": 0,
        "rollover_cap_minutes": None,
        "block_minutes": 0,
        "validity_months": 0,
        "when_used_up": "overtime",
    }
    package, block = data.model == BillingModel.PACKAGE, data.model == BillingModel.BLOCK
    try:
        terms["rollover_months"] = parse_month_count(data.rollover_months, 0, MAX_ROLLOVER_MONTHS)
    except ValueError:
        errors["rollover_months"] = _(
            "Enter how many months unused hours carry over: 0 (none) to %(max)s.",
            max=MAX_ROLLOVER_MONTHS,
        )
    if not package and terms["rollover_months"]:
        errors["rollover_months"] = _("Only package plans roll hours over: leave this at 0.")
    cap = data.rollover_cap_hours
    if cap not in (None, "") and package:
        try:
            terms["rollover_cap_minutes"] = parse_included_hours(
                cap if isinstance(cap, str) else ""
            )
        except IncludedHoursError:
            errors["rollover_cap_hours"] = _(
                "Enter the most hours that may be carried over, in quarter-hour steps "
                "(e.g. 5, 7.5 or 7:30), or leave it blank for no cap."
            )
    elif cap not in (None, "") and not package:
        errors["rollover_cap_hours"] = _("Only package plans roll hours over: leave this blank.")
    if not block:
        for name in ("block_hours", "validity_months"):
            if not _blank(getattr(data, name)):
                errors[name] = _("Only block plans sell prepaid blocks: leave this blank.")
        return terms
    try:
        raw = data.block_hours if isinstance(data.block_hours, str) else ""
        terms["block_minutes"] = parse_included_hours(raw)
        if terms["block_minutes"] == 0:
            raise IncludedHoursError
    except IncludedHoursError:
        errors["block_hours"] = _(
            "Enter the hours in one block, above 0 in quarter-hour steps, e.g. 20, 7.5 or 7:30."
        )
    try:
        terms["validity_months"] = parse_month_count(data.validity_months, 1, MAX_VALIDITY_MONTHS)
        if _blank(data.validity_months):
            raise ValueError
    except ValueError:
        errors["validity_months"] = _(
            "Enter how many months a block stays valid: 1 to %(max)s.", max=MAX_VALIDITY_MONTHS
        )
    if data.when_used_up not in WhenUsedUp.values():
        errors["when_used_up"] = _("Choose overtime (billed at the rate) or refuse.")
    else:
        terms["when_used_up"] = data.when_used_up
    return terms


def save_plan(plan: Plan | None, data: PlanInput, actor) -> Plan:
    """Create (plan None) or update a plan and its prices; subscriptions keep their snapshot."""
    data.name, data.description = data.name.strip(), data.description.strip()
    errors: dict[str, str] = {}
    minutes = _plan_errors(plan, data, errors)
    terms = selling_terms(data, errors)
    currencies = db.session.scalars(db.select(Currency).order_by(Currency.code))
    prices = parse_prices(data, currencies, errors)
    if errors:
        raise ValidationFailed(errors)
    before = plan_snapshot(plan) if plan else None
    if plan is None:
        plan = Plan()
        db.session.add(plan)
    plan.name, plan.description, plan.model = data.name, data.description, data.model
    plan.included_minutes, plan.prorate, plan.active = minutes, data.prorate, data.active
    for key, value in terms.items():
        setattr(plan, key, value)
    kept = []
    for currency, (fee, rate) in prices.items():
        row = plan.price_for(currency.id) or PlanPrice(currency=currency)
        row.fee, row.rate = fee, rate
        kept.append(row)
    plan.prices = kept
    flush_unique("name", _(PLAN_TAKEN, name=data.name))
    action = "plan.update" if before else "plan.create"
    audit.record(actor, action, "plan", plan.id, before, plan_snapshot(plan))
    return plan
