"""Finding clients by part of their name: for the queue's and the invoices' filters and
the new-ticket form's client finder."""

from sqlalchemy import func

from portal.extensions import db
from portal.models import Client


def clients_named(text: str):
    """Subquery: ids of the clients whose name contains `text`, ignoring case (ASCII case
    on SQLite); % and _ are matched literally."""
    return db.select(Client.id).where(
        func.lower(Client.name).contains(text.lower(), autoescape=True)
    )


def clients_by_name(text: str, limit: int) -> list[Client]:
    """Up to `limit` clients whose name contains `text` (as clients_named), by name."""
    return list(
        db.session.scalars(
            db.select(Client)
            .where(Client.id.in_(clients_named(text)))
            .order_by(Client.name, Client.id)
            .limit(limit)
        )
    )
