"""Login, logout and the landing page."""

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    LogoutForm,
    NotificationsForm,
    TimeFormatForm,
)
from portal.extensions import limiter, login_manager
from portal.i18n import LANGUAGES, N_
from portal.security import start_session_clock
from portal.services.accounts.users import (
    authenticate,
    change_password,
    end_all_sessions,
    load_session_user,
    set_language,
    set_notifications,
    set_time_format,
)
from portal.web import run_or_errors

login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please log in to continue.")  # gettext when flashed
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_user(session_id: str):
    """Flask-Login hook: the user of the session cookie, if still valid."""
    return load_session_user(session_id)


def home_url_for(user) -> str:
    """Where a user lands after login: staff on the ticket queue, clients on their dashboard."""
    return url_for("admin.index") if user.is_staff else url_for("client.dashboard")


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site ("/admin/...") is followed after login, never a URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


@bp.route("/")
def index():
    """Landing page: the login form, or the role's home when logged in."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    return redirect(url_for("auth.login"))


def _login_limits() -> str:
    """Failed logins allowed per client address (configurable: LOGIN_LIMITS)."""
    return current_app.config["LOGIN_LIMITS"]


def _account_limits() -> str:
    """Failed logins allowed per email address (configurable: LOGIN_LIMITS_PER_ACCOUNT)."""
    return current_app.config["LOGIN_LIMITS_PER_ACCOUNT"]


def _typed_email() -> str:
    """The email of a login attempt, so guessing one account from many addresses is limited."""
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _current_account() -> str:
    """Wrong current passwords are counted per logged-in user."""
    return f"password-change:{current_user.get_id()}"


def _failed(response) -> bool:
    """Only refused attempts count against the limits; a successful login redirects."""
    return response.status_code != 302


def start_session(user) -> None:
    """A fresh session for `user`: nothing carried over, timeouts counted from now."""
    session.clear()
    login_user(user)
    start_session_clock()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limits, methods=["POST"], deduct_when=_failed)
@limiter.limit(_account_limits, methods=["POST"], key_func=_typed_email, deduct_when=_failed)
def login():
    """Show and process the login form."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Email or password is incorrect."))
        else:
            start_session(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else home_url_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session (POST with CSRF, so no other site can log a user out)."""
    form = LogoutForm()
    if form.validate_on_submit():
        # Logging out ends every session of the account, so a copied cookie is worthless too.
        end_all_sessions(current_user)
        logout_user()
        session.clear()
        flash(_("You have been logged out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"], endpoint="change_password")
@login_required
@limiter.limit(_account_limits, methods=["POST"], key_func=_current_account, deduct_when=_failed)
def change_password_page():
    """Change one's own password; every other session of the account ends."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        was_one_time = user.must_change_password
        done = run_or_errors(
            form,
            lambda: change_password(
                user,
                form.current_password.data,
                form.new_password.data,
                form.confirm_password.data,
            ),
        )
        if done:
            first = was_one_time
            start_session(user)  # this browser stays logged in under the new session version
            if first:
                flash(_("Password chosen. Welcome!"), "success")
                return redirect(home_url_for(user))
            flash(_("Password changed. Your other sessions have been logged out."), "success")
            return redirect(url_for("auth.change_password"))
    time_form = TimeFormatForm(formdata=None, time_format=current_user.time_format)
    return _account_page(form, time_form, status=200)  # as before: refusals here answer 200


def _notifications_form(**kwargs) -> NotificationsForm:
    """The mail choices; the new-ticket box only for staff."""
    form = NotificationsForm(**kwargs)
    if not current_user.is_staff:
        del form.notify_new_tickets
    return form


def _language_form() -> LanguageForm:
    """The language choice as saved ("" for the browser's)."""
    return LanguageForm(formdata=None, language=current_user.language or "")


def _account_page(
    password_form, time_form, notify_form=None, status: int | None = None, language_form=None
):
    """The account page: the password form, the time display setting, the language and the
    mail choices."""
    if notify_form is None:
        notify_form = _notifications_form(formdata=None, obj=current_user)
    if language_form is None:
        language_form = _language_form()
    forms = (password_form, time_form, notify_form, language_form)
    status = status or (422 if any(form.errors for form in forms) else 200)
    page = render_template(
        "auth/change_password.html",
        form=password_form,
        time_form=time_form,
        notify_form=notify_form,
        language_form=language_form,
    )
    return page, status


@bp.post("/account/time-format", endpoint="time_format")
@login_required
def time_format_page():
    """Choose how pages show hours: 1:30 or 1.50."""
    form = TimeFormatForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if run_or_errors(form, lambda: set_time_format(user, form.time_format.data or "")):
            shown = "1.50" if user.time_format == "decimal" else "1:30"
            flash(_("Saved: pages show time as %(shown)s.", shown=shown), "success")
            return redirect(url_for("auth.change_password"))
    return _account_page(ChangePasswordForm(formdata=None), form, status=422)


@bp.post("/account/language", endpoint="language")
@login_required
def language_page():
    """Choose the language of one's pages and mail, or follow the browser's."""
    form = LanguageForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if run_or_errors(form, lambda: set_language(user, form.chosen())) is not None:
            refresh()  # the confirmation, and the pages from now on, speak the new language
            if user.language in LANGUAGES:
                language = LANGUAGES[user.language]
                flash(_("Saved: pages and mail are in %(language)s.", language=language), "success")
            else:
                flash(_("Saved: pages follow your browser's language."), "success")
            return redirect(url_for("auth.change_password"))
    time_form = TimeFormatForm(formdata=None, time_format=current_user.time_format)
    return _account_page(
        ChangePasswordForm(formdata=None), time_form, status=422, language_form=form
    )


@bp.post("/account/notifications", endpoint="notifications")
@login_required
def notifications_page():
    """Choose which optional mail comes: replies, usage alerts, new tickets (staff)."""
    form = _notifications_form()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        new_tickets = form.notify_new_tickets.data if "notify_new_tickets" in form else None
        saved = run_or_errors(
            form,
            lambda: set_notifications(
                user,
                replies=form.notify_replies.data,
                alerts=form.notify_alerts.data,
                new_tickets=new_tickets,
            ),
        )
        if saved is not None:
            flash(_("Saved: your mail choices."), "success")
            return redirect(url_for("auth.change_password"))
    time_form = TimeFormatForm(formdata=None, time_format=current_user.time_format)
    return _account_page(ChangePasswordForm(formdata=None), time_form, form, status=422)


# Pages a user who must choose a new password may still open.
PASSWORD_CHANGE_ALLOWED = {
    "auth.change_password",
    "auth.logout",
    "auth.healthz",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.accept_invitation",
    "static",
}


@bp.before_app_request
def require_new_password():
    """A user given a one-time password can use nothing but the change-password page until
    they chose their own (API tokens are not sessions and are unaffected)."""
    if request.blueprint == "api" or request.endpoint in PASSWORD_CHANGE_ALLOWED:
        return None
    if current_user.is_authenticated and current_user.must_change_password:
        return redirect(url_for("auth.change_password"))
    return None


@bp.get("/healthz")
def healthz():
    """For load balancers and uptime checks: the process answers. Touches no database."""
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.app_context_processor
def inject_logout_form():
    """Every page's navbar carries a logout button, which needs a CSRF token."""
    # Outside a request (a job rendering an invoice PDF for mail) there is no user.
    if getattr(current_user, "is_authenticated", False):
        # formdata=None: the button needs only a token, and reading the request's form here
        # would raise again on the page that reports a too-large request.
        return {"logout_form": LogoutForm(formdata=None)}
    return {}
