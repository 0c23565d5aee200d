"""Read models of the client area: the dashboard and the usage history, built on usage.py."""

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from portal.formatting import value_label
from portal.models import Client, Subscription
from portal.services.billing.periods import period_of
from portal.services.clients.usage import MonthUsage, previous_periods, usage_history
from portal.services.settings import business_today

HISTORY_MONTHS = 12
WARNING_SHARE = Decimal("0.8")


@dataclass
class Dashboard:
    """What the client's home page shows for the current month and the last twelve."""

    month: MonthUsage
    subscription: Subscription | None
    notice: str | None  # "full" at 100 % of included hours, "warning" at 80 %, else None
    percent_used: int  # 0-100, for the progress bar
    history: list[MonthUsage]
    show_chart: bool  # False until some month has a plan or usage


def notice_level(month: MonthUsage) -> str | None:
    """Which notice the used share calls for: "full" (>= 100 %), "warning" (>= 80 %) or None."""
    share = month.used_share
    if share is None:
        return None
    if share >= 1:
        return "full"
    if share >= WARNING_SHARE:
        return "warning"
    return None


def client_dashboard(client: Client) -> Dashboard:
    """The current month's usage, its notice, and the last twelve months (for the chart)."""
    current = period_of(business_today())
    history = usage_history(client, previous_periods(current, HISTORY_MONTHS))
    month = history[-1]
    share = month.used_share
    percent = int(min(share, Decimal(1)) * 100) if share is not None else 0
    return Dashboard(
        month=month,
        subscription=month.subscription if month.plan else None,
        notice=notice_level(month),
        percent_used=percent,
        history=history,
        show_chart=any(m.plan or m.used_minutes for m in history),
    )


def month_status(month: MonthUsage) -> str:
    """How a month stands for the client: open, its invoice's status, or why there is none."""
    if not month.closed:
        return _("Open month")
    if month.invoice_status:
        return value_label(month.invoice_status)
    return _("Not yet invoiced") if month.total > 0 else _("No charge")


def history_columns(months: list[MonthUsage]) -> dict[str, bool]:
    """Which extra columns a usage history shows: carry-over when a month's plan rolls hours
    over, blocks when one sells prepaid blocks. Package-only and hourly clients see the
    history as before. Read from the months themselves: no query of its own."""
    return {
        "carry": any(
            month.model == "package"
            and (
                month.carried_in_minutes
                or month.carried_out_minutes
                or (month.subscription is not None and month.subscription.rollover_months > 0)
            )
            for month in months
        ),
        "block": any(month.model == "block" for month in months),
    }


def usage_rows(client: Client) -> list[tuple[MonthUsage, str]]:
    """The last twelve months with a plan or usage, newest first, each with its status."""
    # Months before the first subscription have neither plan nor usage: the filter below
    # drops them, so they need no query of their own.
    months = usage_history(client, previous_periods(period_of(business_today()), HISTORY_MONTHS))
    return [(m, month_status(m)) for m in reversed(months) if m.plan or m.used_minutes]
