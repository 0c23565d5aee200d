"""Staff invoice pages: list with filters, the invoice, mark paid and cancel (admin)."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmedForm, ConfirmForm
from portal.extensions import db
from portal.formatting import format_day, format_money, value_label
from portal.guards import admin_required
from portal.models import Client, InvoiceKind, InvoiceStatus
from portal.services.billing.documents import invoice_body, invoice_document
from portal.services.billing.invoices import allowed_moves, cancel_invoice
from portal.services.billing.payments import mark_paid
from portal.services.billing.periods import parse_period
from portal.services.billing.queries import invoice_list
from portal.services.errors import DomainError, ValidationFailed
from portal.services.lookups import invoice_for
from portal.web import confirmation_page, flash_refusal, id_arg, page_args, text_arg

KINDS = {
    InvoiceKind.INVOICE.value: _l("Invoices"),
    InvoiceKind.CREDIT_NOTE.value: _l("Credit notes"),
}


@bp.get("/invoices")
def invoices():
    """Every invoice and credit note, newest first, filtered by client, period, status, kind."""
    status = request.args.get("status")
    status = status if status in InvoiceStatus.values() else None
    kind = request.args.get("kind")
    kind = kind if kind in KINDS else None
    period = request.args.get("period") or None
    if period:
        try:
            period = parse_period(period)
        except ValidationFailed:
            flash(_("Give the month as YYYY-MM, e.g. 2026-09; showing every month."), "info")
            period = None
    client_id = id_arg("client_id")
    client_name = text_arg("client")
    page, per_page = page_args()
    return render_template(
        "admin/invoices/index.html",
        pagination=invoice_list(client_id, period, status, page, per_page, client_name, kind),
        chosen_client=db.session.get(Client, client_id) if client_id else None,
        statuses=InvoiceStatus.values(),
        kinds=KINDS,
        filters={
            "status": status,
            "kind": kind,
            "period": period,
            "client_id": client_id,
            "client_name": client_name,
        },
    )


@bp.get("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    """One invoice, printable; admins can mark it paid or cancel it."""
    invoice = invoice_for(current_user, invoice_id)
    doc = invoice_document(invoice)
    return render_template(
        "admin/invoices/show.html",
        invoice=invoice,
        doc=doc,
        invoice_body=invoice_body(invoice, doc),
        moves=allowed_moves(invoice),
        form=ConfirmForm(),
    )


def _transition(invoice_id: int, action, done, ask=None):
    """Apply an invoice transition from a POST, with a message either way; with `ask`, a
    post without `confirmed` gets its confirmation page instead."""
    invoice = invoice_for(current_user, invoice_id)
    form = ConfirmedForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
    elif (
        ask is not None
        and not form.is_confirmed()
        and InvoiceStatus.CANCELLED in allowed_moves(invoice)
    ):
        return ask(form, invoice)  # a refused cancel says why at once, without asking first
    else:
        try:
            action(invoice, current_user)
            flash(done(invoice), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(url_for("admin.invoice", invoice_id=invoice_id))


@bp.post("/invoices/<int:invoice_id>/mark-paid")
@admin_required
def invoice_mark_paid(invoice_id: int):
    """Unpaid -> Paid."""
    return _transition(invoice_id, mark_paid, _paid_message)


@bp.post("/invoices/<int:invoice_id>/cancel")
@admin_required
def invoice_cancel(invoice_id: int):
    """Unpaid -> Cancelled, once confirmed."""
    return _transition(invoice_id, cancel_invoice, _cancelled_message, ask=_confirm_cancel)


def _paid_message(invoice) -> str:
    """What marking an invoice paid did."""
    return _("Invoice %(number)s marked paid.", number=invoice.number)


def _cancelled_message(invoice) -> str:
    """What cancelling an invoice did: its credit note, when one was issued."""
    note = invoice.credit_note
    if note is None:
        return _("Invoice %(number)s cancelled.", number=invoice.number)
    return _(
        "Invoice %(number)s cancelled; credit note %(note)s issued.",
        number=invoice.number,
        note=note.number,
    )


def _confirm_cancel(form: ConfirmedForm, invoice):
    """Ask before cancelling: which invoice, whose, how much."""
    return confirmation_page(
        form,
        _("Cancel invoice %(number)s?", number=invoice.number),
        _(
            "The invoice becomes Cancelled: it can no longer be paid or re-opened, and its "
            "number stays used, so the numbering keeps no gap. A credit note of the same lines "
            "and taxes, negated, is issued in the credit-note series."
        ),
        yes=_("Yes, cancel invoice"),
        keep_url=url_for("admin.invoice", invoice_id=invoice.id),
        details=[
            (_("Client"), invoice.client.name),
            (_("Issued"), format_day(invoice.issue_date)),
            (_("Total"), format_money(invoice.total, invoice.currency)),
            (_("Status"), value_label(invoice.status)),
        ],
    )
