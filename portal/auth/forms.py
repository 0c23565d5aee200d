"""Forms of the auth area."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length

from portal.i18n import LANGUAGES
from portal.web import options

PASSWORD_HELP = _l("At least 12 characters; a phrase of several unrelated words works well.")


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Log in"))


class LogoutForm(FlaskForm):
    """A lone button: logging out is a POST with a CSRF token."""

    submit = SubmitField(_l("Log out"))


class ChangePasswordForm(FlaskForm):
    """Current password, then the new one twice."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        description=PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Change password"))


class TimeFormatForm(FlaskForm):
    """How hours show on pages: 1:30 or 1.50 (invoices and exports always use decimals)."""

    time_format = RadioField(
        _l("Show time as"),
        choices=options(
            [
                ("hm", _l("1:30 (hours and minutes)")),
                ("decimal", _l("1.50 (decimal hours)")),
            ]
        ),
        validate_choice=False,  # the service says what is allowed, with the field's message
    )
    submit = SubmitField(_l("Save"))


class LanguageForm(FlaskForm):
    """The language of one's pages and mail: the browser's, or one the portal speaks."""

    # "" is the browser's language (stored as None); the service says what is allowed.
    language = SelectField(
        _l("Language"),
        choices=options([("", _l("Browser default")), *LANGUAGES.items()]),
        validate_choice=False,
    )
    submit = SubmitField(_l("Save"))

    def chosen(self) -> str | None:
        """The language code chosen, None for the browser's."""
        return self.language.data or None


class ForgotPasswordForm(FlaskForm):
    """The email a reset link is sent to."""

    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField(_l("Send me a link"))


class ChoosePasswordForm(FlaskForm):
    """A new password twice, through a reset or invitation link (no current password)."""

    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=1024)],
        description=PASSWORD_HELP,
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save password"))


class NotificationsForm(FlaskForm):
    """Which optional mail the user gets; the view drops the staff-only box for clients."""

    notify_replies = BooleanField(_l("Replies to my tickets"))
    notify_alerts = BooleanField(
        _l(
            "Usage alerts (%(first)s and %(second)s of the month's hours)",
            first="80 %",
            second="100 %",
        )
    )
    notify_new_tickets = BooleanField(_l("New tickets without an owner (staff)"))
    submit = SubmitField(_l("Save mail choices"))
