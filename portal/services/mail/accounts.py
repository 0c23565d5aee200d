"""The account messages of SPEC "Accounts": a password reset link, an invitation to choose a
password. Both always go (no preference switches them off) and carry a signed link."""

from flask_babel import gettext as _

from portal.i18n import person_language, speaking
from portal.models import MailKind, User
from portal.models.types import utcnow
from portal.services.accounts.links import INVITATION, PASSWORD_RESET, make_link_token
from portal.services.mail.outbox import portal_url, queue_mail


def reset_window() -> int:
    """The minute a reset request falls in: at most one reset mail a minute per user."""
    return int(utcnow().timestamp() // 60)


def mail_password_reset(user: User) -> bool:
    """Queue a reset link for `user`, one a minute at most: the key names the minute, so a
    burst of requests (even in parallel, which a rate limiter counts only afterwards) writes
    one message, and a request within the same minute finds its mail already on its way."""
    token = make_link_token(user, PASSWORD_RESET)
    with speaking(person_language(user)):
        return queue_mail(
            MailKind.PASSWORD_RESET,
            f"password_reset:{user.id}:{reset_window()}",
            [user.email],
            _("Reset your Support Hours Portal password"),
            "password_reset",
            client_id=user.client_id,
            user_id=user.id,
            recipient_name=user.name,
            reset_url=portal_url("auth.reset_password", token=token),
            forgot_url=portal_url("auth.forgot_password"),
            account_url=portal_url("auth.change_password"),
        )


def mail_invitation(user: User, inviter: User | None) -> bool:
    """Queue an invitation for `user`; the key names the session version, which a resend
    bumps, so each invitation (and only it) has its message."""
    token = make_link_token(user, INVITATION)
    with speaking(person_language(user)):
        return queue_mail(
            MailKind.INVITATION,
            f"invitation:{user.id}:{user.session_version}",
            [user.email],
            _("You are invited to the Support Hours Portal"),
            "invitation",
            client_id=user.client_id,
            user_id=user.id,
            recipient_name=user.name,
            inviter_name=inviter.name if inviter is not None else _("The support team"),
            client_name=user.client.name if user.client is not None else None,
            staff=user.is_staff,
            email=user.email,
            invitation_url=portal_url("auth.accept_invitation", token=token),
            forgot_url=portal_url("auth.forgot_password"),
            account_url=portal_url("auth.change_password"),
        )
