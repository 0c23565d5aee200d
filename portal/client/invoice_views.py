"""Client invoices: the list and a printable invoice page; another client's invoice is a 404."""

from flask import render_template
from flask_login import current_user

from portal.client import bp
from portal.services.billing.documents import invoice_body, invoice_document
from portal.services.billing.invoice_queries import client_invoices
from portal.services.billing.periods import month_name
from portal.services.lookups import invoice_for
from portal.web import page_args

# The invoice partial is shared with the staff pages, so the filter is app-wide.
bp.add_app_template_filter(month_name, "month_name")


@bp.route("/invoices")
def invoices():
    """The account's invoices, newest first."""
    page, per_page = page_args()
    pagination = client_invoices(current_user.client_id, page, per_page)
    return render_template("client/invoices/index.html", pagination=pagination)


@bp.route("/invoices/<int:invoice_id>")
def invoice(invoice_id: int):
    """One of the account's invoices, laid out for printing."""
    invoice = invoice_for(current_user, invoice_id)  # another client's is a 404
    doc = invoice_document(invoice)
    return render_template(
        "client/invoices/show.html",
        invoice=invoice,
        doc=doc,
        invoice_body=invoice_body(invoice, doc),
    )
