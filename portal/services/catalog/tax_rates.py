"""Tax rates admins keep: a name, an exact percent (0 to 100, three places), an optional
country, at most one default; every change audited."""

import re
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from portal.extensions import db
from portal.i18n import N_
from portal.models import TaxRate
from portal.services import audit
from portal.services.catalog.rules import flush_unique, make_default, name_problem, other_defaults
from portal.services.countries import country_names
from portal.services.errors import ValidationFailed

PERCENT_PLACES = 3
# Marked here, translated where it is shown (`_(PERCENT_RULE)`, `_l(PERCENT_RULE)` on forms).
PERCENT_RULE = N_("Enter a percent from 0 to 100 with at most 3 decimals, e.g. 23, 7.5 or 8,1.")
RATE_TAKEN = N_("A tax rate named “%(name)s” already exists.")
# ASCII digits only; no sign, exponent, NaN, inf or thousands separator.
_PERCENT = re.compile(r"([0-9]{1,3})(?:[.,]([0-9]+))?", re.ASCII)


@dataclass
class TaxRateInput:
    """A tax rate as typed on the form (or sent to the API): the percent as text."""

    name: str
    percent: str
    country: str | None = None
    is_default: bool = False


class PercentError(ValueError):
    """A percent outside the rule; the message says what is allowed."""


def parse_percent(raw: object) -> Decimal:
    """ "23", "7.5" or "8,1" -> Decimal with three places (23.000); refuse anything else."""
    text = raw.strip() if isinstance(raw, str) else ""
    match = _PERCENT.fullmatch(text) if len(text) <= 12 else None
    if not match:
        raise PercentError(_(PERCENT_RULE))
    decimals = match.group(2) or ""
    if len(decimals) > PERCENT_PLACES:
        raise PercentError(
            _(
                "At most %(places)s decimals: %(rule)s",
                places=PERCENT_PLACES,
                rule=_(PERCENT_RULE),
            )
        )
    value = Decimal(f"{match.group(1)}.{decimals or 0}").quantize(Decimal("0.001"))
    if value > 100:
        raise PercentError(_("A percent is at most 100: %(rule)s", rule=_(PERCENT_RULE)))
    return value


def format_percent(value: Decimal) -> str:
    """A percent with three places, "23.000" (the API's form)."""
    return f"{value.quantize(Decimal('0.001')):f}"


def tax_rate_snapshot(rate: TaxRate) -> dict:
    """The rate's values for the audit log."""
    return {key: getattr(rate, key) for key in ("name", "percent", "country", "is_default")}


def _tax_rate_errors(rate: TaxRate | None, data: TaxRateInput) -> tuple[dict, Decimal | None]:
    """Every rule a tax rate must meet, as field -> message; and the parsed percent."""
    errors = {}
    missing = N_("Give the tax rate a name, e.g. “VAT 23%”.")
    if problem := name_problem(TaxRate, data.name, rate, missing, RATE_TAKEN):
        errors["name"] = problem
    percent = None
    try:
        percent = parse_percent(data.percent)
    except PercentError as exc:
        errors["percent"] = str(exc)
    if data.country and data.country not in country_names():
        errors["country"] = _(
            "Choose a country from the list (an ISO 3166 two-letter code such as PL or DE), "
            "or none."
        )
    return errors, percent


def save_tax_rate(rate: TaxRate | None, data: TaxRateInput, actor) -> TaxRate:
    """Create (rate None) or update a tax rate; making it the default un-defaults the other
    (unlike currencies, none need be the default: clients without a rate are then at 0 %).

    Nothing issued reads the row: an invoice keeps a snapshot of the rates it was issued with.
    """
    data.name = (data.name or "").strip()
    data.country = (data.country or "").strip().upper() or None
    errors, percent = _tax_rate_errors(rate, data)
    if errors:
        raise ValidationFailed(errors)
    before = tax_rate_snapshot(rate) if rate else None
    if rate is None:
        rate = TaxRate(is_default=False)
        db.session.add(rate)
    rate.name, rate.percent, rate.country = data.name, percent, data.country
    if not data.is_default:
        rate.is_default = False
    flush_unique("name", _(RATE_TAKEN, name=data.name))
    if data.is_default and not rate.is_default:
        make_default(rate, other_defaults(rate), actor, "tax_rate")
    action = "tax_rate.update" if before else "tax_rate.create"
    audit.record(actor, action, "tax_rate", rate.id, before, tax_rate_snapshot(rate))
    return rate


def tax_rate_list() -> list[TaxRate]:
    """Every tax rate, the default first, then by name."""
    return db.session.scalars(
        db.select(TaxRate).order_by(TaxRate.is_default.desc(), TaxRate.name)
    ).all()


def tax_rate_of(client) -> TaxRate | None:
    """The rate a client chose (None: the default rate applies)."""
    return db.session.get(TaxRate, client.tax_rate_id) if client.tax_rate_id else None
