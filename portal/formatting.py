"""Template filters: money via Babel in the currency's own digits, hours, local times."""

from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from flask import has_request_context
from flask_login import current_user

from portal.models import PaymentMethod
from portal.money import format_hours, format_hours_as, round_money
from portal.services.billing.periods import MONTHS
from portal.services.countries import country_name
from portal.services.settings import business_today, to_business_time

LOCALE = "en_US"


def format_money(amount: Decimal | None, currency) -> str:
    """133.3333 EUR -> "€133.33"; uses the currency's prefix/suffix when it defines them."""
    if amount is None:
        return ""
    places = currency.decimals
    value = round_money(amount, places)
    pattern = "#,##0" + ("." + "0" * places if places else "")
    if currency.prefix or currency.suffix:
        number = format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True)
        return f"{currency.prefix}{number}{currency.suffix}"
    return format_currency(
        value,
        currency.code,
        format="¤" + pattern,
        locale=LOCALE,
        currency_digits=False,
        decimal_quantization=True,
    )


def user_time_format() -> str:
    """The logged-in user's choice of "hm" (1:30, the default) or "decimal" (1.50)."""
    if has_request_context() and getattr(current_user, "is_authenticated", False):
        return getattr(current_user, "time_format", None) or "hm"
    return "hm"


def format_hours_for_user(minutes: int | None) -> str:
    """Minutes as the page's reader chose to see time: "1:30" by default, or "1.50"."""
    return format_hours_as(minutes, user_time_format())


def format_datetime_local(moment, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC timestamp in the business time zone."""
    if moment is None:
        return ""
    return to_business_time(moment).strftime(fmt)


def month_label(period: str) -> str:
    """ "2026-10" -> "October" this year, "October 2025" in another (carry-over lines)."""
    name = MONTHS.split()[int(period[5:]) - 1]
    return name if int(period[:4]) == business_today().year else f"{name} {period[:4]}"


def day_label(day) -> str:
    """A date as people read it: "30 November" this year, "4 January 2027" in another."""
    if day is None:
        return ""
    name = f"{day.day} {MONTHS.split()[day.month - 1]}"
    return name if day.year == business_today().year else f"{name} {day.year}"


PAYMENT_METHODS = {
    PaymentMethod.BANK_TRANSFER.value: "Bank transfer",
    PaymentMethod.CARD.value: "Card",
    PaymentMethod.CASH.value: "Cash",
    PaymentMethod.OTHER.value: "Other",
}


def payment_method_label(method: str) -> str:
    """How a payment came in, in words ("bank_transfer" -> "Bank transfer")."""
    return PAYMENT_METHODS.get(method, method)


def percent_label(value: Decimal) -> str:
    """A stored percent as people write it: 23.000 -> "23 %", 7.125 -> "7.125 %"."""
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    return f"{text} %"


def link_args(args) -> dict:
    """A query string's values for url_for(): url_for's own keywords ("endpoint",
    "_external", "_anchor", …) are left out, so a crafted query cannot steer the link."""
    return {k: v for k, v in args.to_dict().items() if k != "endpoint" and not k.startswith("_")}


def register(app) -> None:
    """Add the filters to Jinja."""
    app.add_template_filter(link_args, "link_args")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_hours_for_user, "hours")
    # Invoices (page and PDF) and other documents always show decimal hours.
    app.add_template_filter(format_hours, "decimal_hours")
    app.add_template_filter(format_datetime_local, "localtime")
    app.add_template_filter(month_label, "month_label")
    app.add_template_filter(day_label, "day_label")
    app.add_template_filter(country_name, "country_name")
    app.add_template_filter(percent_label, "percent")
    app.add_template_filter(payment_method_label, "payment_method")
