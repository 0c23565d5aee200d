"""API tokens: issue (shown once), look up by digest, revoke; each issue and revoke is audited."""

import hashlib
import secrets

from flask_babel import ngettext

from portal.extensions import db
from portal.models import ApiToken, User
from portal.models.types import utcnow
from portal.services import audit
from portal.services.errors import ValidationFailed
from portal.services.text import text_problem

TOKEN_PREFIX = "shp_"  # noqa: S105 - a public marker, not a secret
LABEL_MAX = 100


def _digest(token: str) -> str:
    """SHA-256 hex digest; tokens are long random strings, so no salt or slow hash is needed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_api_token(user: User, name: str = "", actor=None) -> tuple[ApiToken, str]:
    """Issue a token for `user`; returns the row and the plain token (never stored).

    `actor` is who asked for it: an admin on the tokens page, None (the system) from the CLI.
    """
    name = (name or "").strip()
    if len(name) > LABEL_MAX:
        raise ValidationFailed(
            {
                "name": ngettext(
                    "Keep the label to %(num)d character or fewer.",
                    "Keep the label to %(num)d characters or fewer.",
                    LABEL_MAX,
                )
            }
        )
    if problem := text_problem(name):
        raise ValidationFailed({"name": problem})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(plain), prefix=plain[:10])
    db.session.add(token)
    db.session.flush()
    after = {"user": user.email, "name": token.name}
    audit.record(actor, "api_token.create", "api_token", token.id, after=after)
    return token, plain


def find_token_user(plain: str) -> User | None:
    """The active user behind a valid, unrevoked token, or None."""
    if not plain or len(plain) > 200:
        return None
    token = db.session.scalar(db.select(ApiToken).filter_by(token_hash=_digest(plain)))
    if token is None or token.is_revoked or not token.user.active:
        return None
    return token.user


def revoke_api_token(token: ApiToken, actor=None, reason: str | None = None) -> None:
    """Revoke a token; requests with it get 401 from now on. `reason` names what caused it."""
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    db.session.flush()
    after = {"reason": reason} if reason else None
    audit.record(actor, "api_token.revoke", "api_token", token.id, after=after)


def revoke_user_tokens(user: User, actor=None) -> list[ApiToken]:
    """Revoke every live token of `user` for good, as disabling the user does; returns them."""
    live = db.session.scalars(
        db.select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in live:
        revoke_api_token(token, actor, reason="user.disable")
    return list(live)
