"""Forms of the client area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import MultipleFileField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.forms import TicketFields


class NewTicketForm(TicketFields):
    """A client opens a ticket."""

    submit = SubmitField(_l("Open ticket"))


class ReplyForm(FlaskForm):
    """A client replies on a ticket."""

    message = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=20_000)])
    attachments = MultipleFileField(
        _l("Attach files"), description=_l("Up to 5 files of 10 MB each.")
    )
    submit = SubmitField(_l("Send reply"))


class CloseTicketForm(FlaskForm):
    """The "Close ticket" button: CSRF only."""

    submit = SubmitField(_l("Close ticket"))
