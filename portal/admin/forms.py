"""Forms of the staff area."""

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

    reply = TextAreaField("Reply to the client", validators=[Optional(), Length(max=20_000)])
    status = SelectField(
        "Status",
        choices=options(
            [("", "Automatic (Answered when you reply)")] + [(s, s) for s in TicketStatus.values()]
        ),
        default="",
    )
    hours = StringField("Time spent (hours)", description=HOURS_RULE)
    work_date = DateField("Work date", validators=[Optional()])
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    billable = BooleanField("Billable", default=True)
    # Shown for a prepaid-block subscription only: another block, dated on the work date.
    top_up = BooleanField("Buy another block (invoiced now)", default=False)
    plan = SelectField("Assign a plan", coerce=optional_int, validate_choice=True)
    # Checked by the service (active staff only), so a refusal names the person.
    assignee = SelectField("Assignee", coerce=optional_int, validate_choice=False)
    priority = SelectField(
        "Priority",
        choices=options([(p, p) for p in Priority.values()]),
        default="",
        validate_choice=False,
    )
    internal = BooleanField("Internal note (not shown to the client)", default=False)
    attachments = MultipleFileField("Attach files")
    submit = SubmitField("Update ticket")


class TopUpForm(FlaskForm):
    """Buy another prepaid block for a client's block subscription, dated (today by default)."""

    date = DateField("Purchase date", validators=[Optional()])
    submit = SubmitField("Buy another block (invoiced now)")


class TrackingForm(FlaskForm):
    """Switch time tracking on or off."""

    enabled = HiddenField()
    submit = SubmitField()


class TimeEntryForm(FlaskForm):
    """Edit one time entry."""

    hours = StringField("Hours", description=HOURS_RULE, validators=[DataRequired(HOURS_RULE)])
    work_date = DateField("Work date", validators=[DataRequired()])
    note = StringField("Note", validators=[Optional(), Length(max=500)])
    billable = BooleanField("Billable", default=True)
    submit = SubmitField("Save")


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
        "Find the client by name",
        validators=[Optional(), Length(max=100)],
        description="Part of the name, then Find.",
    )
    find = SubmitField("Find")
    client = RadioField("Client", coerce=optional_int, validate_choice=False)
    time_tracking = BooleanField("Track time on this ticket", default=True)
    submit = SubmitField("Open ticket")

    def validate_client(self, field):
        """One of the clients offered (the view offers only clients that exist)."""
        if field.data is None or all(value != field.data for value, _label in field.choices):
            raise ValidationError("Choose a client: find it by name above.")


class NewUserForm(FlaskForm):
    """An admin adds a staff member or a client user, who is mailed an invitation."""

    name = StringField("Name")
    email = StringField("Email")
    role = SelectField(
        "Role",
        choices=options([("operator", "Operator"), ("admin", "Admin"), ("client", "Client user")]),
        validate_choice=False,  # the service answers with the field's message
    )
    client_id = SelectField(
        "Client (client users only)", coerce=optional_int, validate_choice=False
    )
    submit = SubmitField("Add user")


class RoleForm(FlaskForm):
    """A staff member's role."""

    role = SelectField(
        "Role",
        choices=options([("operator", "Operator"), ("admin", "Admin")]),
        validate_choice=False,
    )
    submit = SubmitField("Change role")
