"""Users: create, authenticate, hash passwords (argon2id)."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from zxcvbn import zxcvbn

from portal.extensions import db
from portal.i18n import LANGUAGES
from portal.models import ApiToken, Client, Role, User
from portal.models.types import utcnow
from portal.models.user import UNUSABLE_PASSWORD_PREFIX
from portal.services import audit
from portal.services.accounts.tokens import revoke_user_tokens
from portal.services.errors import ValidationFailed
from portal.services.mail.accounts import mail_invitation
from portal.services.text import text_problem

NAME_MAX = 200
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
# zxcvbn's guess estimate: 3 means "safely unguessable" (about 10^8 guesses or more). It
# refuses common passwords, keyboard patterns, repeats and the user's own details; it sets no
# composition rules. zxcvbn looks at the first 72 characters only.
MIN_PASSWORD_SCORE = 3
ZXCVBN_MAX_LENGTH = 72
PRODUCT_WORDS = ("support", "hours", "portal", "supporthours", "supporthoursportal")


def init_password_hasher(app) -> None:
    """Create the app's argon2id hasher; ARGON2_PARAMS overrides the library's RFC 9106 defaults."""
    hasher = PasswordHasher(**app.config.get("ARGON2_PARAMS", {}))
    app.extensions["password_hasher"] = hasher
    # Verified against when the email is unknown, so a wrong email costs as much as a wrong
    # password and does not reveal which emails have accounts.
    app.extensions["password_dummy_hash"] = hasher.hash("not-a-real-password-for-timing")


def _hasher() -> PasswordHasher:
    """The current app's password hasher."""
    return current_app.extensions["password_hasher"]


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher().hash(password)


def unusable_password_hash() -> str:
    """A hash no password matches: an invited user logs in only after choosing one. Random,
    so each invited account's signed links differ."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(32)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash."""
    if password_hash.startswith(UNUSABLE_PASSWORD_PREFIX):
        # As slow as a real check, so a login does not tell an invited account apart.
        verify_password(current_app.extensions["password_dummy_hash"], password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password may not be used, or None when it is fine.

    At least 12 characters, no composition rules, and not a common or guessable password
    (OWASP ASVS 2.1; NIST SP 800-63B 5.1.1.2).
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        return ngettext(
            "Use at least %(num)d character.",
            "Use at least %(num)d characters.",
            MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return ngettext(
            "Use at most %(num)d character.", "Use at most %(num)d characters.", MAX_PASSWORD_LENGTH
        )
    user_inputs = [word for word in (email, email.partition("@")[0], name) if word]
    estimate = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[*user_inputs, *PRODUCT_WORDS])
    if estimate["score"] < MIN_PASSWORD_SCORE:
        return _(
            "This password is too easy to guess: it is a common password, a pattern or "
            "contains your own details. A phrase of several unrelated words works well."
        )
    return None


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased, so lookups do not depend on how it was typed."""
    return (email or "").strip().lower()


def create_user(
    email: str,
    password: str | None,
    role: str,
    *,
    name: str | None = None,
    client_id: int | None = None,
) -> User:
    """Add a user after checking email, name, password, role and client link; a password of
    None makes an invited user, who cannot log in before choosing one."""
    errors: dict[str, str] = {}
    email = normalise_email(email)
    name = (name or "").strip()
    if len(name) > NAME_MAX:
        errors["name"] = ngettext(
            "Keep the name to %(num)d character or fewer.",
            "Keep the name to %(num)d characters or fewer.",
            NAME_MAX,
        )
    elif problem := text_problem(name):
        errors["name"] = problem
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        errors["email"] = _("Enter a valid email address.")
    if not errors and db.session.scalar(db.select(User.id).filter_by(email=email)):
        errors["email"] = _("A user with this email already exists.")
    if password is not None and (problem := password_problem(password, email=email, name=name)):
        errors["password"] = problem
    if role not in Role.values():
        errors["role"] = _("Role must be admin, operator or client.")
    elif role == Role.CLIENT:
        if client_id is None or db.session.get(Client, client_id) is None:
            errors["client_id"] = _("A client user needs an existing client account.")
    elif client_id is not None:
        errors["client_id"] = _("Only client users belong to a client account.")
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        name=name or email.split("@")[0],
        password_hash=unusable_password_hash() if password is None else hash_password(password),
        role=role,
        client_id=client_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = db.session.scalar(db.select(User).filter_by(email=normalise_email(email)))
    if user is None:
        verify_password(current_app.extensions["password_dummy_hash"], password or "")
        return None
    if not verify_password(user.password_hash, password or "") or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def load_session_user(session_id: str) -> User | None:
    """Flask-Login loader: "id:version" -> the user, only while the version still matches."""
    user_id, _colon, version = (session_id or "").partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_all_sessions(user: User) -> None:
    """Every browser session of this user stops working at its next request."""
    user.session_version += 1
    db.session.flush()


def change_password(user: User, current: str, new: str, confirm: str) -> User:
    """Check the current password and the new one, store its hash, end the other sessions."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current or ""):
        errors["current_password"] = _("This is not your current password.")  # noqa: S105
    problem = password_problem(new, email=user.email, name=user.name)
    if problem:
        errors["new_password"] = problem
    elif new == current:
        errors["new_password"] = _("Choose a password you have not used here just now.")  # noqa: S105
    if not errors and new != confirm:
        errors["confirm_password"] = _("The two new passwords differ.")  # noqa: S105
    if errors:
        raise ValidationFailed(errors)
    user.password_hash = hash_password(new)
    user.must_change_password = False
    end_all_sessions(user)
    audit.record(user, "user.password_change", "user", user.id)
    return user


STAFF_ROLES = (Role.ADMIN.value, Role.OPERATOR.value)


def add_user(
    actor: User,
    *,
    email: str,
    name: str,
    role: str,
    client_id: int | None,
) -> User:
    """An admin adds a staff member or a client user, who is mailed an invitation to choose
    their password (admins never type or see passwords for others)."""
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Enter the person's name.")
    try:
        user = create_user(email, None, role, name=name, client_id=client_id)
    except ValidationFailed as exc:
        errors = {**exc.fields, **errors}
    if errors:
        raise ValidationFailed(errors)
    after = {"email": user.email, "name": user.name, "role": user.role, "client_id": client_id}
    audit.record(actor, "user.create", "user", user.id, after=after)
    mail_invitation(user, actor)
    return user


def _active_admins() -> int:
    """How many enabled admins there are."""
    query = db.select(db.func.count(User.id)).filter_by(role=Role.ADMIN.value, active=True)
    return db.session.scalar(query)


def _is_last_active_admin(user: User) -> bool:
    """True when taking this user's admin rights or login away leaves no admin."""
    return user.role == Role.ADMIN.value and user.active and _active_admins() <= 1


def change_role(actor: User, user: User, role: str) -> User:
    """Make a staff member an operator or an admin; never the last admin, never oneself."""
    if user.role not in STAFF_ROLES:
        raise ValidationFailed({"role": _("Only staff members change role; client users stay.")})
    if role not in STAFF_ROLES:
        raise ValidationFailed({"role": _("Role must be admin or operator.")})
    if role == user.role:
        return user
    if user.id == actor.id:
        raise ValidationFailed({"role": _("You cannot take away your own admin rights.")})
    if _is_last_active_admin(user):
        raise ValidationFailed({"role": _("This is the last active admin; make another first.")})
    before = {"role": user.role}
    user.role = role
    end_all_sessions(user)  # pages already open were drawn for the old role
    audit.record(actor, "user.role_change", "user", user.id, before, {"role": role})
    return user


def set_time_format(user: User, time_format: str) -> User:
    """How this user sees hours on pages: "hm" (1:30) or "decimal" (1.50)."""
    if time_format not in ("hm", "decimal"):
        raise ValidationFailed({"time_format": _("One of: %(choices)s.", choices="hm, decimal")})
    if user.time_format != time_format:
        before = {"time_format": user.time_format}
        user.time_format = time_format
        after = {"time_format": time_format}
        audit.record(user, "user.time_format", "user", user.id, before, after)
    db.session.flush()
    return user


def set_notifications(
    user: User, *, replies: bool, alerts: bool, new_tickets: bool | None = None
) -> User:
    """Which optional mail this user gets; new-ticket mail is for staff only (a client user
    may send it as off, never as on)."""
    if new_tickets and not user.is_staff:
        raise ValidationFailed({"notify_new_tickets": _("New-ticket mail is for staff only.")})
    before = _notifications(user)
    user.notify_replies, user.notify_alerts = bool(replies), bool(alerts)
    if new_tickets is not None:
        user.notify_new_tickets = bool(new_tickets)
    after = _notifications(user)
    if after != before:
        audit.record(user, "user.notifications", "user", user.id, before, after)
    db.session.flush()
    return user


def set_language(user: User, language: str | None) -> User:
    """The language of this user's pages and mail; None follows the browser."""
    if language is not None and language not in LANGUAGES:
        raise ValidationFailed({"language": _("Choose English, Polish or German.")})
    if user.language != language:
        before, user.language = {"language": user.language}, language
        audit.record(user, "user.language", "user", user.id, before, {"language": language})
    db.session.flush()
    return user


def _notifications(user: User) -> dict[str, bool]:
    """The user's mail choices, as the audit log keeps them."""
    return {
        "notify_replies": user.notify_replies,
        "notify_alerts": user.notify_alerts,
        "notify_new_tickets": user.notify_new_tickets,
    }


def set_user_active(actor: User, user: User, active: bool) -> list[ApiToken]:
    """Disable or enable a login; disabling ends the user's sessions and revokes their API
    tokens for good, so a leaked token stays dead when the user is enabled again.

    Returns the tokens it revoked.
    """
    if user.id == actor.id and not active:
        raise ValidationFailed({"active": _("You cannot disable your own account.")})
    if user.active == active:
        return []
    if not active and _is_last_active_admin(user):
        raise ValidationFailed({"active": _("This is the last active admin; it stays enabled.")})
    before = {"active": user.active}
    user.active = active
    end_all_sessions(user)
    if active:
        audit.record(actor, "user.enable", "user", user.id, before, {"active": True})
        return []
    revoked = revoke_user_tokens(user, actor)
    after = {"active": False, "api_tokens_revoked": len(revoked)}
    audit.record(actor, "user.disable", "user", user.id, before, after)
    return revoked
