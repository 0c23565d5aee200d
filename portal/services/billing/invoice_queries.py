"""Read models of invoices: one client's list, ready to render (one invoice: lookups)."""

from sqlalchemy.orm import defer, joinedload

from portal.extensions import db
from portal.models import Invoice

# What a list of invoices never shows: the issue-time snapshots (JSON, decoded per row).
LIST_DEFERRED = (defer(Invoice.seller), defer(Invoice.buyer), defer(Invoice.notes))


def client_invoices(client_id: int, page: int, per_page: int):
    """A page of the client's invoices, newest first."""
    query = (
        db.select(Invoice)
        .options(joinedload(Invoice.period), joinedload(Invoice.currency), *LIST_DEFERRED)
        .where(Invoice.client_id == client_id)
        .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)
