"""What admins type for the catalogue: input records, and parsing of amounts and included hours."""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from portal.i18n import N_
from portal.models import BillingModel, Currency
from portal.money import QUARTER, local_number, round_money

MAX_AMOUNT_DIGITS = 9  # up to 999,999,999 in the currency's units
MAX_INCLUDED_HOURS = 744  # a 31-day month, around the clock
# Marked here, translated where it is shown (`_(INCLUDED_RULE)`); 744 is MAX_INCLUDED_HOURS.
INCLUDED_RULE = N_(
    "Enter the hours included a month in quarter-hour steps up to 744, e.g. 10, 7.5, 7,5 or 7:30."
)

# ASCII digits only; no sign, exponent, NaN, inf or thousands separator.
_AMOUNT = re.compile(rf"([0-9]{{1,{MAX_AMOUNT_DIGITS}}})(?:[.,]([0-9]{{1,8}}))?", re.ASCII)
_DECIMAL_HOURS = re.compile(r"([0-9]{0,3})(?:[.,]([0-9]{1,2}))?", re.ASCII)
_CLOCK_HOURS = re.compile(r"([0-9]{1,3}):([0-9]{2})", re.ASCII)


@dataclass
class CurrencyInput:
    """A currency as typed on the form."""

    code: str
    decimals: int | None
    prefix: str = ""
    suffix: str = ""
    is_default: bool = False


@dataclass
class PlanInput:
    """A plan as typed on the form; prices map a currency code to (fee, rate) as typed."""

    name: str
    description: str = ""
    model: str = BillingModel.PACKAGE.value
    included_hours: str = ""
    prorate: bool = True
    active: bool = True
    prices: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Rollover (package) and block terms, as typed; blank means none (0, no cap).
    rollover_months: object = ""
    rollover_cap_hours: object = ""
    block_hours: object = ""
    validity_months: object = ""
    when_used_up: str = "overtime"


class AmountError(ValueError):
    """An amount outside the rule; the message says what is allowed."""


class IncludedHoursError(ValueError):
    """Included hours outside the rule; the message says what is allowed."""

    def __init__(self, message: str | None = None):
        super().__init__(message if message is not None else _(INCLUDED_RULE))


def amount_rule(currency: Currency) -> str:
    """What an amount in this currency may look like."""
    places = currency.decimals
    if not places:
        return _(
            "Enter an amount in %(currency)s such as %(example)s: digits, whole units only, "
            "no sign, up to %(max)s.",
            currency=currency.code,
            example="2000",
            max="9" * MAX_AMOUNT_DIGITS,
        )
    return _(
        "Enter an amount in %(currency)s such as %(example)s: digits, at most %(places)s "
        "decimals, no sign, up to %(max)s.",
        currency=currency.code,
        example=local_number("199." + "9" * places),
        places=places,
        max="9" * MAX_AMOUNT_DIGITS,
    )


def parse_amount(raw: object, currency: Currency) -> Decimal:
    """ "199.99" or "199,99" -> Decimal(199.99) in the currency's places; refuse anything else."""
    text = raw.strip() if isinstance(raw, str) else ""
    match = _AMOUNT.fullmatch(text) if len(text) <= 20 else None
    if not match or len(match.group(2) or "") > currency.decimals:
        raise AmountError(amount_rule(currency))
    return round_money(Decimal(f"{match.group(1)}.{match.group(2) or 0}"), currency.decimals)


def parse_included_hours(raw: object) -> int:
    """ "10", "7.5", "7,5" or "7:30" -> integer minutes, 0 allowed; raises IncludedHoursError."""
    text = raw.strip() if isinstance(raw, str) else ""
    clock = _CLOCK_HOURS.fullmatch(text) if len(text) <= 8 else None
    decimal = _DECIMAL_HOURS.fullmatch(text) if len(text) <= 8 else None
    if clock:
        if clock.group(2) not in ("00", "15", "30", "45"):
            raise IncludedHoursError(_("Minutes after the colon must be 00, 15, 30 or 45."))
        minutes = int(clock.group(1)) * 60 + int(clock.group(2))
    elif decimal and (decimal.group(1) or decimal.group(2)):
        exact = Decimal(f"{decimal.group(1) or 0}.{decimal.group(2) or 0}") * 60
        if exact != exact.to_integral_value():
            raise IncludedHoursError()
        minutes = int(exact)
    else:
        raise IncludedHoursError()
    if minutes % QUARTER or minutes > MAX_INCLUDED_HOURS * 60:
        raise IncludedHoursError()
    return minutes


def parse_prices(
    data: PlanInput, currencies, errors: dict
) -> dict[Currency, tuple[Decimal, Decimal]]:
    """Parse one (fee, rate) row per currency into `errors` or the result; a blank row: no price."""
    hourly = data.model == BillingModel.HOURLY
    block = data.model == BillingModel.BLOCK
    prices = {}
    for currency in currencies:
        fee_text, rate_text = (s.strip() for s in data.prices.get(currency.code, ("", "")))
        if not fee_text and not rate_text:
            continue
        key = f"price-{currency.code}-"
        amounts = {}
        for part, text in (("fee", fee_text), ("rate", rate_text)):
            if not text and not (part == "fee" and hourly):
                missing = (
                    N_("Enter the fee, or leave the %(currency)s row blank.")
                    if part == "fee"
                    else N_("Enter the rate, or leave the %(currency)s row blank.")
                )
                errors[key + part] = _(missing, currency=currency.code)
                continue
            try:
                amounts[part] = parse_amount(text or "0", currency)
            except AmountError as exc:
                errors[key + part] = str(exc)
        if hourly and amounts.get("fee"):
            errors[key + "fee"] = _("Hourly plans have no monthly fee: leave it blank.")
        if hourly and amounts.get("rate") == 0:
            errors[key + "rate"] = _("An hourly plan needs an hourly rate above 0.")
        if block and amounts.get("fee") == 0:
            errors[key + "fee"] = _("A block has a price above 0: enter what one block costs.")
        if len(amounts) == 2:
            prices[currency] = (amounts["fee"], amounts["rate"])
    if not prices and not any(k.startswith("price-") for k in errors):
        errors["prices"] = _("Give the plan a price in at least one currency.")
    return prices


def parse_month_count(raw: object, low: int, high: int) -> int:
    """A whole number of months from `low` to `high` (blank: `low`); raises ValueError."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    else:
        text = raw.strip() if isinstance(raw, str) else None
        if text is None or (text and not text.isascii()) or (text and not text.isdigit()):
            raise ValueError
        value = int(text) if text else low
    if not low <= value <= high:
        raise ValueError
    return value
