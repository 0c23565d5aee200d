"""Template filters: money, numbers, dates and hours as the page's language writes them
(Babel: "€1,829.63", "1 829,63 zł", "1.829,63 €"; "1.50" and "1,50"), local times."""

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.numbers import format_currency, format_decimal
from flask import has_request_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.i18n import current_language
from portal.models import PaymentMethod
from portal.money import format_hours, format_hours_as, local_number, round_money
from portal.services.countries import country_name
from portal.services.settings import business_today, to_business_time

# How each language writes a day and a moment (Babel patterns): ISO in English, as the
# portal always did; day.month.year in Polish and German.
DATE_PATTERNS = {"en": "yyyy-MM-dd", "pl": "dd.MM.yyyy", "de": "dd.MM.yyyy"}
# English money keeps the US pattern it always had ("€1,829.63").
MONEY_LOCALES = {"en": "en_US", "pl": "pl_PL", "de": "de_DE"}


def _money_pattern(language: str, places: int) -> str:
    """The language's currency pattern with the currency's own number of decimals."""
    pattern = Locale.parse(MONEY_LOCALES[language]).currency_formats["standard"].pattern
    pattern = pattern.split(";")[0]
    return pattern.replace("0.00", "0" + ("." + "0" * places if places else ""))


def format_money(amount: Decimal | None, currency, language: str | None = None) -> str:
    """133.3333 EUR -> "€133.33" ("133,33 €" in German); a currency's own prefix/suffix
    wins over the language's symbol."""
    if amount is None:
        return ""
    language = language or current_language()
    return _money_text(
        Decimal(amount),
        currency.code,
        currency.decimals,
        currency.prefix,
        currency.suffix,
        language,
    )


# Lists of 200 rows format the same few amounts and days again and again; Babel takes
# tens of microseconds each time. The results depend only on the arguments.
@lru_cache(maxsize=4096)
def _money_text(
    amount: Decimal, code: str, places: int, prefix: str, suffix: str, language: str
) -> str:
    """format_money's text for the amount, the currency's terms and the language."""
    locale = MONEY_LOCALES.get(language, MONEY_LOCALES["en"])
    value = round_money(amount, places)
    if prefix or suffix:
        pattern = "#,##0" + ("." + "0" * places if places else "")
        number = format_decimal(value, format=pattern, locale=locale, decimal_quantization=True)
        return f"{prefix}{number}{suffix}"
    return format_currency(
        value,
        code,
        format=_money_pattern(language if language in MONEY_LOCALES else "en", places),
        locale=locale,
        currency_digits=False,
        decimal_quantization=True,
    )


def format_number(value) -> str:
    """A plain decimal number in the language's way: 1234.5 -> "1,234.5" / "1 234,5"."""
    if value is None:
        return ""
    locale = MONEY_LOCALES.get(current_language(), "en_US")
    return format_decimal(value, locale=locale, decimal_quantization=False)


def format_quantity(value: Decimal | None) -> str:
    """An invoice line's quantity with two places, in Decimal (never through a float), in
    the language's way: 2.5 -> "2.50" / "2,50"."""
    if value is None:
        return ""
    return local_number(f"{round_money(Decimal(value), 2):.2f}")


def format_day(day: date | datetime | None) -> str:
    """A date as the language writes it: "2026-11-30", "30.11.2026"."""
    if day is None:
        return ""
    if isinstance(day, datetime):
        day = day.date()
    return _day_text(day, current_language())


@lru_cache(maxsize=4096)
def _day_text(day: date, language: str) -> str:
    """format_day's text for a day in a language."""
    return babel_format_date(day, DATE_PATTERNS.get(language, "yyyy-MM-dd"), locale=language)


def user_time_format() -> str:
    """The logged-in user's choice of "hm" (1:30, the default) or "decimal" (1.50)."""
    if not has_request_context():
        return "hm"
    user = current_user._get_current_object()  # once: lists ask twice a row
    if getattr(user, "is_authenticated", False):
        return getattr(user, "time_format", None) or "hm"
    return "hm"


def format_hours_for_user(minutes: int | None) -> str:
    """Minutes as the page's reader chose to see time: "1:30" by default, or "1.50"."""
    return format_hours_as(minutes, user_time_format())


def format_datetime_local(moment, fmt: str | None = None) -> str:
    """A UTC timestamp in the business time zone: "2026-11-30 14:05" ("30.11.2026 14:05")."""
    if moment is None:
        return ""
    local = to_business_time(moment)
    if fmt is not None:
        return local.strftime(fmt)
    return f"{format_day(local.date())} {local:%H:%M}"


# Day and month in words, this year and another: "30 November", "30 listopada 2027".
DAY_PATTERNS = {"en": ("d MMMM", "d MMMM yyyy"), "de": ("d. MMMM", "d. MMMM yyyy")}
DAY_PATTERNS["pl"] = DAY_PATTERNS["en"]


def month_label(period: str) -> str:
    """ "2026-10" -> "October" this year, "October 2025" in another (carry-over lines)."""
    first = date(int(period[:4]), int(period[5:7]), 1)
    pattern = "LLLL" if first.year == business_today().year else "LLLL yyyy"
    return babel_format_date(first, pattern, locale=current_language())


def day_label(day) -> str:
    """A date as people read it: "30 November" this year, "4 January 2027" in another."""
    if day is None:
        return ""
    language = current_language()
    this_year, other_year = DAY_PATTERNS.get(language, DAY_PATTERNS["en"])
    pattern = this_year if day.year == business_today().year else other_year
    return babel_format_date(day, pattern, locale=language)


PAYMENT_METHODS = {
    PaymentMethod.BANK_TRANSFER.value: _l("Bank transfer"),
    PaymentMethod.CARD.value: _l("Card"),
    PaymentMethod.CASH.value: _l("Cash"),
    PaymentMethod.OTHER.value: _l("Other"),
}


def payment_method_label(method: str) -> str:
    """How a payment came in, in words ("bank_transfer" -> "Bank transfer")."""
    label = PAYMENT_METHODS.get(method)
    return str(label) if label is not None else method


# Stored values people read as words: ticket statuses and priorities, invoice statuses and
# kinds, item kinds (`{{ ticket.status|label }}`); anything else shows as it is.
LABELS = {
    "Open": _l("Open"),
    "Answered": _l("Answered"),
    "Customer-Reply": _l("Customer-Reply"),
    "On Hold": _l("On Hold"),
    "Closed": _l("Closed"),
    "Low": _l("Low"),
    "Medium": _l("Medium"),
    "High": _l("High"),
    "Urgent": _l("Urgent"),
    "Unpaid": _l("Unpaid"),
    "Paid": _l("Paid"),
    "Cancelled": _l("Cancelled"),
    "Issued": _l("Issued"),
    "invoice": _l("Invoice"),
    "credit_note": _l("Credit note"),
    "package_fee": _l("Package fee"),
    "overtime": _l("Overtime"),
    "hourly": _l("Hourly"),
    "one_off": _l("One-off"),
    "block_fee": _l("Prepaid block"),
    # Plan models (a subscription's, named in refusals).
    "package": _l("Package"),
    "block": _l("Prepaid blocks"),
    # Outbox message statuses.
    "queued": _l("Queued"),
    "held": _l("Held"),
    "sent": _l("Sent"),
    "failed": _l("Failed"),
    # Ticket departments.
    "Support": _l("Support"),
    "Hosting": _l("Hosting"),
    "Network": _l("Network"),
    "Billing": _l("Billing"),
}


def value_label(value) -> str:
    """A stored status, priority or kind in the reader's language ("Open" -> "Offen")."""
    if value not in LABELS:
        return "" if value is None else str(value)
    return _label_text(value, current_language())


@lru_cache(maxsize=512)
def _label_text(value: str, language: str) -> str:
    """A label's text in a language: lists call `label` on every row (a catalog look-up
    costs several context look-ups; the language, one)."""
    return str(LABELS[value])


def percent_label(value: Decimal) -> str:
    """A stored percent as people write it: 23.000 -> "23 %", 7.125 -> "7.125 %" ("7,125 %")."""
    text = f"{value:f}".rstrip("0").rstrip(".") if "." in f"{value:f}" else f"{value:f}"
    return f"{local_number(text)} %"


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
    app.add_template_filter(lambda minutes: local_number(format_hours(minutes)), "decimal_hours")
    app.add_template_filter(format_day, "date")
    app.add_template_filter(value_label, "label")
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_quantity, "quantity")
    app.add_template_filter(format_datetime_local, "localtime")
    app.add_template_filter(month_label, "month_label")
    app.add_template_filter(day_label, "day_label")
    app.add_template_filter(country_name, "country_name")
    app.add_template_filter(percent_label, "percent")
    app.add_template_filter(payment_method_label, "payment_method")
