"""Client area (/client): a client user's own account only."""

from flask import Blueprint

from portal.guards import require_client_user
from portal.web import answer_not_found_with_page

bp = Blueprint("client", __name__)
bp.before_request(require_client_user)
answer_not_found_with_page(bp)

from portal.client import (  # noqa: E402,F401
    emails,
    exports,
    invoice_documents,
    invoice_views,
    usage_views,
    views,
)
