"""Choosing a password through a mailed link: "Forgot password?" and invitations."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import User
from portal.models.types import utcnow
from portal.services import audit
from portal.services.accounts.links import (
    INVITATION,
    PASSWORD_RESET,
    USED,
    LinkInvalid,
    user_for_link,
)
from portal.services.accounts.users import (
    end_all_sessions,
    hash_password,
    normalise_email,
    password_problem,
)
from portal.services.errors import ValidationFailed
from portal.services.mail.accounts import mail_invitation, mail_password_reset


def request_password_reset(email: str) -> bool:
    """Queue a reset link when `email` belongs to an active user. The caller answers the same
    whatever this returns, so nobody learns which addresses have accounts."""
    email = normalise_email(email)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as exc:
        # A header injection ("x\r\nBcc: y") or anything else that is not an address.
        raise ValidationFailed({"email": _("Enter a valid email address.")}) from exc
    user = db.session.scalar(db.select(User).filter_by(email=email))
    if user is None or not user.active:
        return False
    return mail_password_reset(user)


def _choose_password(user: User, new: str, confirm: str, action: str) -> User:
    """Check and store the password chosen through a link: the link stops working (the hash
    changes), every session of the account ends, and the one-time password flag goes.
    LinkInvalid when the link was used meanwhile."""
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        raise ValidationFailed({"new_password": problem})
    if new != confirm:
        raise ValidationFailed({"confirm_password": _("The two new passwords differ.")})  # noqa: S105
    # Only if the account is still as the link saw it: of two requests racing with one link,
    # the second finds the row changed (PostgreSQL waits for the first one's lock) and fails.
    changed = db.session.execute(
        db.update(User)
        .where(
            User.id == user.id,
            User.password_hash == user.password_hash,
            User.session_version == user.session_version,
        )
        .values(
            password_hash=hash_password(new),
            must_change_password=False,
            session_version=User.session_version + 1,  # every session of the account ends
        )
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise LinkInvalid(_(USED))
    db.session.expire(user)
    audit.record(user, action, "user", user.id)
    return user


def reset_password(token: str, new: str, confirm: str) -> User:
    """Set a new password through a reset link (one hour, once)."""
    return _choose_password(
        user_for_link(token, PASSWORD_RESET), new, confirm, "user.password_reset"
    )


def accept_invitation(token: str, new: str, confirm: str) -> User:
    """Choose the first password through an invitation link (seven days, once); the page
    logs the user in at once, so this counts as their login."""
    user = _choose_password(
        user_for_link(token, INVITATION), new, confirm, "user.invitation_accept"
    )
    user.last_login_at = utcnow()
    return user


def resend_invitation(actor: User, user: User) -> User:
    """Mail a new invitation to a user who has not chosen a password yet; the earlier link
    stops working (the session version is part of it)."""
    if not user.awaiting_password:
        raise ValidationFailed(
            {"user": _("%(email)s has already chosen a password.", email=user.email)}
        )
    if not user.active:
        raise ValidationFailed(
            {"user": _("%(email)s is disabled; enable the user first.", email=user.email)}
        )
    end_all_sessions(user)
    mail_invitation(user, actor)
    audit.record(actor, "user.invitation_resend", "user", user.id)
    return user
