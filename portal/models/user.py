"""Users: admins, operators and client users."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models.client import Client
from portal.models.types import Choices, UTCDateTime, utcnow

# A password hash starting with this matches no password: set for invited users until they
# choose one through their invitation link ("!" locks a password in /etc/shadow too).
UNUSABLE_PASSWORD_PREFIX = "!"  # noqa: S105 - a marker, not a password


class Role(Choices):
    """What a user may do; see SPEC.md, "People and what each may do"."""

    ADMIN = "admin"
    OPERATOR = "operator"
    CLIENT = "client"


class User(UserMixin, db.Model):
    """A person who logs in; client users belong to exactly one client account."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'operator', 'client')", name="role_valid"),
        # Client users need a client; staff must not have one.
        CheckConstraint(
            "(role = 'client') = (client_id IS NOT NULL)", name="client_link_matches_role"
        ),
        CheckConstraint("time_format IN ('hm', 'decimal')", name="time_format_valid"),
        CheckConstraint(
            "language IS NULL OR language IN ('en', 'pl', 'de')", name="language_valid"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("client.id", ondelete="RESTRICT"), index=True
    )
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout-everywhere, password change or disabling: old sessions stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How hours are shown on pages: "hm" = 1:30, "decimal" = 1.50 (documents keep decimals).
    time_format: Mapped[str] = mapped_column(String(8), default="hm", server_default="hm")
    # The interface's language; None follows the browser's Accept-Language (portal/i18n.py).
    language: Mapped[str | None] = mapped_column(String(5))
    # Set when an admin chose a one-time password: the user picks their own at first login.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Optional mail (SPEC "Mail"): replies to one's tickets, usage alerts, new-ticket mail
    # for staff. Invoices, reminders and account mail always go.
    notify_replies: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    notify_alerts: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    notify_new_tickets: Mapped[bool] = mapped_column(default=False, server_default=sa_false())

    client: Mapped[Client | None] = relationship()

    @property
    def is_active(self) -> bool:
        """Flask-Login: disabled users cannot log in."""
        return self.active

    def get_id(self) -> str:
        """Flask-Login: the id together with the session version."""
        return f"{self.id}:{self.session_version}"

    @property
    def awaiting_password(self) -> bool:
        """True until the user chose their own password (invited, or given a one-time one)."""
        return self.must_change_password or self.password_hash.startswith(UNUSABLE_PASSWORD_PREFIX)

    @property
    def is_admin(self) -> bool:
        """True for admins."""
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """True for admins and operators."""
        return self.role in (Role.ADMIN, Role.OPERATOR)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"
