"""Staff pages to edit and delete time entries while their month is open."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmedForm, TimeEntryForm
from portal.formatting import format_day, format_hours_for_user, user_time_format
from portal.models import TimeEntry
from portal.money import HoursError, parse_hours
from portal.services.errors import DomainError
from portal.services.lookups import time_entry_for
from portal.services.tickets.time_entries import (
    TimeInput,
    delete_time_entry,
    edit_time_entry,
    may_change,
)
from portal.web import confirmation_page, flash_refusal, run_or_errors


def _get_entry(entry_id: int) -> TimeEntry:
    """The entry, or 404; 403 when it is another operator's."""
    entry = time_entry_for(current_user, entry_id)
    if not may_change(entry, current_user):
        abort(403)
    return entry


@bp.route("/time-entries/<int:entry_id>/edit", methods=["GET", "POST"])
def time_entry_edit(entry_id: int):
    """Change an entry's hours, date, note or billable flag."""
    entry = _get_entry(entry_id)
    form = TimeEntryForm(obj=None)
    if not form.is_submitted():
        form.hours.data = format_hours_for_user(entry.minutes)
        form.work_date.data = entry.work_date
        form.note.data = entry.note
        form.billable.data = entry.billable
    if form.validate_on_submit():
        try:
            minutes = parse_hours(form.hours.data)
        except HoursError as exc:
            form.hours.errors.append(exc.message_for(user_time_format()))
        else:
            data = TimeInput(minutes, form.work_date.data, form.note.data or "", form.billable.data)
            if run_or_errors(form, lambda: edit_time_entry(entry, current_user, data)) is not None:
                flash(_("Time entry saved."), "success")
                return redirect(url_for("admin.ticket", ticket_id=entry.ticket_id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/time_entries/edit.html", form=form, entry=entry), status


@bp.post("/time-entries/<int:entry_id>/delete")
def time_entry_delete(entry_id: int):
    """Delete an entry once confirmed (its author or an admin, while the month is open)."""
    entry = _get_entry(entry_id)
    ticket_id = entry.ticket_id
    form = ConfirmedForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
    elif not form.is_confirmed():
        return _confirm_delete(form, entry)
    else:
        try:
            delete_time_entry(entry, current_user)
            flash(_("Time entry deleted."), "success")
        except DomainError as exc:
            flash_refusal(exc)
    return redirect(url_for("admin.ticket", ticket_id=ticket_id))


def _confirm_delete(form: ConfirmedForm, entry: TimeEntry):
    """Ask before deleting: which entry, on which ticket."""
    ticket = entry.ticket
    details = [
        (_("Ticket"), f"{ticket.display_number} · {ticket.subject}"),
        (_("Work date"), format_day(entry.work_date)),
        (_("Hours"), format_hours_for_user(entry.minutes)),
        (_("Operator"), entry.operator.name),
        (_("Billable"), _("yes") if entry.billable else _("no")),
    ]
    if entry.note:
        details.append((_("Note"), entry.note))
    return confirmation_page(
        form,
        _(
            "Delete %(hours)s h of %(date)s?",
            hours=format_hours_for_user(entry.minutes),
            date=format_day(entry.work_date),
        ),
        _(
            "The entry is removed from ticket %(number)s and from this month's hours.",
            number=ticket.display_number,
        ),
        yes=_("Yes, delete the entry"),
        keep_url=url_for("admin.ticket", ticket_id=ticket.id),
        details=details,
    )
