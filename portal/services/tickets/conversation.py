"""Tickets: open, reply, change status, switch tracking, and the operator's one-submit update."""

import secrets
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal.extensions import db
from portal.formatting import format_day, format_number
from portal.models import (
    DEPARTMENTS,
    HourPool,
    Plan,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
    TimeEntry,
    User,
)
from portal.models.types import utcnow
from portal.money import HoursError, parse_hours
from portal.services import audit
from portal.services.billing.periods import (
    hold_subscription,
    is_period_closed,
    lock_period,
    period_of,
)
from portal.services.clients.blocks import check_refuse, top_up
from portal.services.clients.subscriptions import (
    active_subscription,
    assign_plan,
    assignable_plans,
    closed_start_error,
    overlap_error,
)
from portal.services.errors import DomainError, ValidationFailed
from portal.services.mail.tickets import tell_client_message, tell_staff_reply
from portal.services.mail.usage import tell_usage
from portal.services.settings import business_today
from portal.services.text import text_problem
from portal.services.tickets.attachments import Upload, attach, upload_problem
from portal.services.tickets.time_entries import TimeInput, check_time, log_time

SUBJECT_MAX = 200
MESSAGE_MAX = 20_000


def generate_ticket_number(rng=None) -> str:
    """Six random digits not yet used by any ticket (shown as #708131)."""
    pick = rng.randrange if rng is not None else secrets.randbelow
    while True:
        number = f"{(pick(900000) + 100000):06d}"
        if not db.session.scalar(db.select(Ticket.id).filter_by(number=number)):
            return number


def _check_message(body: str, field: str = "message", required: bool = True) -> str | None:
    """Why a message body is not acceptable, or None."""
    if required and not body.strip():
        return _("Write a message.")
    if len(body) > MESSAGE_MAX:
        return _("Keep the message under %(max)s characters.", max=format_number(MESSAGE_MAX))
    return text_problem(body, multiline=True)


def _one_of(values) -> str:
    """The message for a value outside a closed list."""
    return _("Choose one of: %(choices)s.", choices=", ".join(values))


@dataclass
class TicketInput:
    """A new ticket as asked for: subject, first message, department, priority, tracking."""

    subject: str
    message: str
    department: str = DEPARTMENTS[0]
    priority: str = Priority.MEDIUM.value
    time_tracking: bool = True


def open_ticket(client, actor: User, data: TicketInput) -> Ticket:
    """Open a ticket for `client` with its first message (by the client or staff on its behalf)."""
    errors = {}
    subject = (data.subject or "").strip()
    message, department, priority = data.message or "", data.department, data.priority
    if not subject:
        errors["subject"] = _("Give the ticket a subject.")
    elif len(subject) > SUBJECT_MAX:
        errors["subject"] = _("Keep the subject under %(max)s characters.", max=SUBJECT_MAX)
    elif problem := text_problem(subject):
        errors["subject"] = problem
    if msg := _check_message(message):
        errors["message"] = msg
    if department not in DEPARTMENTS:
        errors["department"] = _one_of(DEPARTMENTS)
    if priority not in Priority.values():
        errors["priority"] = _one_of(Priority.values())
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    ticket = Ticket(
        number=generate_ticket_number(),
        client_id=client.id,
        subject=subject,
        department=department,
        priority=priority,
        status=TicketStatus.OPEN.value,
        time_tracking=data.time_tracking,
        created_at=now,
        updated_at=now,
        created_by_id=actor.id,
    )
    ticket.messages.append(
        TicketMessage(author_id=actor.id, from_staff=actor.is_staff, body=message, created_at=now)
    )
    db.session.add(ticket)
    db.session.flush()
    if not actor.is_staff:
        tell_client_message(ticket, ticket.messages[0], new=True)
    return ticket


def change_status(ticket: Ticket, status: str, actor: User) -> None:
    """Move a ticket to another status; unknown statuses are refused."""
    if status not in TicketStatus.values():
        raise ValidationFailed({"status": _one_of(TicketStatus.values())})
    _change_field(ticket, "status", status, actor, "ticket.status")


def _change_field(ticket: Ticket, field: str, value, actor: User, action: str) -> None:
    """Set one audited field of a ticket (old and new value under `action`) and move its
    last update; nothing is written when the value is the same."""
    old = getattr(ticket, field)
    if value != old:
        audit.record(actor, action, "ticket", ticket.id, {field: old}, {field: value})
        setattr(ticket, field, value)
        ticket.updated_at = utcnow()
    db.session.flush()


def add_reply(
    ticket: Ticket,
    actor: User,
    body: str,
    status: str | None = None,
    *,
    internal: bool = False,
    uploads: list[Upload] = (),
) -> TicketMessage:
    """Add a message, with its files; staff replies set Answered, client replies
    Customer-Reply, unless told. An internal note (staff only) is no answer: it leaves the
    status alone unless one is given."""
    errors = {}
    if msg := _check_message(body or ""):
        errors["message"] = msg
    if problem := upload_problem(list(uploads)):
        errors["attachments"] = problem
    if internal and not actor.is_staff:
        errors["internal"] = _("Only staff write internal notes.")
    if errors:
        raise ValidationFailed(errors)
    # Before the message: a flush then writes the ticket's row before the message, whose
    # trigger refreshes the search index's row. Every writer takes the two in that order; a
    # reply that flushed its message first could deadlock with one that changed the ticket.
    ticket.updated_at = utcnow()
    message = TicketMessage(
        ticket_id=ticket.id,
        author_id=actor.id,
        from_staff=actor.is_staff,
        internal=internal,
        body=body,
    )
    db.session.add(message)
    if uploads:
        attach(message, list(uploads))
    if status is None and not internal:
        status = TicketStatus.ANSWERED if actor.is_staff else TicketStatus.CUSTOMER_REPLY
    if status is not None:
        change_status(ticket, status, actor)
    db.session.flush()
    if not internal:  # notes are never mailed
        if actor.is_staff:
            tell_staff_reply(ticket, message)
        else:
            tell_client_message(ticket, message, new=False)
    return message


def thread_messages(ticket: Ticket, viewer: User) -> list[TicketMessage]:
    """The messages `viewer` may read, oldest first, with their attachments (not the files):
    staff all of them, a client none of the internal notes (left out by the query itself).
    One statement: the attachments are joined (a message has few)."""
    query = (
        db.select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id)
        .options(joinedload(TicketMessage.attachments), joinedload(TicketMessage.author))
        .order_by(TicketMessage.id)
    )
    if not viewer.is_staff:
        query = query.where(TicketMessage.internal.is_(False))
    return list(db.session.scalars(query).unique())


def set_tracking(ticket: Ticket, enabled: bool, actor: User) -> None:
    """Switch time tracking on or off; refused once the ticket has time in a closed month.

    The close bills only tracked tickets: either switch would change a closed month's bill
    (off drops time already billed, on adds time the month was closed without).
    """
    if enabled == ticket.time_tracking:
        return
    dates = db.session.scalars(
        db.select(TimeEntry.work_date).filter_by(ticket_id=ticket.id).distinct()
    )
    periods = sorted(set(map(period_of, dates)))
    for period in periods:  # a close running now either finishes first or waits for us
        lock_period(period, exclusive=False)
    closed = ", ".join(period for period in periods if is_period_closed(period))
    if closed:
        raise DomainError(
            _(
                "Tracking stays on: this ticket's time in %(months)s is already billed.",
                months=closed,
            )
            if ticket.time_tracking
            else _(
                "Tracking stays off: %(months)s closed without this ticket's time.", months=closed
            ),
            field="time_tracking",
        )
    audit.record(
        actor,
        "ticket.tracking",
        "ticket",
        ticket.id,
        {"time_tracking": ticket.time_tracking},
        {"time_tracking": enabled},
    )
    days = _billable_days(ticket) if enabled else []
    # The subscriptions' rows before the ticket's, in id order, as time logged takes them.
    for subscription_id in sorted({sub for sub, _day in days}):
        hold_subscription(subscription_id)
    ticket.time_tracking = enabled
    db.session.flush()
    if enabled:
        _check_billable_time_counts(days)


def _billable_days(ticket: Ticket) -> list[tuple[int, date]]:
    """(subscription, work date) of the ticket's billable time, each pair once."""
    return db.session.execute(
        db.select(TimeEntry.subscription_id, TimeEntry.work_date)
        .where(
            TimeEntry.ticket_id == ticket.id,
            TimeEntry.billable,
            TimeEntry.subscription_id.is_not(None),
        )
        .distinct()
    ).all()


def _check_billable_time_counts(days: list[tuple[int, date]]) -> None:
    """Time that starts to count when tracking is switched on meets the rules time logged
    now would meet: `refuse` turns it away beyond the blocks, and alerts are written."""
    for subscription_id in sorted({sub for sub, _day in days}):
        first_day = min(day for sub, day in days if sub == subscription_id)
        try:
            check_refuse(subscription_id, first_day)
        except ValidationFailed as exc:
            raise DomainError(
                _("Tracking stays off: %(reason)s", reason=exc.fields["hours"]),
                field="time_tracking",
            ) from None
    firsts = {(sub, period_of(day)): (sub, day) for sub, day in sorted(days, reverse=True)}
    for subscription_id, day in sorted(firsts.values()):
        tell_usage(subscription_id, day)


@dataclass
class TicketUpdate:
    """Everything the operator's inline form can submit at once."""

    reply: str = ""
    status: str = ""  # "" = automatic: Answered when replying, else unchanged
    hours: str = ""  # as typed: "1.5", "1,5", "1:30"
    work_date: date | None = None
    note: str = ""
    billable: bool = True
    plan_id: int | None = None
    set_assignee: bool = False  # the assignee field was sent: assignee_id is wanted
    assignee_id: int | None = None  # None = unassigned
    priority: str = ""  # "" = unchanged
    internal: bool = False  # the reply is a staff-only note
    uploads: list[Upload] = field(default_factory=list)
    top_up: bool = False  # buy another prepaid block, dated on the work date


def needs_plan(ticket: Ticket) -> bool:
    """True when the client has no subscription today: the form offers a plan selector."""
    return active_subscription(ticket.client_id, business_today()) is None


def offers_top_up(ticket: Ticket) -> bool:
    """True when the client's subscription today sells prepaid blocks: the form offers to
    buy another one with the time."""
    subscription = active_subscription(ticket.client_id, business_today())
    return subscription is not None and subscription.model == "block"


def update_ticket(ticket: Ticket, actor: User, change: TicketUpdate) -> dict:
    """Reply, status, time, on-the-spot plan and a block top-up in one go: all of it is
    done, or none.

    Every field is checked before anything is written, so all messages come back at once.
    """
    errors: dict[str, str] = {}
    today = business_today()
    work_date = change.work_date or today
    minutes = None
    hours_text = (change.hours or "").strip()
    if hours_text:
        try:
            minutes = parse_hours(hours_text)
        except HoursError as exc:
            errors["hours"] = exc.message_for(actor.time_format)
    elif change.note.strip() or (work_date != today and not change.top_up):
        # A top-up alone is dated on the work date: the date is the purchase's then.
        errors["hours"] = _("Enter the hours spent for this work date and note.")
    if change.reply and (msg := _check_message(change.reply, required=False)):
        errors["reply"] = msg
    if change.uploads and (problem := upload_problem(change.uploads)):
        errors["attachments"] = problem
    elif change.uploads and not change.reply.strip():
        errors["reply"] = _("Write a reply or note to go with the files.")
    if change.status and change.status not in TicketStatus.values():
        errors["status"] = _one_of(TicketStatus.values())
    reassign = change.set_assignee and change.assignee_id != ticket.assignee_id
    if reassign and (msg := assignee_problem(change.assignee_id)):
        errors["assignee"] = msg
    if change.priority and change.priority not in Priority.values():
        errors["priority"] = _one_of(Priority.values())
    plan = None
    if change.plan_id is not None:
        plan = db.session.get(Plan, change.plan_id)
        if plan is None or plan not in assignable_plans(ticket.client):
            errors["plan"] = _("Choose one of the listed plans.")
        elif message := overlap_error(ticket.client, work_date):
            errors["plan"] = message
    if hours_text:
        # Checked even when the hours did not parse, so every message comes back at once.
        data = TimeInput(minutes or 0, work_date, change.note, change.billable)
        for field, message in check_time(ticket, data, plan).items():
            errors.setdefault(field, message)
    elif plan is not None and "plan" not in errors and (msg := _assign_date_error(work_date)):
        errors["work_date"] = msg
    if change.top_up and not hours_text:
        errors.update(_top_up_errors(ticket, work_date))
    reprioritise = bool(change.priority) and change.priority != ticket.priority
    nothing = not (change.reply.strip() or change.status or hours_text or plan or change.top_up)
    if nothing and not (reassign or reprioritise) and not errors:
        errors["reply"] = _(
            "Nothing to save: write a reply, change the status, assignee or priority, or log time."
        )
    if errors:
        raise ValidationFailed(errors)

    result = {
        "entry": None,
        "subscription": None,
        "message": None,
        "assignee": reassign,
        "priority": reprioritise,
        "top_up": None,
    }
    if minutes is not None:
        data = TimeInput(minutes, work_date, change.note, change.billable)
        entry = log_time(ticket, actor, data, assign=plan, top_up=change.top_up)
        result["entry"] = entry
        result["subscription"] = entry.subscription if plan else None
        result["top_up"] = _latest_block(entry.subscription) if change.top_up else None
    elif plan is not None:
        result["subscription"] = assign_plan(ticket.client, plan, work_date, actor)
    if change.top_up and minutes is None:
        subscription = result["subscription"] or active_subscription(ticket.client_id, work_date)
        result["top_up"] = top_up(subscription, work_date, actor)[0]
    if change.reply.strip():
        result["message"] = add_reply(
            ticket,
            actor,
            change.reply,
            change.status or None,
            internal=change.internal,
            uploads=change.uploads,
        )
    elif change.status:
        change_status(ticket, change.status, actor)
    if reassign:
        set_assignee(ticket, change.assignee_id, actor)
    if reprioritise:
        set_priority(ticket, change.priority, actor)
    return result


def _top_up_errors(ticket: Ticket, work_date: date) -> dict[str, str]:
    """A top-up without time is bought on the work date: the client needs a plan then."""
    if active_subscription(ticket.client_id, work_date) is None:
        return {
            "top_up": _(
                "%(client)s has no plan on %(date)s to top up.",
                client=ticket.client.name,
                date=format_day(work_date),
            )
        }
    return {}


def _latest_block(subscription) -> HourPool | None:
    """The block a top-up with time just bought (the subscription's newest)."""
    return db.session.scalar(
        db.select(HourPool)
        .where(HourPool.subscription_id == subscription.id, HourPool.kind == "block")
        .order_by(HourPool.id.desc())
        .limit(1)
    )


def _assign_date_error(work_date: date) -> str | None:
    """An on-the-spot plan starts on the work date: not in the future, after every closed month."""
    if work_date > business_today():
        return _("The work date cannot be in the future.")
    return closed_start_error(work_date)


def assignable_staff() -> list[User]:
    """Who may own a ticket: active operators and admins, by name."""
    return list(
        db.session.scalars(
            db.select(User)
            .where(User.role.in_(("admin", "operator")), User.active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def assignee_problem(assignee_id: int | None) -> str | None:
    """Why this id cannot own a ticket (None = unassigned is always fine), or None."""
    if assignee_id is None:
        return None
    person = db.session.get(User, assignee_id) if isinstance(assignee_id, int) else None
    if person is None or not person.is_staff:
        return _("Choose an operator or admin (or nobody).")
    if not person.active:
        return _("%(name)s is disabled: choose an active operator or admin.", name=person.name)
    return None


def set_assignee(ticket: Ticket, assignee_id: int | None, actor: User) -> None:
    """Give the ticket to an active operator or admin, or to nobody (None); audit-logged."""
    if msg := assignee_problem(assignee_id):
        raise ValidationFailed({"assignee": msg})
    _change_field(ticket, "assignee_id", assignee_id, actor, "ticket.assignee")


def set_priority(ticket: Ticket, priority: str, actor: User) -> None:
    """Change the priority (one of Priority); audit-logged."""
    if priority not in Priority.values():
        raise ValidationFailed({"priority": _one_of(Priority.values())})
    _change_field(ticket, "priority", priority, actor, "ticket.priority")


def close_own_ticket(ticket: Ticket, actor: User) -> None:
    """A client closes its own ticket (a later reply reopens it as Customer-Reply)."""
    if actor.is_staff or ticket.client_id != actor.client_id:
        raise DomainError(_("Only the ticket's client may close it this way."), field="status")
    change_status(ticket, TicketStatus.CLOSED.value, actor)
