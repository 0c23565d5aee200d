"""Forms of the client area."""

from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.forms import TicketFields


class NewTicketForm(TicketFields):
    """A client opens a ticket."""

    submit = SubmitField("Open ticket")


class ReplyForm(FlaskForm):
    """A client replies on a ticket."""

    message = TextAreaField("Your reply", validators=[DataRequired(), Length(max=20_000)])
    attachments = MultipleFileField("Attach files", description="Up to 5 files of 10 MB each.")
    submit = SubmitField("Send reply")


class CloseTicketForm(FlaskForm):
    """The "Close ticket" button: CSRF only."""

    submit = SubmitField("Close ticket")
