"""An invoice's documents over the API: the PDF (Factur-X inside) and the XML alone."""

from portal.api import bp
from portal.api.common import user
from portal.services.billing import documents
from portal.services.lookups import invoice_for
from portal.web import download

BINARY = {"type": "string", "format": "binary"}


@bp.get("/invoices/<int:invoice_id>/pdf")
@bp.doc(
    responses={
        200: {
            "description": "The invoice as a PDF/A-3 with its Factur-X XML embedded",
            "content": {"application/pdf": {"schema": BINARY}},
        }
    }
)
def invoices_pdf(invoice_id: int):
    """The invoice's PDF (staff; a client its own)."""
    return download(*documents.invoice_file(invoice_for(user(), invoice_id), "pdf"))


@bp.get("/invoices/<int:invoice_id>/factur-x.xml")
@bp.doc(
    responses={
        200: {
            "description": "The Factur-X EN 16931 CII XML",
            "content": {"application/xml": {"schema": BINARY}},
        },
        409: {"description": "Issued before the business profile was saved: no e-invoice"},
    }
)
def invoices_xml(invoice_id: int):
    """The invoice's Factur-X XML (staff; a client its own); 409 without an e-invoice."""
    return download(*documents.invoice_file(invoice_for(user(), invoice_id), "xml"))
