"""Staff pages."""

from flask import render_template

from portal.admin import bp
from portal.extensions import db
from portal.guards import admin_required
from portal.models import ApiToken, Client, Ticket, User


@bp.route("/")
def index():
    """Ticket queue (the staff home)."""
    tickets = db.session.scalars(
        db.select(Ticket).order_by(Ticket.updated_at.desc()).limit(25)
    ).all()
    return render_template("admin/index.html", tickets=tickets)


@bp.route("/users")
@admin_required
def users():
    """Users and operators (admin only)."""
    rows = db.session.scalars(db.select(User).order_by(User.role, User.email)).all()
    clients = {c.id: c for c in db.session.scalars(db.select(Client))}
    return render_template("admin/users/index.html", users=rows, clients=clients)


@bp.route("/api-tokens")
@admin_required
def api_tokens():
    """API tokens (admin only)."""
    rows = db.session.scalars(db.select(ApiToken).order_by(ApiToken.created_at.desc())).all()
    return render_template("admin/api_tokens/index.html", tokens=rows)
