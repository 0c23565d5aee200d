"""Staff downloads of an invoice's documents: the PDF (Factur-X inside) and the XML alone."""

from flask import url_for
from flask_login import current_user

from portal.admin import bp
from portal.services.lookups import invoice_for
from portal.web import invoice_download


@bp.get("/invoices/<int:invoice_id>/pdf")
def invoice_pdf(invoice_id: int):
    """The invoice as a PDF/A-3 with its Factur-X XML."""
    back = url_for("admin.invoice", invoice_id=invoice_id)
    return invoice_download(invoice_for(current_user, invoice_id), "pdf", back)


@bp.get("/invoices/<int:invoice_id>/factur-x.xml")
def invoice_xml(invoice_id: int):
    """The Factur-X EN 16931 XML on its own."""
    back = url_for("admin.invoice", invoice_id=invoice_id)
    return invoice_download(invoice_for(current_user, invoice_id), "xml", back)
