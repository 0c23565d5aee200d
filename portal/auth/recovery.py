"""Choosing a password through a mailed link: "Forgot password?" and invitations."""

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user

from portal.auth import bp
from portal.auth.forms import ChoosePasswordForm, ForgotPasswordForm
from portal.auth.views import home_url_for, start_session
from portal.extensions import limiter
from portal.i18n import N_
from portal.services.accounts.links import INVITATION, PASSWORD_RESET, LinkInvalid, user_for_link
from portal.services.accounts.recovery import (
    accept_invitation,
    request_password_reset,
    reset_password,
)
from portal.web import run_or_errors

# The one answer to every reset request that passes the form's checks: nobody learns from
# it whether the address has an account, is unknown or is disabled.
SAME_ANSWER = N_(
    "If an account exists for that address, we have sent a link to choose a new password. "
    "It works once, for one hour."
)


def _reset_limits() -> str:
    """Reset requests allowed per client address (configurable: PASSWORD_RESET_LIMITS)."""
    return current_app.config["PASSWORD_RESET_LIMITS"]


def _reset_account_limits() -> str:
    """Reset requests per email address (configurable: PASSWORD_RESET_LIMITS_PER_ACCOUNT)."""
    return current_app.config["PASSWORD_RESET_LIMITS_PER_ACCOUNT"]


def _typed_reset_email() -> str:
    """The address asked for, so one mailbox cannot be flooded from many client addresses."""
    return "reset-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _answered(response) -> bool:
    """Only requests given the same answer count (those that may mail): a form refused for
    its own input or token sends nothing, and costs the asker nothing."""
    return response.status_code == 302


@bp.route("/password/forgot", methods=["GET", "POST"], endpoint="forgot_password")
@limiter.limit(_reset_limits, methods=["POST"], deduct_when=_answered)
@limiter.limit(
    _reset_account_limits, methods=["POST"], key_func=_typed_reset_email, deduct_when=_answered
)
def forgot_password():
    """Ask for a reset link; the answer is the same whether the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if run_or_errors(form, lambda: request_password_reset(form.email.data or "")) is not None:
            flash(_(SAME_ANSWER), "info")
            return redirect(url_for("auth.forgot_password"))
    status = 422 if form.errors else 200
    return render_template("auth/forgot_password.html", form=form), status


def _link_refused(exc: LinkInvalid, purpose):
    """The page for a used, expired or forged link, with the way to ask for a new one."""
    page = render_template("auth/link_invalid.html", reason=exc.message, purpose=purpose.name)
    return page, 400


def _choose_through_link(token: str, purpose, choose, title: str, done):
    """The page of a reset or invitation link: the new password twice, then `done(user)`;
    a used, expired or forged link gets the page that says so."""
    try:
        user = user_for_link(token, purpose)
        form = ChoosePasswordForm()
        if form.validate_on_submit():
            data = form.new_password.data or "", form.confirm_password.data or ""
            if run_or_errors(form, lambda: choose(token, *data)) is not None:
                return done(user)
    except LinkInvalid as exc:
        return _link_refused(exc, purpose)
    page = render_template("auth/choose_password.html", form=form, user=user, title=title)
    return page, 422 if form.errors else 200


def _after_reset(_user):
    """This browser is logged out too: the new password is proven by logging in with it."""
    logout_user()
    session.clear()
    flash(_("Your password is changed and every session ended. Log in with it."), "success")
    return redirect(url_for("auth.login"))


def _after_invitation(user):
    """The invited user proved the mailbox and chose a password: they are in."""
    start_session(user)
    flash(_("Password chosen. Welcome!"), "success")
    return redirect(home_url_for(user))


@bp.route("/password/reset/<token>", methods=["GET", "POST"], endpoint="reset_password")
def reset_password_page(token: str):
    """Choose a new password through a reset link; every session of the account ends."""
    return _choose_through_link(
        token, PASSWORD_RESET, reset_password, _("Choose a new password"), _after_reset
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"], endpoint="accept_invitation")
def accept_invitation_page(token: str):
    """Choose one's first password through an invitation link, then go in."""
    return _choose_through_link(
        token, INVITATION, accept_invitation, _("Welcome: choose your password"), _after_invitation
    )
