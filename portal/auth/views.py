"""Login, logout and the landing page."""

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import LoginForm, LogoutForm
from portal.extensions import db, login_manager
from portal.services.users import authenticate, load_session_user

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to continue."
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show and process the login form."""
    if current_user.is_authenticated:
        return redirect(home_url_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append("Email or password is incorrect.")
        else:
            db.session.commit()
            session.clear()  # a fresh session at login: nothing carried over from before
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else home_url_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """End the session (POST with CSRF, so no other site can log a user out)."""
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        session.clear()
        flash("You have been logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.app_context_processor
def inject_logout_form():
    """Every page's navbar carries a logout button, which needs a CSRF token."""
    if current_user.is_authenticated:
        return {"logout_form": LogoutForm()}
    return {}
