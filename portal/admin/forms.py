"""Forms of the staff area."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from portal.formatting import LABELS
from portal.forms import TicketFields
from portal.models import Priority, TicketStatus
from portal.money import HOURS_RULE
from portal.web import options


def optional_int(value):
    """Select coercion: "" -> None, ASCII digits -> int, anything else (" 7", "٧") stays and
    fails the choice."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
        return int(value)
    return value


class TicketUpdateForm(FlaskForm):
    """The inline form on a ticket page: reply, status, time and plan in one submit."""

    reply = TextAreaField(_l("Reply to the client"), validators=[Optional(), Length(max=20_000)])
    status = SelectField(
        _l("Status"),
        choices=options(
            [("", _l("Automatic (Answered when you reply)"))]
            + [(s, LABELS[s]) for s in TicketStatus.values()]
        ),
        default="",
    )
    hours = StringField(_l("Time spent (hours)"), description=_l(HOURS_RULE))
    work_date = DateField(_l("Work date"), validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    billable = BooleanField(_l("Billable"), default=True)
    # Shown for a prepaid-block subscription only: another block, dated on the work date.
    top_up = BooleanField(_l("Buy another block (invoiced now)"), default=False)
    plan = SelectField(_l("Assign a plan"), coerce=optional_int, validate_choice=True)
    # Checked by the service (active staff only), so a refusal names the person.
    assignee = SelectField(_l("Assignee"), coerce=optional_int, validate_choice=False)
    priority = SelectField(
        _l("Priority"),
        choices=options([(p, LABELS[p]) for p in Priority.values()]),
        default="",
        validate_choice=False,
    )
    internal = BooleanField(_l("Internal note (not shown to the client)"), default=False)
    attachments = MultipleFileField(_l("Attach files"))
    submit = SubmitField(_l("Update ticket"))


class TopUpForm(FlaskForm):
    """Buy another prepaid block for a client's block subscription, dated (today by default)."""

    date = DateField(_l("Purchase date"), validators=[Optional()])
    submit = SubmitField(_l("Buy another block (invoiced now)"))


class TrackingForm(FlaskForm):
    """Switch time tracking on or off."""

    enabled = HiddenField()
    submit = SubmitField()


class TimeEntryForm(FlaskForm):
    """Edit one time entry."""

    hours = StringField(
        _l("Hours"), description=_l(HOURS_RULE), validators=[DataRequired(_l(HOURS_RULE))]
    )
    work_date = DateField(_l("Work date"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    billable = BooleanField(_l("Billable"), default=True)
    submit = SubmitField(_l("Save"))


class ConfirmForm(FlaskForm):
    """A lone button (delete, revoke): CSRF only."""

    submit = SubmitField()


class ConfirmedForm(FlaskForm):
    """An irreversible button: posted bare it asks first; it acts only with `confirmed=1`,
    the hidden field of the confirmation page's form (web.confirmation_page)."""

    confirmed = HiddenField()

    def is_confirmed(self) -> bool:
        """True when the post came from the confirmation page's "Yes" button."""
        return self.confirmed.data == "1"


class NewTicketForm(TicketFields):
    """Open a ticket on behalf of a client."""

    # A business may have thousands of clients: no drop-down of all of them. The operator
    # types part of a name and presses "Find"; the matches come back as radio buttons in
    # the same form, so nothing typed is lost (tickets.ticket_new fills the choices).
    client_name = StringField(
        _l("Find the client by name"),
        validators=[Optional(), Length(max=100)],
        description=_l("Part of the name, then Find."),
    )
    find = SubmitField(_l("Find"))
    client = RadioField(_l("Client"), coerce=optional_int, validate_choice=False)
    time_tracking = BooleanField(_l("Track time on this ticket"), default=True)
    submit = SubmitField(_l("Open ticket"))

    def validate_client(self, field):
        """One of the clients offered (the view offers only clients that exist)."""
        if field.data is None or all(value != field.data for value, _label in field.choices):
            raise ValidationError(_("Choose a client: find it by name above."))


class NewUserForm(FlaskForm):
    """An admin adds a staff member or a client user, who is mailed an invitation."""

    name = StringField(_l("Name"))
    email = StringField(_l("Email"))
    role = SelectField(
        _l("Role"),
        choices=options(
            [("operator", _l("Operator")), ("admin", _l("Admin")), ("client", _l("Client user"))]
        ),
        validate_choice=False,  # the service answers with the field's message
    )
    # No drop-down of every client (a business may have thousands): part of a name and
    # "Find" offer the matches in the same form, as on the new-ticket form.
    client_name = StringField(
        _l("Find the client by name"),
        validators=[Optional(), Length(max=100)],
        description=_l("Part of the name, then Find."),
    )
    find = SubmitField(_l("Find"))
    client_id = SelectField(
        _l("Client (client users only)"), coerce=optional_int, validate_choice=False
    )
    submit = SubmitField(_l("Add user"))


class RoleForm(FlaskForm):
    """A staff member's role."""

    role = SelectField(
        _l("Role"),
        choices=options([("operator", _l("Operator")), ("admin", _l("Admin"))]),
        validate_choice=False,
    )
    submit = SubmitField(_l("Change role"))
