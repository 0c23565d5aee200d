"""Staff pages: the ticket queue, users and API tokens."""

from flask import render_template, request

from portal.admin import bp
from portal.extensions import db
from portal.guards import admin_required
from portal.models import DEPARTMENTS, Client, TicketStatus, User
from portal.services.ticket_queries import QueueFilters, ticket_queue
from portal.web import page_args


def _queue_filters() -> QueueFilters:
    """Read the queue's filters from the query string; unknown values mean "any"."""
    args = request.args
    status = args.get("status") if args.get("status") in {s.value for s in TicketStatus} else None
    department = args.get("department") if args.get("department") in DEPARTMENTS else None
    tracking = {"on": True, "off": False}.get(args.get("tracking", ""))
    return QueueFilters(
        status=status,
        client_id=args.get("client_id", type=int),
        department=department,
        tracking=tracking,
        sort=args.get("sort", "updated"),
    )


@bp.route("/")
def index():
    """The ticket queue: every client's tickets with plan and hours, filtered and paged."""
    filters = _queue_filters()
    page, per_page = page_args()
    pagination = ticket_queue(filters, page, per_page)
    clients = db.session.execute(db.select(Client.id, Client.name).order_by(Client.name)).all()
    return render_template(
        "admin/tickets/index.html",
        pagination=pagination,
        filters=filters,
        clients=clients,
        statuses=[s.value for s in TicketStatus],
        departments=DEPARTMENTS,
    )


@bp.route("/users")
@admin_required
def users():
    """Users and operators (admin only)."""
    rows = db.session.scalars(db.select(User).order_by(User.role, User.email)).all()
    clients = {c.id: c for c in db.session.scalars(db.select(Client))}
    return render_template("admin/users/index.html", users=rows, clients=clients)
