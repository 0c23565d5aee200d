"""Client CSV exports: the account's own time entries and usage history."""

from flask_login import current_user

from portal.client import bp
from portal.services.reports.exports import (
    TIME_ENTRY_HEADER,
    USAGE_HEADER,
    time_entry_rows,
    usage_csv_rows,
)
from portal.services.settings import business_today
from portal.web import csv_response


@bp.route("/export/time-entries.csv")
def export_time_entries():
    """Every time entry on the account's tickets, as CSV."""
    filename = f"time-entries-{business_today().isoformat()}.csv"
    return csv_response(filename, TIME_ENTRY_HEADER, time_entry_rows(current_user.client_id))


@bp.route("/export/usage.csv")
def export_usage():
    """The usage history, as CSV."""
    filename = f"usage-{business_today().isoformat()}.csv"
    return csv_response(filename, USAGE_HEADER, usage_csv_rows(current_user.client))
