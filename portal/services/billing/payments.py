"""Payments against an invoice: recorded, never above the balance; Paid when covered."""

from datetime import date

from flask_babel import gettext as _

from portal.extensions import db
from portal.formatting import format_day
from portal.i18n import N_
from portal.models import Invoice, InvoiceKind, InvoiceStatus, Payment, PaymentMethod
from portal.money import local_number, round_money
from portal.services import audit
from portal.services.billing.invoices import InvalidTransition, allowed_moves, lock_invoice
from portal.services.catalog.input import AmountError, parse_amount
from portal.services.errors import ValidationFailed
from portal.services.mail.billing import tell_payment_received
from portal.services.settings import business_today
from portal.services.text import text_problem

REFERENCE_MAX = 200
METHOD_RULE = N_("Choose how it was paid: bank transfer, card, cash or other.")


def payment_errors(invoice: Invoice, values: dict) -> tuple[dict, dict]:
    """The payment's cleaned values and a message per wrong field.

    `values`: date (a date), amount (text as typed, "829.63" or "829,63"), method, reference.
    """
    errors, cleaned = {}, {}
    day = values.get("date")
    if not isinstance(day, date):
        errors["date"] = _(
            "Enter the date the money came in, e.g. %(example)s.",
            example=format_day(date(2026, 11, 5)),
        )
    elif day > business_today():
        errors["date"] = _("The payment date cannot be in the future.")
    elif day < invoice.issue_date:
        errors["date"] = _(
            "The invoice was issued on %(date)s: a payment cannot be dated before it.",
            date=format_day(invoice.issue_date),
        )
    cleaned["date"] = day
    currency = invoice.currency
    try:
        amount = parse_amount(values.get("amount"), currency)
    except AmountError as exc:
        errors["amount"] = str(exc)
    else:
        balance = round_money(invoice.balance, currency.decimals)
        if amount <= 0:
            errors["amount"] = _("Enter an amount above 0.")
        elif amount > balance:
            errors["amount"] = _(
                "The open balance is %(balance)s %(currency)s: a payment cannot be more.",
                balance=local_number(f"{balance:.{currency.decimals}f}"),
                currency=currency.code,
            )
        cleaned["amount"] = amount
    method = values.get("method") or ""
    if method not in PaymentMethod.values():
        errors["method"] = _(METHOD_RULE)
    cleaned["method"] = method
    reference = (values.get("reference") or "").strip()
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = _(
            "Keep the reference to %(max)s characters or fewer.", max=REFERENCE_MAX
        )
    elif problem := text_problem(reference):
        errors["reference"] = problem
    cleaned["reference"] = reference
    return cleaned, errors


def record_payment(invoice: Invoice, actor, values: dict) -> Payment:
    """Record money received; when payments reach the total the invoice becomes Paid,
    dated by the payment that completed it.

    Refused (409) on a credit note, a cancelled or a paid invoice; a wrong field is a
    ValidationFailed. The invoice row is locked first, so two payments cannot both fit
    one balance; the database checks paid_total <= total as well.
    """
    invoice = lock_invoice(invoice)
    if invoice.kind == InvoiceKind.CREDIT_NOTE or invoice.status != InvoiceStatus.UNPAID:
        raise InvalidTransition(invoice, "paid")
    cleaned, errors = payment_errors(invoice, values)
    if errors:
        raise ValidationFailed(errors)
    payment = Payment(invoice=invoice, created_by_id=getattr(actor, "id", None), **cleaned)
    db.session.add(payment)
    before = {"status": invoice.status, "paid_total": str(invoice.paid_total)}
    invoice.paid_total += cleaned["amount"]
    if invoice.paid_total == invoice.total:
        invoice.status = InvoiceStatus.PAID.value
        invoice.paid_date = cleaned["date"]
    db.session.flush()
    audit.record(
        actor,
        # The payment that completes the invoice is also the moment it was paid.
        "invoice.paid" if invoice.status == InvoiceStatus.PAID else "invoice.payment",
        "invoice",
        invoice.id,
        before,
        {
            "status": invoice.status,
            "paid_total": str(invoice.paid_total),
            "payment": {
                "id": payment.id,
                "date": payment.date.isoformat(),
                "amount": str(payment.amount),
                "method": payment.method,
            },
        },
    )
    tell_payment_received(invoice)
    return payment


def mark_paid(invoice: Invoice, actor) -> Invoice:
    """Record a payment of the whole balance, dated today: the invoice becomes Paid."""
    invoice = lock_invoice(invoice)
    if InvoiceStatus.PAID.value not in allowed_moves(invoice):
        raise InvalidTransition(invoice, InvoiceStatus.PAID.value)
    record_payment(
        invoice,
        actor,
        {
            "date": business_today(),
            "amount": f"{round_money(invoice.balance, invoice.currency.decimals)}",
            "method": PaymentMethod.OTHER.value,
            "reference": "Marked paid",
        },
    )
    return invoice
