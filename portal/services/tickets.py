"""Tickets: numbers."""

import secrets

from portal.extensions import db
from portal.models import Ticket


def generate_ticket_number(rng=None) -> str:
    """Six random digits not yet used by any ticket (shown as #708131)."""
    pick = rng.randrange if rng is not None else secrets.randbelow
    while True:
        number = f"{(pick(900000) + 100000):06d}"
        if not db.session.scalar(db.select(Ticket.id).filter_by(number=number)):
            return number
