"""The account's email history: the messages the portal sent to the client's people."""

from flask import render_template
from flask_login import current_user

from portal.client import bp
from portal.services.mail.log import EmailFilters, email_for, email_page
from portal.web import page_args


@bp.get("/emails")
def emails():
    """The mail sent to this account, newest first (never staff mail or another's)."""
    page, per_page = page_args()
    return render_template(
        "client/emails/index.html",
        pagination=email_page(EmailFilters(), current_user, page, per_page),
    )


@bp.get("/emails/<int:email_id>")
def email(email_id: int):
    """One message of the account, its text part (another client's is a 404)."""
    return render_template("client/emails/show.html", message=email_for(current_user, email_id))
