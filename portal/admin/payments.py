"""Payments on the staff invoice page: the form's defaults, and recording one (admin).

The invoice page itself is admin/invoices.py; the payment form reaches its template through
`payment_form_for`, so a refused payment re-renders that same page with the messages.
"""

from flask import flash, g, make_response, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.invoice_forms import PaymentForm
from portal.admin.invoices import invoice as invoice_page
from portal.guards import admin_required
from portal.models import Invoice, InvoiceStatus
from portal.services.billing.payments import record_payment
from portal.services.lookups import invoice_for
from portal.services.settings import business_today
from portal.web import run_or_errors


def payment_form_for(invoice: Invoice) -> PaymentForm:
    """The form the invoice page shows: the refused one of this request, else a new one
    dated today for the open balance."""
    form = g.get("payment_form") or PaymentForm(
        formdata=None,
        date=business_today(),
        amount=f"{invoice.balance:.{invoice.currency.decimals}f}",
    )
    form.amount.label.text = _("Amount (%(currency)s)", currency=invoice.currency.code)
    return form


@bp.context_processor
def payment_helpers() -> dict:
    """What the payments section of the invoice page needs besides the invoice."""
    return {"payment_form_for": payment_form_for}


@bp.post("/invoices/<int:invoice_id>/payments")
@admin_required
def invoice_payment_add(invoice_id: int):
    """Record a payment; the invoice becomes Paid when payments reach its total."""
    invoice = invoice_for(current_user, invoice_id)
    form = PaymentForm()
    if form.validate_on_submit():
        payment = run_or_errors(form, lambda: record_payment(invoice, current_user, form.values()))
        if payment is not None:
            amount = f"{payment.amount:.{invoice.currency.decimals}f} {invoice.currency.code}"
            values = {"amount": amount, "number": invoice.number}
            if invoice.status == InvoiceStatus.PAID:
                message = _(
                    "Payment of %(amount)s recorded on %(number)s. It is paid in full.", **values
                )
            else:
                message = _("Payment of %(amount)s recorded on %(number)s.", **values)
            flash(message, "success")
            return redirect(url_for("admin.invoice", invoice_id=invoice_id))
    g.payment_form = form
    response = make_response(invoice_page(invoice_id))
    response.status_code = 422
    return response
