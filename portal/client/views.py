"""Client pages; every query starts from the logged-in user's client."""

from flask import render_template
from flask_login import current_user

from portal.client import bp
from portal.services.settings import business_today
from portal.services.subscriptions import active_subscription


@bp.route("/")
def dashboard():
    """The client's home: plan and hours at a glance."""
    client = current_user.client
    subscription = active_subscription(client.id, business_today())
    return render_template("client/dashboard.html", client=client, subscription=subscription)
