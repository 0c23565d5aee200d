"""Staff area (/admin): admins and operators; admin-only pages are marked."""

from flask import Blueprint

from portal.guards import require_staff

bp = Blueprint("admin", __name__)
bp.before_request(require_staff)

from portal.admin import tickets, time_entries, views  # noqa: E402,F401
