"""Staff area (/admin): admins and operators; admin-only pages are marked."""

from flask import Blueprint

from portal.guards import require_staff
from portal.web import answer_not_found_with_page

bp = Blueprint("admin", __name__)
bp.before_request(require_staff)
answer_not_found_with_page(bp)

from portal.admin import (  # noqa: E402,F401
    api_tokens,
    audit_log,
    billing,
    business_profile,
    clients,
    currencies,
    emails,
    invoice_documents,
    invoices,
    payments,
    plans,
    reports,
    settings_views,
    tax_rates,
    tickets,
    time_entries,
    views,
)
