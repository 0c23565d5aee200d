"""Tickets, replies and time entries over the API, on the services the pages use."""

from flask import Response, request
from flask_babel import gettext as _
from sqlalchemy import func
from sqlalchemy.orm import selectinload

from portal.api import bp
from portal.api.common import (
    STAFF,
    BadRequest,
    client_rows,
    domain_error_response,
    found,
    listing,
    paged,
    roles,
    user,
)
from portal.api.documents import BINARY
from portal.api.schemas import (
    MessageOut,
    PageQuery,
    ReplyIn,
    ReplyUploadIn,
    TicketDetailOut,
    TicketIn,
    TicketOut,
    TicketPatch,
    TicketQuery,
    TimeEntryIn,
    TimeEntryOut,
    TimeEntryPatch,
    page_of,
)
from portal.api.serializers import (
    entry_json,
    message_json,
    thread_message_json,
    ticket_json,
)
from portal.extensions import db
from portal.i18n import N_
from portal.models import Client, Plan, Ticket, TicketStatus, TimeEntry
from portal.money import HoursError, parse_hours
from portal.pagination import paginate_counted
from portal.services.errors import DomainError
from portal.services.lookups import client_for, ticket_for, time_entry_for
from portal.services.settings import business_today
from portal.services.tickets.attachments import (
    allow_upload_size,
    attachment_for,
    download,
    uploads_from,
)
from portal.services.tickets.conversation import (
    TicketInput,
    add_reply,
    assignee_problem,
    change_status,
    close_own_ticket,
    open_ticket,
    set_assignee,
    set_priority,
    set_tracking,
    thread_messages,
)
from portal.services.tickets.search import search_condition
from portal.services.tickets.time_entries import (
    TimeInput,
    delete_time_entry,
    edit_time_entry,
    log_time,
)

ENTRY_ALIASES = {"plan": "assign_plan_id"}


def ticket_minutes(ticket_ids) -> dict[int, int]:
    """Total minutes per ticket, in one query."""
    ids = list(ticket_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(TimeEntry.ticket_id, func.sum(TimeEntry.minutes))
        .where(TimeEntry.ticket_id.in_(ids))
        .group_by(TimeEntry.ticket_id)
    )
    return {ticket_id: int(total) for ticket_id, total in rows}


def tickets_json(tickets: list[Ticket]) -> list[dict]:
    """Tickets with their hours, in one query for the whole page."""
    minutes = ticket_minutes(t.id for t in tickets)
    return [ticket_json(t, minutes.get(t.id, 0)) for t in tickets]


def one_ticket_json(ticket: Ticket) -> dict:
    """A ticket with its hours."""
    return ticket_json(ticket, ticket_minutes([ticket.id]).get(ticket.id, 0))


@bp.get("/tickets")
@bp.arguments(TicketQuery, location="query")
@bp.response(200, page_of(TicketOut))
def tickets_list(args: dict):
    """Tickets, newest update first: all for staff (or one client's, ?client_id=), a
    client's own for a client token; ?q= searches number, subject and message text (a
    client's search never reads internal notes)."""
    query = (
        db.select(Ticket)
        .options(selectinload(Ticket.assignee))
        .order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    )
    if "assignee_id" in args:
        query = query.where(
            Ticket.assignee_id.is_(None)
            if args["assignee_id"] is None
            else Ticket.assignee_id == args["assignee_id"]
        )
    if "priority" in args:
        query = query.where(Ticket.priority == args["priority"])
    if "status" in args:
        query = query.where(Ticket.status == args["status"])
    if (found := search_condition(args.get("q"), staff=user().is_staff)) is None:
        return paged(client_rows(query, Ticket.client_id, args), tickets_json, args)
    # A search's matches are read once: the page and the count in one statement.
    page, per_page = args["page"], args["per_page"]
    pagination = paginate_counted(
        client_rows(query.where(found), Ticket.client_id, args), page, per_page
    )
    tickets = [row[0] for row in pagination.items]
    return listing(tickets_json(tickets), pagination.total, page, per_page)


@bp.post("/tickets")
@bp.arguments(TicketIn)
@bp.response(201, TicketOut)
def tickets_create(data: dict):
    """Open a ticket: staff for any client (client_id), a client for itself."""
    if user().role == "client":  # for itself only: another client's id is a 404
        client_id = client_for(user(), data.get("client_id", user().client_id)).id
        tracking = True
    elif "client_id" not in data:
        raise BadRequest({"client_id": _("This field is required.")})
    else:
        client_id, tracking = data["client_id"], data["time_tracking"]
    client = db.session.get(Client, client_id)
    if client is None:
        raise BadRequest({"client_id": _("No such client.")})
    ticket = open_ticket(
        client,
        user(),
        TicketInput(
            data["subject"], data["message"], data["department"], data["priority"], tracking
        ),
    )
    return ticket_json(ticket, 0)


@bp.get("/tickets/<int:ticket_id>")
@bp.response(200, TicketDetailOut)
def tickets_get(ticket_id: int):
    """One ticket with its messages (internal notes for staff only) and their files."""
    ticket = ticket_for(user(), ticket_id)
    body = one_ticket_json(ticket)
    name = ticket.client.name
    body["messages"] = [thread_message_json(m, name) for m in thread_messages(ticket, user())]
    return body


@bp.patch("/tickets/<int:ticket_id>")
@found(ticket_for)
@bp.arguments(TicketPatch)
@bp.response(200, TicketOut)
def tickets_patch(data: dict, ticket_id: int):
    """Change status, time tracking, assignee (null = nobody) and priority (staff); a client
    token may only close its own ticket: `{"status": "Closed"}`, anything else is a 400."""
    ticket = ticket_for(user(), ticket_id)
    if user().role == "client":
        refused = {key: _(CLIENT_PATCH_ONLY) for key in data if key != "status"}
        if data.get("status") != TicketStatus.CLOSED.value:
            refused["status"] = _(CLIENT_PATCH_ONLY)
        if refused:
            raise BadRequest(refused)
        close_own_ticket(ticket, user())
        return one_ticket_json(ticket)
    if "assignee_id" in data and (msg := assignee_problem(data["assignee_id"])):
        raise BadRequest({"assignee_id": msg})
    if "time_tracking" in data:  # first: it holds the subscriptions before the ticket's row
        set_tracking(ticket, data["time_tracking"], user())
    if "status" in data:
        change_status(ticket, data["status"], user())
    if "assignee_id" in data:
        set_assignee(ticket, data["assignee_id"], user())
    if "priority" in data:
        set_priority(ticket, data["priority"], user())
    return one_ticket_json(ticket)


CLIENT_PATCH_ONLY = N_('A client may only close its ticket: send {"status": "Closed"}.')

bp.url_value_preprocessor(allow_upload_size)  # the replies take files: a larger body

REPLY_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": ReplyIn},
        "multipart/form-data": {"schema": ReplyUploadIn},
    },
}


@bp.post("/tickets/<int:ticket_id>/replies")
@found(ticket_for)
@bp.doc(requestBody=REPLY_BODY)
@bp.response(201, MessageOut)
def tickets_reply(ticket_id: int):
    """Reply on a ticket (staff, or the client on its own); status and `internal` (a
    staff-only note) from staff only. As multipart/form-data, files go under `attachments`."""
    ticket = ticket_for(user(), ticket_id)
    parser = bp.ARGUMENTS_PARSER
    if request.mimetype == "multipart/form-data":
        data = parser.parse(ReplyUploadIn(), request, location="form")
        uploads = uploads_from(request.files.getlist("attachments"))
    else:
        data, uploads = parser.parse(ReplyIn(), request, location="json"), []
    if user().role == "client":
        refused = {k: _("Only staff may set this.") for k in ("status", "internal") if data.get(k)}
        if "status" in data:
            refused["status"] = _("Clients cannot set the status.")
        if refused:
            raise BadRequest(refused)
    reply = add_reply(
        ticket,
        user(),
        data["message"],
        data.get("status"),
        internal=data["internal"],
        uploads=uploads,
    )
    return message_json(reply)


@bp.get("/attachments/<int:attachment_id>")
@bp.doc(
    responses={
        200: {
            "description": "The file, as a download",
            "content": {"application/octet-stream": {"schema": BINARY}},
        }
    }
)
def attachments_get(attachment_id: int):
    """A file sent with a message, as a download (staff; a client on its own tickets, never
    one of an internal note)."""
    return download(attachment_for(user(), attachment_id))


def _time_input(data: dict, defaults: TimeEntry | None) -> tuple[TimeInput, Plan | None]:
    """Hours, work date, note, billable (and the plan to assign) from a checked body."""
    if "hours" in data or defaults is None:
        try:
            minutes = parse_hours(data.get("hours"))
        except HoursError as exc:
            raise BadRequest({"hours": str(exc)}) from None
    else:
        minutes = defaults.minutes
    plan = None
    if (plan_id := data.get("assign_plan_id")) is not None:
        if (plan := db.session.get(Plan, plan_id)) is None:
            raise BadRequest({"assign_plan_id": _("No such plan.")})
    time_input = TimeInput(
        minutes,
        data.get("work_date") or (defaults.work_date if defaults else business_today()),
        data.get("note", defaults.note if defaults else ""),
        data.get("billable", defaults.billable if defaults else True),
    )
    return time_input, plan


@bp.get("/tickets/<int:ticket_id>/time-entries")
@found(ticket_for)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(TimeEntryOut))
def entries_list(args: dict, ticket_id: int):
    """A ticket's time entries (staff, or the client on its own ticket)."""
    ticket = ticket_for(user(), ticket_id)
    query = (
        db.select(TimeEntry)
        .filter_by(ticket_id=ticket.id)
        .order_by(TimeEntry.work_date, TimeEntry.id)
    )
    return paged(query, lambda entries: [entry_json(e) for e in entries], args)


@bp.post("/tickets/<int:ticket_id>/time-entries")
@roles(*STAFF)
@found(ticket_for)
@bp.arguments(TimeEntryIn)
@bp.response(201, TimeEntryOut)
def entries_create(data: dict, ticket_id: int):
    """Log time; `assign_plan_id` gives a client without a plan one from the work date."""
    ticket = ticket_for(user(), ticket_id)
    time_input, plan = _time_input(data, None)
    try:
        entry = log_time(ticket, user(), time_input, assign=plan)
    except DomainError as exc:  # answered with the field named as the API names it
        return domain_error_response(exc, ENTRY_ALIASES)
    return entry_json(entry)


@bp.patch("/time-entries/<int:entry_id>")
@roles(*STAFF)
@found(time_entry_for)
@bp.arguments(TimeEntryPatch)
@bp.response(200, TimeEntryOut)
def entries_patch(data: dict, entry_id: int):
    """Change an entry (its author or an admin); 409 period_closed when its month is closed."""
    entry = time_entry_for(user(), entry_id)
    time_input, _plan = _time_input(data, entry)
    edit_time_entry(entry, user(), time_input)
    return entry_json(entry)


@bp.delete("/time-entries/<int:entry_id>")
@roles(*STAFF)
@bp.response(204)
def entries_delete(entry_id: int):
    """Delete an entry (its author or an admin); 409 period_closed when its month is closed."""
    delete_time_entry(time_entry_for(user(), entry_id), user())
    return Response(status=204)
