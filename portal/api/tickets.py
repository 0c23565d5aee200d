"""Tickets, replies and time entries over the API, on the services the pages use."""

from flask import jsonify
from sqlalchemy import func

from portal.api import bp
from portal.api.common import (
    STAFF,
    BadRequest,
    body,
    boolean,
    check,
    day,
    domain_error_response,
    integer,
    paged,
    roles,
    text,
    user,
)
from portal.api.serializers import entry_json, message_json, ticket_json
from portal.errors import api_error
from portal.extensions import db
from portal.models import Client, Plan, Ticket, TicketStatus, TimeEntry
from portal.money import HoursError, parse_hours
from portal.services.errors import DomainError
from portal.services.settings import business_today
from portal.services.tickets import add_reply, change_status, open_ticket, set_tracking
from portal.services.time_entries import TimeInput, delete_time_entry, edit_time_entry, log_time
from portal.web import MAX_ID

ENTRY_ALIASES = {"plan": "assign_plan_id"}


def visible_ticket(ticket_id: int) -> Ticket | None:
    """The ticket if the token may see it: staff any, a client only its own."""
    ticket = db.session.get(Ticket, ticket_id)
    if ticket is None or (user().role == "client" and ticket.client_id != user().client_id):
        return None
    return ticket


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


def not_found(what: str = "Ticket"):
    """404 JSON."""
    return api_error(404, f"{what} not found.", "not_found")


def tickets_json(tickets: list[Ticket]) -> list[dict]:
    """Tickets with their hours, in one query for the whole page."""
    minutes = ticket_minutes(t.id for t in tickets)
    return [ticket_json(t, minutes.get(t.id, 0)) for t in tickets]


@bp.get("/tickets")
def tickets_list():
    """Tickets, newest update first: all for staff, a client's own for a client token."""
    query = db.select(Ticket).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    if user().role == "client":
        query = query.where(Ticket.client_id == user().client_id)
    return paged(query, tickets_json)


@bp.post("/tickets")
def tickets_create():
    """Open a ticket: staff for any client (client_id), a client for itself."""
    data = body({"client_id", "subject", "message", "department", "priority", "time_tracking"})
    errors: dict[str, str] = {}
    if user().role == "client":
        client_id = data.get("client_id", user().client_id)
        if client_id != user().client_id:
            return not_found("Client")
        tracking = True
    else:
        client_id = integer(data, "client_id", errors, required=True, minimum=1, maximum=MAX_ID)
        tracking = boolean(data, "time_tracking", errors, default=True)
    fields = {
        k: text(data, k, errors, default=d)
        for k, d in (
            ("subject", ""),
            ("message", ""),
            ("department", "Support"),
            ("priority", "Medium"),
        )
    }
    check(errors)
    client = db.session.get(Client, client_id)
    if client is None:
        raise BadRequest({"client_id": "No such client."})
    ticket = open_ticket(
        client,
        user(),
        fields["subject"],
        fields["message"],
        fields["department"],
        fields["priority"],
        tracking,
    )
    db.session.commit()
    return jsonify(ticket_json(ticket, 0)), 201


@bp.get("/tickets/<int:ticket_id>")
def tickets_get(ticket_id: int):
    """One ticket."""
    ticket = visible_ticket(ticket_id)
    if ticket is None:
        return not_found()
    return jsonify(ticket_json(ticket, ticket_minutes([ticket.id]).get(ticket.id, 0)))


@bp.patch("/tickets/<int:ticket_id>")
@roles(*STAFF)
def tickets_patch(ticket_id: int):
    """Change status and/or time tracking (staff)."""
    ticket = visible_ticket(ticket_id)
    if ticket is None:
        return not_found()
    data = body({"status", "time_tracking"})
    errors: dict[str, str] = {}
    status = text(data, "status", errors, default=None)
    if status is not None and status not in {s.value for s in TicketStatus}:
        errors["status"] = "One of: " + ", ".join(s.value for s in TicketStatus) + "."
    tracking = boolean(data, "time_tracking", errors)
    check(errors)
    if status is not None:
        change_status(ticket, status, user())
    if tracking is not None:
        set_tracking(ticket, tracking, user())
    db.session.commit()
    return jsonify(ticket_json(ticket, ticket_minutes([ticket.id]).get(ticket.id, 0)))


@bp.post("/tickets/<int:ticket_id>/replies")
def tickets_reply(ticket_id: int):
    """Reply on a ticket (staff, or the client on its own); status optional."""
    ticket = visible_ticket(ticket_id)
    if ticket is None:
        return not_found()
    data = body({"message", "status"})
    errors: dict[str, str] = {}
    message = text(data, "message", errors, required=True)
    status = text(data, "status", errors, default=None)
    if status is not None and user().role == "client":
        errors["status"] = "Clients cannot set the status."
    check(errors)
    reply = add_reply(ticket, user(), message, status)
    db.session.commit()
    return jsonify(message_json(reply)), 201


def _time_input(data: dict, defaults: TimeEntry | None) -> tuple[TimeInput, Plan | None]:
    """Read hours, work_date, note, billable (and assign_plan_id) from a request body."""
    errors: dict[str, str] = {}
    raw_hours = data.get("hours")
    minutes = defaults.minutes if defaults and "hours" not in data else None
    if minutes is None:
        if not isinstance(raw_hours, str):
            errors["hours"] = 'Send hours as a string, e.g. "1.5" or "1:30".'
        else:
            try:
                minutes = parse_hours(raw_hours)
            except HoursError as exc:
                errors["hours"] = str(exc)
    work_date = day(data, "work_date", errors)
    if work_date is None and "work_date" not in errors:
        work_date = defaults.work_date if defaults else business_today()
    note = text(data, "note", errors, max_len=500, default=defaults.note if defaults else "")
    billable = boolean(data, "billable", errors, default=defaults.billable if defaults else True)
    plan = None
    plan_id = integer(data, "assign_plan_id", errors, minimum=1, maximum=MAX_ID)
    if plan_id is not None and (plan := db.session.get(Plan, plan_id)) is None:
        errors["assign_plan_id"] = "No such plan."
    check(errors)
    return TimeInput(minutes, work_date, note, billable), plan


@bp.get("/tickets/<int:ticket_id>/time-entries")
def entries_list(ticket_id: int):
    """A ticket's time entries (staff, or the client on its own ticket)."""
    ticket = visible_ticket(ticket_id)
    if ticket is None:
        return not_found()
    query = (
        db.select(TimeEntry)
        .filter_by(ticket_id=ticket.id)
        .order_by(TimeEntry.work_date, TimeEntry.id)
    )
    return paged(query, lambda entries: [entry_json(e) for e in entries])


@bp.post("/tickets/<int:ticket_id>/time-entries")
@roles(*STAFF)
def entries_create(ticket_id: int):
    """Log time; `assign_plan_id` gives a client without a plan one from the work date."""
    ticket = visible_ticket(ticket_id)
    if ticket is None:
        return not_found()
    data = body({"hours", "work_date", "note", "billable", "assign_plan_id"})
    time_input, plan = _time_input(data, None)
    try:
        entry = log_time(ticket, user(), time_input, assign=plan)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return domain_error_response(exc, ENTRY_ALIASES)
    return jsonify(entry_json(entry)), 201


def _own_entry(entry_id: int) -> TimeEntry | None:
    """The entry, if it exists (staff only reach here)."""
    return db.session.get(TimeEntry, entry_id)


@bp.patch("/time-entries/<int:entry_id>")
@roles(*STAFF)
def entries_patch(entry_id: int):
    """Change an entry (its author or an admin); 409 period_closed when its month is closed."""
    entry = _own_entry(entry_id)
    if entry is None:
        return not_found("Time entry")
    data = body({"hours", "work_date", "note", "billable"})
    time_input, _plan = _time_input(data, entry)
    try:
        edit_time_entry(entry, user(), time_input)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return domain_error_response(exc)
    return jsonify(entry_json(entry))


@bp.delete("/time-entries/<int:entry_id>")
@roles(*STAFF)
def entries_delete(entry_id: int):
    """Delete an entry (its author or an admin); 409 period_closed when its month is closed."""
    entry = _own_entry(entry_id)
    if entry is None:
        return not_found("Time entry")
    try:
        delete_time_entry(entry, user())
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return domain_error_response(exc)
    return "", 204
