"""Staff pages: the ticket queue, users and API tokens."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmForm, NewUserForm, RoleForm
from portal.admin.tickets import CLIENT_MATCHES
from portal.extensions import db
from portal.guards import admin_required
from portal.models import DEPARTMENTS, Client, Priority, TicketStatus, User
from portal.pagination import paginate_rows
from portal.services.accounts.recovery import resend_invitation
from portal.services.accounts.users import add_user, change_role, set_user_active
from portal.services.clients.search import clients_by_name
from portal.services.errors import ValidationFailed
from portal.services.lookups import user_for
from portal.services.tickets.conversation import assignable_staff
from portal.services.tickets.queue import QueueFilters, ticket_queue
from portal.services.tickets.search import QUERY_MAX_CHARS
from portal.web import flash_refusal, id_arg, options, page_args, run_or_errors, text_arg


def _queue_filters() -> QueueFilters:
    """Read the queue's filters from the query string; unknown values mean "any"."""
    args = request.args
    status = args.get("status") if args.get("status") in TicketStatus.values() else None
    department = args.get("department") if args.get("department") in DEPARTMENTS else None
    tracking = {"on": True, "off": False}.get(args.get("tracking", ""))
    assignee = args.get("assignee", "")
    priority = args.get("priority") if args.get("priority") in Priority.values() else None
    return QueueFilters(
        status=status,
        client_id=id_arg("client_id"),
        client_name=text_arg("client"),
        department=department,
        tracking=tracking,
        q=text_arg("q", QUERY_MAX_CHARS),
        sort=args.get("sort", "updated"),
        # ?assignee=mine | none | an id; anything else means anyone.
        assignee_id=current_user.id if assignee == "mine" else id_arg("assignee"),
        unassigned=assignee == "none",
        priority=priority,
    )


@bp.route("/")
def index():
    """The ticket queue: every client's tickets with plan and hours, filtered and paged."""
    filters = _queue_filters()
    page, per_page = page_args()
    pagination = ticket_queue(filters, page, per_page)
    return render_template(
        "admin/tickets/index.html",
        pagination=pagination,
        filters=filters,
        chosen_client=db.session.get(Client, filters.client_id) if filters.client_id else None,
        statuses=TicketStatus.values(),
        departments=DEPARTMENTS,
        priorities=Priority.values(),
        staff=assignable_staff(),
        assignee_arg=request.args.get("assignee", ""),
    )


@bp.route("/users")
@admin_required
def users():
    """Users and operators (admin only)."""
    return _users_page(_new_user_form(formdata=None))


def _new_user_form(**kwargs) -> NewUserForm:
    """The add-user form; the clients offered are the chosen one and those found by name."""
    form = NewUserForm(**kwargs)
    chosen_id = form.client_id.data if isinstance(form.client_id.data, int) else None
    chosen = db.session.get(Client, chosen_id) if chosen_id else None
    name = (form.client_name.data or "").strip()[:100]
    matches = clients_by_name(name, CLIENT_MATCHES + 1) if name and "\x00" not in name else []
    offered = ([chosen] if chosen else []) + [c for c in matches[:CLIENT_MATCHES] if c != chosen]
    choices = [("", _("(staff: no client)"))] + [(c.id, c.name) for c in offered]
    form.client_id.choices = options(choices)
    if chosen is None and form.find.data and len(matches) == 1:
        form.client_id.data = matches[0].id  # found one: shown chosen, the admin confirms
    form.search = {
        "name": name,
        "found": len(matches),
        "more": len(matches) > CLIENT_MATCHES,
        "limit": CLIENT_MATCHES,
    }
    return form


def _users_page(new_user_form: NewUserForm, status: int = 200):
    """The users list with the add-user form."""
    page, per_page = page_args(50)
    query = (
        db.select(User, Client.name)
        .outerjoin(Client, Client.id == User.client_id)
        .order_by(User.role, User.email, User.id)
    )
    return render_template(
        "admin/users/index.html",
        pagination=paginate_rows(query, page, per_page),
        button_form=ConfirmForm(),
        role_form=RoleForm(formdata=None),
        new_user_form=new_user_form,
    ), status


@bp.post("/users/new")
@admin_required
def user_new():
    """Add a user; they are mailed an invitation to choose their password."""
    form = _new_user_form()
    if form.find.data:
        return _users_page(form)  # Find: the matches offered, nothing added
    if form.validate_on_submit():
        client_id = form.client_id.data if isinstance(form.client_id.data, int) else None
        user = run_or_errors(
            form,
            lambda: add_user(
                current_user._get_current_object(),
                email=form.email.data or "",
                name=form.name.data or "",
                role=form.role.data or "",
                client_id=client_id,
            ),
        )
        if user is not None:
            flash(
                _(
                    "User %(email)s added and invited by mail to choose a password "
                    "(the link is valid for 7 days).",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.users"))
    return _users_page(form, 422)


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    """Make a staff member an operator or an admin."""
    user = user_for(current_user, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, _("The form has expired; reload the page and try again."))
    try:
        change_role(current_user._get_current_object(), user, form.role.data or "")
    except ValidationFailed as exc:
        flash_refusal(exc)
        return redirect(url_for("admin.users"))
    if user.role == "admin":
        flash(_("%(email)s is now admin.", email=user.email), "success")
    else:
        flash(_("%(email)s is now operator.", email=user.email), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/invite")
@admin_required
def user_invite(user_id: int):
    """Mail a new invitation to a user who has not chosen a password yet."""
    user = user_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form has expired; reload the page and try again."))
    try:
        resend_invitation(current_user._get_current_object(), user)
    except ValidationFailed as exc:
        flash_refusal(exc)
        return redirect(url_for("admin.users"))
    flash(
        _(
            "A new invitation is on its way to %(email)s; the earlier link no longer works.",
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.users"))


def _set_active(user_id: int, active: bool):
    """Disable or enable a user from the users page (a POST with CSRF), then go back to it."""
    user = user_for(current_user, user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form has expired; reload the page and try again."))
    try:
        revoked = set_user_active(current_user._get_current_object(), user, active)
    except ValidationFailed as exc:
        flash_refusal(exc)
        return redirect(url_for("admin.users"))
    if active:
        flash(_("%(email)s is enabled.", email=user.email), "success")
    else:
        if revoked:
            message = ngettext(
                "%(email)s is disabled and logged out everywhere; "
                "%(num)d API token revoked for good.",
                "%(email)s is disabled and logged out everywhere; "
                "%(num)d API tokens revoked for good.",
                len(revoked),
                email=user.email,
            )
        else:
            message = _("%(email)s is disabled and logged out everywhere.", email=user.email)
        flash(message, "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/disable", methods=["POST"])
@admin_required
def user_disable(user_id: int):
    """Disable a login: its sessions end and its API tokens are revoked for good."""
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/enable", methods=["POST"])
@admin_required
def user_enable(user_id: int):
    """Let a disabled user log in again."""
    return _set_active(user_id, True)
