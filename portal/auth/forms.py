"""Forms of the auth area."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SubmitField
from wtforms.validators import DataRequired, Length

from portal.web import options


class LoginForm(FlaskForm):
    """Email and password."""

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        "Password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField("Log in")


class LogoutForm(FlaskForm):
    """A lone button: logging out is a POST with a CSRF token."""

    submit = SubmitField("Log out")


class ChangePasswordForm(FlaskForm):
    """Current password, then the new one twice."""

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=1024)],
        description="At least 12 characters; a phrase of several unrelated words works well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")


class TimeFormatForm(FlaskForm):
    """How hours show on pages: 1:30 or 1.50 (invoices and exports always use decimals)."""

    time_format = RadioField(
        "Show time as",
        choices=options([("hm", "1:30 (hours and minutes)"), ("decimal", "1.50 (decimal hours)")]),
        validate_choice=False,  # the service says what is allowed, with the field's message
    )
    submit = SubmitField("Save")


class ForgotPasswordForm(FlaskForm):
    """The email a reset link is sent to."""

    email = EmailField(
        "Email",
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    submit = SubmitField("Send me a link")


class ChoosePasswordForm(FlaskForm):
    """A new password twice, through a reset or invitation link (no current password)."""

    new_password = PasswordField(
        "New password",
        validators=[DataRequired(), Length(max=1024)],
        description="At least 12 characters; a phrase of several unrelated words works well.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Save password")


class NotificationsForm(FlaskForm):
    """Which optional mail the user gets; the view drops the staff-only box for clients."""

    notify_replies = BooleanField("Replies to my tickets")
    notify_alerts = BooleanField("Usage alerts (80 % and 100 % of the month's hours)")
    notify_new_tickets = BooleanField("New tickets without an owner (staff)")
    submit = SubmitField("Save mail choices")
