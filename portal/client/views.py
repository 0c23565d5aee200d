"""Client pages; every query starts from the logged-in user's client."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.client import bp
from portal.client.forms import CloseTicketForm, NewTicketForm, ReplyForm
from portal.client.usage_chart import build_chart
from portal.services.clients.overview import client_dashboard
from portal.services.lookups import ticket_for
from portal.services.tickets.attachments import (
    allow_upload_size,
    attachment_for,
    download,
    uploads_from,
)
from portal.services.tickets.conversation import (
    add_reply,
    close_own_ticket,
    open_ticket,
)
from portal.services.tickets.page import client_ticket_page
from portal.services.tickets.queue import CLIENT_STATUSES, client_tickets
from portal.web import page_args, run_or_errors

bp.url_value_preprocessor(allow_upload_size)  # the reply form takes files


@bp.route("/")
def dashboard():
    """The client's home: this month's hours, the 80/100 % notices and a 12-month chart."""
    overview = client_dashboard(current_user.client)
    return render_template(
        "client/dashboard.html",
        client=current_user.client,
        overview=overview,
        chart=build_chart(overview.history),
    )


@bp.route("/tickets")
def tickets():
    """Every ticket of the account with hours and billing state."""
    page, per_page = page_args()
    status = request.args.get("status") if request.args.get("status") in CLIENT_STATUSES else None
    pagination, states = client_tickets(current_user.client_id, page, per_page, status)
    return render_template(
        "client/tickets/index.html",
        pagination=pagination,
        states=states,
        status=status,
        client_statuses=CLIENT_STATUSES,
    )


@bp.route("/tickets/<int:ticket_id>", methods=["GET", "POST"])
def ticket(ticket_id: int):
    """One ticket: thread, time entries, and the reply form."""
    ticket = ticket_for(current_user, ticket_id)  # another client's is a 404, never the data
    form = ReplyForm()
    if form.validate_on_submit():
        uploads = uploads_from(request.files.getlist(form.attachments.name))
        reply = run_or_errors(
            form, lambda: add_reply(ticket, current_user, form.message.data, uploads=uploads)
        )
        if reply is not None:
            flash(_("Reply sent."), "success")
            return redirect(url_for("client.ticket", ticket_id=ticket.id))
    page = client_ticket_page(ticket, current_user)
    status = 422 if form.is_submitted() else 200
    return render_template(
        "client/tickets/show.html",
        ticket=ticket,
        messages=page.messages,
        entries=page.entries,
        form=form,
        state=page.state,
        close_form=CloseTicketForm(formdata=None),
    ), status


@bp.post("/tickets/<int:ticket_id>/close")
def ticket_close(ticket_id: int):
    """Close one's own ticket; a later reply reopens it (Customer-Reply)."""
    ticket = ticket_for(current_user, ticket_id)
    if CloseTicketForm().validate_on_submit():
        if ticket.status == "Closed":
            flash(_("This ticket is already closed."), "info")
        else:
            close_own_ticket(ticket, current_user)
            flash(_("Ticket closed. Reply here any time to reopen it."), "success")
    else:
        flash(_("The form expired; please try again."), "danger")
    return redirect(url_for("client.ticket", ticket_id=ticket.id))


@bp.get("/attachments/<int:attachment_id>")
def attachment(attachment_id: int):
    """Download a file of the account's tickets (never one of a staff-only note)."""
    return download(attachment_for(current_user, attachment_id))


@bp.route("/tickets/new", methods=["GET", "POST"])
def ticket_new():
    """Open a ticket."""
    form = NewTicketForm()
    if form.validate_on_submit():
        ticket = run_or_errors(
            form, lambda: open_ticket(current_user.client, current_user, form.ticket_input())
        )
        if ticket is not None:
            flash(
                _("Ticket %(number)s opened. We will answer here.", number=ticket.display_number),
                "success",
            )
            return redirect(url_for("client.ticket", ticket_id=ticket.id))
    status = 422 if form.is_submitted() else 200
    return render_template("client/tickets/new.html", form=form), status
