"""Form fields the staff and client areas share."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.formatting import LABELS
from portal.models import DEPARTMENTS, Priority
from portal.services.tickets.conversation import MESSAGE_MAX, SUBJECT_MAX, TicketInput
from portal.web import options


class TicketFields(FlaskForm):
    """What opening a ticket asks for, whoever opens it: subject, department, priority, message."""

    subject = StringField(_l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX)])
    department = SelectField(_l("Department"), choices=options((d, LABELS[d]) for d in DEPARTMENTS))
    priority = SelectField(
        _l("Priority"),
        choices=options((p, LABELS[p]) for p in Priority.values()),
        default=Priority.MEDIUM.value,
    )
    message = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=MESSAGE_MAX)])

    def ticket_input(self, time_tracking: bool = True) -> TicketInput:
        """The fields as the service takes them."""
        return TicketInput(
            self.subject.data,
            self.message.data,
            self.department.data,
            self.priority.data,
            time_tracking,
        )
