"""Read models of invoices: one client's list and one of its invoices, ready to render."""

from sqlalchemy.orm import joinedload, selectinload

from portal.extensions import db
from portal.models import Invoice


def client_invoices(client_id: int, page: int, per_page: int):
    """A page of the client's invoices, newest first."""
    query = (
        db.select(Invoice)
        .options(joinedload(Invoice.period), joinedload(Invoice.currency))
        .where(Invoice.client_id == client_id)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)


def client_invoice(client_id: int, invoice_id: int) -> Invoice | None:
    """One of the client's invoices with its lines; None when it is not theirs or not there."""
    return db.session.scalar(
        db.select(Invoice)
        .options(
            selectinload(Invoice.lines),
            joinedload(Invoice.client),
            joinedload(Invoice.currency),
            joinedload(Invoice.period),
        )
        .where(Invoice.id == invoice_id, Invoice.client_id == client_id)
    )
