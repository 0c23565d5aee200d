"""Forms of the client area."""

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.models import DEPARTMENTS, Priority
from portal.web import options


class NewTicketForm(FlaskForm):
    """A client opens a ticket."""

    subject = StringField("Subject", validators=[DataRequired(), Length(max=200)])
    department = SelectField("Department", choices=options((d, d) for d in DEPARTMENTS))
    priority = SelectField(
        "Priority",
        choices=options((p.value, p.value) for p in Priority),
        default=Priority.MEDIUM.value,
    )
    message = TextAreaField("Message", validators=[DataRequired(), Length(max=20_000)])
    submit = SubmitField("Open ticket")


class ReplyForm(FlaskForm):
    """A client replies on a ticket."""

    message = TextAreaField("Your reply", validators=[DataRequired(), Length(max=20_000)])
    submit = SubmitField("Send reply")
