"""Client usage history: one row a month, from the account's own data only."""

from flask import render_template
from flask_login import current_user

from portal.client import bp
from portal.services.clients.overview import history_columns, usage_rows


@bp.route("/usage")
def usage():
    """The last twelve months: included, used, overtime, amount, invoice and status, with
    carry-over and block hours for plans that have them."""
    rows = usage_rows(current_user.client)
    columns = history_columns([month for month, _status in rows])
    return render_template("client/usage/index.html", rows=rows, columns=columns)
