"""Time entries: log, edit and delete quarter hours on tickets, with their rules."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from portal.extensions import db
from portal.formatting import format_day
from portal.models import Plan, Ticket, TimeEntry, User
from portal.models.types import utcnow
from portal.services import audit
from portal.services.billing.periods import (
    hold_closes,
    hold_subscription,
    is_period_closed,
    lock_period,
    period_of,
)
from portal.services.clients.blocks import check_refuse
from portal.services.clients.blocks import top_up as top_up_block
from portal.services.clients.subscriptions import (
    active_subscription,
    assign_plan,
    closed_start_error,
)
from portal.services.errors import DomainError, ValidationFailed
from portal.services.mail.usage import tell_usage
from portal.services.settings import business_today
from portal.services.text import text_problem

NOTE_MAX = 500
# No support business logged time before 2000; earlier dates are typing slips (0026 for
# 2026). Billing periods start at 2000-01 too.
EARLIEST_WORK_DATE = date(2000, 1, 1)


class PeriodClosed(DomainError):
    """The entry's month is closed and locked."""

    code = "period_closed"
    status = 409

    def __init__(self, period: str):
        super().__init__(
            _("%(month)s is closed: its time can no longer change.", month=period),
            field="work_date",
        )


@dataclass
class TimeInput:
    """What a person asks to record: minutes already parsed from their hours."""

    minutes: int
    work_date: date
    note: str = ""
    billable: bool = True


def snapshot(entry: TimeEntry) -> dict:
    """The entry's values for the audit log."""
    return {
        "ticket_id": entry.ticket_id,
        "subscription_id": entry.subscription_id,
        "operator_id": entry.operator_id,
        "minutes": entry.minutes,
        "work_date": entry.work_date,
        "billable": entry.billable,
        "note": entry.note,
    }


def check_work_date(work_date: date) -> str | None:
    """Why a work date cannot take time (before 2000, future, or a closed month), or None."""
    if work_date < EARLIEST_WORK_DATE:
        return _(
            "%(date)s is too long ago: enter a work date from %(earliest)s on.",
            date=format_day(work_date),
            earliest=format_day(EARLIEST_WORK_DATE),
        )
    if work_date > business_today():
        return _("The work date cannot be in the future.")
    if is_period_closed(period_of(work_date)):
        return _("%(month)s is closed: its time can no longer change.", month=period_of(work_date))
    return None


def check_time(ticket: Ticket, data: TimeInput, plan: Plan | None = None) -> dict[str, str]:
    """Every rule a new entry must meet, as field -> message (empty when all is well)."""
    errors: dict[str, str] = {}
    if not ticket.time_tracking:
        errors["hours"] = _("Time tracking is off for this ticket; switch it on to log time.")
    date_error = check_work_date(data.work_date)
    if plan is not None and date_error is None:
        date_error = closed_start_error(data.work_date)  # the plan starts on the work date
    if date_error:
        errors["work_date"] = date_error
    if len(data.note.strip()) > NOTE_MAX:
        errors["note"] = _("Keep the note under %(max)s characters.", max=NOTE_MAX)
    elif problem := text_problem(data.note.strip(), multiline=True):
        errors["note"] = problem
    if (
        data.billable
        and plan is None
        and "work_date" not in errors
        and active_subscription(ticket.client_id, data.work_date) is None
    ):
        errors["plan"] = _(
            "%(client)s has no plan on %(date)s: choose a plan to assign, or log the time as "
            "non-billable.",
            client=ticket.client.name,
            date=format_day(data.work_date),
        )
    return errors


def log_time(
    ticket: Ticket,
    actor: User,
    data: TimeInput,
    assign: Plan | None = None,
    *,
    top_up: bool = False,
) -> TimeEntry:
    """Record time on a ticket; with `assign`, first give the client that plan from the work date.

    Billable time needs a subscription active on the work date (or the plan assigned here).
    With `top_up`, another prepaid block is bought first, dated on the work date, so time
    a `refuse` plan would turn away is covered in the same submit.
    """
    # Lock the month first, then check it: a close cannot slip in between.
    lock_period(period_of(data.work_date), exclusive=False)
    if assign is not None:
        hold_closes()  # the plan's earliest start depends on every closed month
    errors = check_time(ticket, data, assign)
    if errors:
        raise ValidationFailed(errors)
    subscription = active_subscription(ticket.client_id, data.work_date)
    if assign is not None:
        if subscription is not None:
            raise ValidationFailed(
                {
                    "plan": _(
                        "%(client)s already has a plan on %(date)s.",
                        client=ticket.client.name,
                        date=format_day(data.work_date),
                    )
                }
            )
        subscription = assign_plan(ticket.client, assign, data.work_date, actor)
    if top_up:
        if subscription is None:
            raise ValidationFailed({"top_up": _("The client has no plan to top up on this date.")})
        top_up_block(subscription, data.work_date, actor)
    if data.billable and subscription is not None:
        hold_subscription(subscription.id)  # before the ticket's row, as a top-up takes them
    entry = TimeEntry(
        ticket_id=ticket.id,
        subscription_id=subscription.id if subscription else None,
        operator_id=actor.id,
        minutes=data.minutes,
        work_date=data.work_date,
        billable=data.billable,
        note=data.note.strip(),
    )
    db.session.add(entry)
    ticket.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "time_entry.create", "time_entry", entry.id, after=snapshot(entry))
    if entry.billable:
        check_refuse(entry.subscription_id, entry.work_date)
        tell_usage(entry.subscription_id, entry.work_date)
    return entry


def may_change(entry: TimeEntry, actor: User) -> bool:
    """Operators change their own entries, admins any."""
    return actor.is_admin or entry.operator_id == actor.id


class NotAllowed(DomainError):
    """The actor may not change this object."""

    code = "forbidden"
    status = 403


def ensure_may_change(entry: TimeEntry, actor: User) -> None:
    """Operators change their own entries, admins any; never in a closed month."""
    if not may_change(entry, actor):
        raise NotAllowed(_("Only the operator who logged this time, or an admin, may change it."))
    lock_period(period_of(entry.work_date), exclusive=False)
    if is_period_closed(period_of(entry.work_date)):
        raise PeriodClosed(period_of(entry.work_date))


def edit_time_entry(entry: TimeEntry, actor: User, data: TimeInput) -> TimeEntry:
    """Change an entry's hours, date, note or billable flag while its month is open."""
    ensure_may_change(entry, actor)
    lock_period(period_of(data.work_date), exclusive=False)  # before checking it, as in log_time
    errors = check_time(entry.ticket, data)
    if errors:
        raise ValidationFailed(errors)
    before = snapshot(entry)
    subscription = active_subscription(entry.ticket.client_id, data.work_date)
    if data.billable and subscription is not None:
        hold_subscription(subscription.id)  # before the entry's trigger shares its ticket's row
    entry.minutes = data.minutes
    entry.work_date = data.work_date
    entry.note = data.note.strip()
    entry.billable = data.billable
    entry.subscription_id = subscription.id if subscription else None
    entry.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "time_entry.update", "time_entry", entry.id, before, snapshot(entry))
    if entry.billable:  # more hours, or hours made billable, may cross a threshold too
        check_refuse(entry.subscription_id, entry.work_date)
        tell_usage(entry.subscription_id, entry.work_date)
    return entry


def delete_time_entry(entry: TimeEntry, actor: User) -> None:
    """Remove an entry while its month is open."""
    ensure_may_change(entry, actor)
    audit.record(actor, "time_entry.delete", "time_entry", entry.id, before=snapshot(entry))
    db.session.delete(entry)
    db.session.flush()
