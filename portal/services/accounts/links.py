"""Signed account links (password reset, invitation): no table, nothing to clean up.

A link carries the user id and a fingerprint of the account's password hash and session
version, signed with the app's secret and a salt per purpose, and timed. Choosing a password
through it changes the hash, so the link works once; any other password change, a logout
everywhere or a resent invitation bumps one of the two and ends it too.
"""

import hashlib
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.i18n import N_
from portal.models import User

# A link longer than this was not made here; refused before any work is done.
TOKEN_MAX_LENGTH = 300


@dataclass(frozen=True)
class LinkPurpose:
    """What a link is for: its salt (a reset link is no invitation) and how long it lives."""

    salt: str
    max_age_seconds: int
    name: str


PASSWORD_RESET = LinkPurpose("portal.password-reset", 60 * 60, "password reset")
INVITATION = LinkPurpose("portal.invitation", 7 * 24 * 60 * 60, "invitation")


USED = N_("This link was already used or has been replaced.")


class LinkInvalid(Exception):
    """The link was used, has expired, or was never made here. Not a DomainError: pages
    answer it with their own page, not as a message on a form."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _serializer(purpose: LinkPurpose) -> URLSafeTimedSerializer:
    """A serializer signing with the app's secret, salted per purpose."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=purpose.salt)


def fingerprint(user: User) -> str:
    """A short digest of what a password change or a logout everywhere changes."""
    state = f"{user.id}:{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(state).hexdigest()[:24]


def make_link_token(user: User, purpose: LinkPurpose) -> str:
    """A signed, timed token for `user`'s current state."""
    return _serializer(purpose).dumps([user.id, fingerprint(user)])


def user_for_link(token: str, purpose: LinkPurpose) -> User:
    """The active user a still-valid link was made for; LinkInvalid otherwise."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise LinkInvalid(_("This link is not valid."))
    try:
        payload = _serializer(purpose).loads(token, max_age=purpose.max_age_seconds)
    except SignatureExpired as exc:
        raise LinkInvalid(_("This link has expired.")) from exc
    except BadSignature as exc:  # forged, altered, cut short, or made for another purpose
        raise LinkInvalid(_("This link is not valid.")) from exc
    if (
        not isinstance(payload, list)
        or len(payload) != 2
        or not isinstance(payload[0], int)
        or isinstance(payload[0], bool)
    ):
        raise LinkInvalid(_("This link is not valid."))
    user = db.session.get(User, payload[0])
    if user is None or not user.active or payload[1] != fingerprint(user):
        raise LinkInvalid(_(USED))
    return user
