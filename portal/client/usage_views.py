"""Client usage history: one row a month, from the account's own data only."""

from flask import render_template
from flask_login import current_user

from portal.client import bp
from portal.services.clients.overview import usage_rows


@bp.route("/usage")
def usage():
    """The last twelve months: included, used, overtime, amount, invoice and status."""
    return render_template("client/usage/index.html", rows=usage_rows(current_user.client))
