"""Staff ticket pages: the ticket with its inline update form, tracking, new tickets."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmForm, NewTicketForm, TicketUpdateForm, TrackingForm
from portal.extensions import db
from portal.formatting import format_day, format_hours_for_user
from portal.models import Client, Ticket
from portal.services.clients.search import clients_by_name
from portal.services.clients.subscriptions import active_subscription, assignable_plans
from portal.services.errors import DomainError
from portal.services.lookups import ticket_for
from portal.services.settings import business_today
from portal.services.tickets.attachments import (
    allow_upload_size,
    attachment_for,
    download,
    uploads_from,
)
from portal.services.tickets.conversation import (
    TicketUpdate,
    assignable_staff,
    open_ticket,
    set_tracking,
    update_ticket,
)
from portal.services.tickets.page import StaffTicketPage, staff_ticket_page
from portal.services.tickets.time_entries import may_change
from portal.web import flash_refusal, id_arg, options, possible_id, run_or_errors

bp.url_value_preprocessor(allow_upload_size)  # the reply form takes files


# The top-up's messages (blocks.top_up) under the inline form's fields.
TOP_UP_FIELDS = {"date": "work_date", "subscription": "top_up"}


def _today_subscription(ticket: Ticket):
    """The client's subscription today (None: the form offers a plan), read once a request
    for the plan selector, the top-up box and their checks."""
    return active_subscription(ticket.client_id, business_today())


def _sells_blocks(subscription) -> bool:
    """True when the subscription today sells prepaid blocks: the form offers a top-up."""
    return subscription is not None and subscription.model == "block"


def _update_form(ticket: Ticket, subscription) -> TicketUpdateForm:
    """The inline form, with the plan selector filled only when the client has no plan."""
    form = TicketUpdateForm()
    if form.work_date.data is None and not form.is_submitted():
        form.work_date.data = business_today()
    plans = assignable_plans(ticket.client) if subscription is None else []
    form.plan.choices = options(
        [("", _("— keep without a plan —"))] + [(plan.id, plan.name) for plan in plans]
    )
    staff = [(person.id, person.name) for person in assignable_staff()]
    if ticket.assignee is not None and ticket.assignee_id not in dict(staff):
        staff.append((ticket.assignee_id, _("%(name)s (disabled)", name=ticket.assignee.name)))
    form.assignee.choices = options([("", _("— nobody —"))] + staff)
    if not form.is_submitted():
        form.assignee.data = ticket.assignee_id
        form.priority.data = ticket.priority
    return form


def _render(
    ticket: Ticket, form: TicketUpdateForm, subscription, page: StaffTicketPage, status: int = 200
):
    """The ticket page: thread, time entries, inline form, tracking switch, the sidebar."""
    return render_template(
        "admin/tickets/show.html",
        ticket=ticket,
        messages=page.messages,
        form=form,
        show_plan=subscription is None,
        show_top_up=_sells_blocks(subscription),
        entries=page.entries,
        locked_periods=page.locked_periods,
        tracking_form=TrackingForm(enabled="0" if ticket.time_tracking else "1"),
        confirm_form=ConfirmForm(),
        may_change=may_change,
        usage=page.usage,  # the sidebar: plan and what is left this month
        balance=page.balance,  # a block plan's hours left, and if low
    ), status


@bp.get("/tickets/<int:ticket_id>")
def ticket(ticket_id: int):
    """One ticket, for staff."""
    ticket = ticket_for(current_user, ticket_id, with_assignee=True)
    page = staff_ticket_page(ticket, current_user)
    form = _update_form(ticket, page.subscription)
    return _render(ticket, form, page.subscription, page)


@bp.post("/tickets/<int:ticket_id>")
def ticket_update(ticket_id: int):
    """Save the inline form: reply, status, time, plan — all of it or nothing."""
    ticket = ticket_for(current_user, ticket_id)
    subscription = _today_subscription(ticket)
    form = _update_form(ticket, subscription)
    if subscription is not None:
        form.plan.data = None  # the selector is not shown; ignore anything posted for it
    if not _sells_blocks(subscription):
        form.top_up.data = False  # nor is the top-up box for a plan without blocks
    if form.validate_on_submit():
        change = TicketUpdate(
            reply=form.reply.data or "",
            status=form.status.data or "",
            hours=form.hours.data or "",
            work_date=form.work_date.data,
            note=form.note.data or "",
            billable=form.billable.data,
            plan_id=form.plan.data,
            set_assignee=bool(form.assignee.raw_data),
            assignee_id=form.assignee.data,
            priority=form.priority.data or "",
            internal=form.internal.data,
            uploads=uploads_from(request.files.getlist(form.attachments.name)),
            top_up=bool(form.top_up.data),
        )
        result = run_or_errors(
            form, lambda: update_ticket(ticket, current_user, change), TOP_UP_FIELDS
        )
        if result is not None:
            flash(_saved_message(result), "success")
            return redirect(url_for("admin.ticket", ticket_id=ticket.id))
    return _render(ticket, form, subscription, staff_ticket_page(ticket, current_user), 422)


def _saved_message(result: dict) -> str:
    """Say what the submit saved."""
    parts = []
    if result["subscription"] is not None:
        parts.append(_("plan %(plan)s assigned", plan=result["subscription"].plan.name))
    if result["entry"] is not None:
        parts.append(_("%(hours)s h logged", hours=format_hours_for_user(result["entry"].minutes)))
    if result["message"] is not None:
        parts.append(_("internal note added") if result["message"].internal else _("reply sent"))
    if result.get("assignee"):
        parts.append(_("assignee changed"))
    if result.get("priority"):
        parts.append(_("priority changed"))
    if result.get("top_up") is not None:
        block = result["top_up"]
        parts.append(
            _(
                "another block of %(hours)s h bought and invoiced (valid until %(date)s)",
                hours=format_hours_for_user(block.minutes),
                date=format_day(block.valid_until),
            )
        )
    if not parts:
        return _("Ticket updated.")
    return _("Ticket updated: %(changes)s.", changes=", ".join(parts))


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """Download a file sent with a message."""
    return download(attachment_for(current_user, attachment_id))


@bp.post("/tickets/<int:ticket_id>/tracking")
def ticket_tracking(ticket_id: int):
    """Switch time tracking on or off."""
    ticket = ticket_for(current_user, ticket_id)
    form = TrackingForm()
    if form.validate_on_submit() and form.enabled.data in ("0", "1"):
        try:
            set_tracking(ticket, form.enabled.data == "1", current_user)
            on = ticket.time_tracking
            flash(_("Time tracking is on.") if on else _("Time tracking is off."), "success")
        except DomainError as exc:
            flash_refusal(exc)
    else:
        flash(_("The form expired; please try again."), "danger")
    return redirect(url_for("admin.ticket", ticket_id=ticket.id))


# Clients offered at most by one search in the new-ticket form.
CLIENT_MATCHES = 20


@bp.route("/tickets/new", methods=["GET", "POST"])
def ticket_new():
    """Open a ticket on behalf of a client, found by part of its name (?client_id= preselects)."""
    form = NewTicketForm()
    chosen_id = possible_id(form.client.data) if form.is_submitted() else id_arg("client_id")
    chosen = db.session.get(Client, chosen_id) if chosen_id else None
    finding = form.is_submitted() and form.find.data
    # Searched with at most the field's 100 characters (a longer name is a field error on
    # submit); SQLite refuses LIKE patterns beyond 50,000 bytes.
    name = (form.client_name.data or "").strip()[:100]
    matches = clients_by_name(name, CLIENT_MATCHES + 1) if name and "\x00" not in name else []
    offered = ([chosen] if chosen else []) + [c for c in matches[:CLIENT_MATCHES] if c != chosen]
    form.client.choices = [(c.id, c.name) for c in offered]
    if chosen is not None:
        form.client.data = chosen.id
    elif finding and len(matches) == 1:
        form.client.data = matches[0].id  # found one: shown chosen, the operator confirms
    if not finding and form.validate_on_submit():
        client = db.session.get(Client, form.client.data)
        ticket = run_or_errors(
            form,
            lambda: open_ticket(client, current_user, form.ticket_input(form.time_tracking.data)),
        )
        if ticket is not None:
            flash(
                _(
                    "Ticket %(number)s opened for %(client)s.",
                    number=ticket.display_number,
                    client=client.name,
                ),
                "success",
            )
            return redirect(url_for("admin.ticket", ticket_id=ticket.id))
    status = 422 if form.is_submitted() and not finding else 200
    search = {
        "name": name,
        "found": len(matches),
        "more": len(matches) > CLIENT_MATCHES,
        "limit": CLIENT_MATCHES,
    }
    return render_template("admin/tickets/new.html", form=form, search=search), status
