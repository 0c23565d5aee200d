"""One-off items: an admin bills a client for something outside its plan (a server move,
an on-site visit). The item waits for its month's close, or is invoiced at once."""

import re
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_
from sqlalchemy.orm.attributes import set_committed_value

from portal.extensions import db
from portal.formatting import format_day, format_number
from portal.i18n import N_
from portal.models import BillableItem, Client, Invoice, ItemKind
from portal.money import local_number, round_money
from portal.services import audit
from portal.services.billing.invoices import item_row, plan_invoices
from portal.services.billing.periods import is_period_closed, lock_period, period_of
from portal.services.catalog.input import AmountError, parse_amount
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today
from portal.services.text import text_problem
from portal.services.tickets.time_entries import EARLIEST_WORK_DATE

DESCRIPTION_MAX = 300
QUANTITY_MAX = Decimal("99999.99")
AMOUNT_MAX = Decimal("999999999")  # with tax it stays within the money columns (1e12)
AHEAD = timedelta(days=366)
QUANTITY_RULE = N_("Enter a quantity above 0 with at most 2 decimals, e.g. 1, 2.5 or 2,50.")
_QUANTITY = re.compile(r"([0-9]{1,5})(?:[.,]([0-9]{1,2}))?", re.ASCII)


def parse_quantity(raw: object) -> Decimal:
    """ "2", "2.5" or "2,50" -> Decimal with 2 places; raises ValueError with the rule."""
    text = raw.strip() if isinstance(raw, str) else ""
    match = _QUANTITY.fullmatch(text)
    if not match:
        raise ValueError(_(QUANTITY_RULE))
    quantity = Decimal(f"{match.group(1)}.{match.group(2) or 0}").quantize(Decimal("0.01"))
    if not 0 < quantity <= QUANTITY_MAX:
        raise ValueError(_(QUANTITY_RULE))
    return quantity


def _date_error(day) -> str | None:
    """Why a one-off item cannot be dated `day`, or None."""
    if not isinstance(day, date):
        return _("Enter the item's date, e.g. %(example)s.", example=format_day(date(2026, 12, 1)))
    if day < EARLIEST_WORK_DATE:
        return _("Enter a date from %(earliest)s on.", earliest=format_day(EARLIEST_WORK_DATE))
    if day > business_today() + AHEAD:
        return _("Date the item at most a year ahead.")
    lock_period(period_of(day), exclusive=False)  # a close of that month waits for us
    if is_period_closed(period_of(day)):
        return _("%(period)s is closed: date the item in an open month.", period=period_of(day))
    return None


def checked_item(client: Client, values: dict) -> dict:
    """The item's cleaned values (amount computed), or ValidationFailed with a message per field.

    `values`: description, quantity and unit_price as typed (text), date (a date).
    """
    errors, cleaned = {}, {}
    description = (values.get("description") or "").strip()
    if not description:
        errors["description"] = _("Describe what the item is for; it is printed on the invoice.")
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = _(
            "Keep the description to %(max)s characters or fewer.", max=DESCRIPTION_MAX
        )
    elif problem := text_problem(description):
        errors["description"] = problem
    try:
        cleaned["quantity"] = parse_quantity(values.get("quantity"))
    except ValueError as exc:
        errors["quantity"] = str(exc)
    try:
        cleaned["unit_price"] = parse_amount(values.get("unit_price"), client.currency)
    except AmountError as exc:
        errors["unit_price"] = str(exc)
    else:
        if cleaned["unit_price"] <= 0:
            errors["unit_price"] = _("Enter a unit price above 0.")
    if problem := _date_error(values.get("date")):
        errors["date"] = problem
    if not errors:
        amount = round_money(cleaned["quantity"] * cleaned["unit_price"], client.currency.decimals)
        if amount <= 0:
            errors["quantity"] = _("The amount rounds to 0: raise the quantity or the price.")
        elif amount > AMOUNT_MAX:
            errors["quantity"] = _(
                "Quantity × unit price comes to %(amount)s: an item is at most %(max)s.",
                amount=local_number(str(amount)),
                max=format_number(AMOUNT_MAX),
            )
        cleaned["amount"] = amount
    if errors:
        raise ValidationFailed(errors)
    return cleaned | {"description": description, "date": values["date"]}


def add_one_off_item(
    client: Client, values: dict, actor, *, invoice_now: bool = False
) -> BillableItem:
    """Add a one-off item to the client: billed at its month's close, or invoiced now.

    Invoiced now, it gets an invoice of its own (numbered in the invoice series, taxed
    like every invoice of the client) and no period: the close of its month skips it.
    """
    cleaned = checked_item(client, values)
    item = BillableItem(
        client_id=client.id,
        subscription_id=None,
        period_id=None,
        kind=ItemKind.ONE_OFF.value,
        description=cleaned["description"],
        minutes=0,
        quantity=cleaned["quantity"],
        unit_rate=cleaned["unit_price"],
        amount=cleaned["amount"],
        currency_id=client.currency_id,
        work_date=cleaned["date"],
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        actor,
        "item.create",
        "billable_item",
        item.id,
        after={
            "client_id": client.id,
            "description": item.description,
            "quantity": str(item.quantity),
            "unit_price": str(item.unit_rate),
            "amount": str(item.amount),
            "date": item.work_date.isoformat(),
            "invoice_now": invoice_now,
        },
    )
    if invoice_now:
        batch = plan_invoices([{"id": item.id, **item_row(item)}], None, actor)
        batch.insert()
        set_committed_value(item, "invoice_id", batch.invoice_of[item.id])
    return item


def item_invoice(item: BillableItem) -> Invoice | None:
    """The invoice an item is on, if any."""
    return db.session.get(Invoice, item.invoice_id) if item.invoice_id else None


# The client's one-off items not invoiced yet (a condition on billable_item: the client
# page reads them in the statement of its recent items).
PENDING_ONE_OFF = and_(
    BillableItem.kind == ItemKind.ONE_OFF.value, BillableItem.invoice_id.is_(None)
)
