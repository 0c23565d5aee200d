"""Read models of invoices: one client's list, ready to render (one invoice: lookups)."""

from sqlalchemy.orm import joinedload

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
