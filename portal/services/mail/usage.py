"""Usage alerts of SPEC "Mail": the first billable entry that takes a subscription's used
hours of a month to 80 % and to 100 % of what it has for the month writes `usage_80` or
`usage_100`, once per subscription, month and threshold (`usage:<id>:<YYYY-MM>:80`)."""

from datetime import date

from flask_babel import gettext as _

from portal.extensions import db
from portal.formatting import format_money
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, document_language, speaking
from portal.models import MailKind, OutboxMessage, Role, Subscription, User
from portal.services.billing.ledger import bill_months
from portal.services.billing.periods import hold_subscription, month_name, period_of
from portal.services.mail.outbox import portal_url, queue_mail

USAGE_THRESHOLDS = ((100, MailKind.USAGE_100.value), (80, MailKind.USAGE_80.value))


def tell_usage(subscription_id: int | None, work_date: date) -> int:
    """After billable time was added: the 80 % and 100 % alerts of the subscription's month
    that its used hours have reached and that do not exist yet.

    "What it has for the month" is the close's own figure (bill_months: included hours
    prorated in a first month, carry-over available, the blocks' balance going in); with
    none of these (hourly plans) there is no alert.
    The client's billing emails and its users who want alerts get one message, the admins
    who want alerts another (their own wording and no client addresses in their To).
    """
    if subscription_id is None:
        return 0
    hold_subscription(subscription_id)  # concurrent entries decide one after the other
    period = period_of(work_date)
    keys = {
        percent: f"usage:{subscription_id}:{period}:{percent}"
        for percent, _kind in USAGE_THRESHOLDS
    }
    sent = set(
        db.session.scalars(
            db.select(OutboxMessage.event_key).where(OutboxMessage.event_key.in_(keys.values()))
        )
    )
    if keys[100] in sent:
        return 0  # the last alert is out: no arithmetic for the rest of the month
    subscription = db.session.get(Subscription, subscription_id)
    months = bill_months([period], subscription_ids=[subscription_id])[period]
    bill = months[0].bill
    if bill.available_minutes <= 0:
        return 0
    reached = next(
        (
            (percent, kind)
            for percent, kind in USAGE_THRESHOLDS
            if bill.used_minutes * 100 >= bill.available_minutes * percent
        ),
        None,
    )
    if reached is None or keys[reached[0]] in sent:
        return 0
    # Only the highest threshold reached: one entry that jumps past both says 100 %, not
    # 80 % and 100 % at once; the 80 % key is still free for nobody to write later.
    percent, kind = reached
    return _queue_usage(subscription, period, percent, kind, keys[percent], bill)


def _queue_usage(subscription, period, percent, kind, key, bill) -> int:
    """The client's message and the admins' message of one threshold, each in its readers'
    language: the client's billing emails and its users who speak the client's language
    (or have chosen none) share the message `key`; a user who chose another language gets
    `key:<language>`; the admins get `key:staff` (English) or `key:staff:<language>`."""
    client = subscription.client
    client_language = document_language(client.language)
    users = db.session.execute(
        db.select(User.email, User.language).where(
            User.client_id == client.id, User.active.is_(True), User.notify_alerts.is_(True)
        )
    )
    readers = {client_language: list(client.invoice_emails)}
    for email, language in users:
        language = language if language in LANGUAGES else client_language
        readers.setdefault(language, []).append(email)
    written = 0
    for language, emails in sorted(readers.items()):
        with speaking(language):
            written += queue_mail(
                kind,
                key if language == client_language else f"{key}:{language}",
                emails,
                _usage_subject(client, percent, period),
                "usage_alert",
                client_id=client.id,
                staff=False,
                link=portal_url("client.usage"),
                **_usage_context(subscription, period, percent, bill),
            )
    admins = db.session.execute(
        db.select(User.email, User.language).where(
            User.role == Role.ADMIN, User.active.is_(True), User.notify_alerts.is_(True)
        )
    )
    staff: dict[str, list[str]] = {}
    for email, language in admins:
        staff.setdefault(document_language(language), []).append(email)
    for language, emails in sorted(staff.items()):
        with speaking(language):
            written += queue_mail(
                kind,
                f"{key}:staff" if language == DEFAULT_LANGUAGE else f"{key}:staff:{language}",
                emails,
                _usage_subject(client, percent, period),
                "usage_alert",
                client_id=client.id,
                to_staff=True,
                staff=True,
                link=portal_url("admin.client", client_id=client.id),
                **_usage_context(subscription, period, percent, bill),
            )
    return written


def _usage_subject(client, percent: int, period: str) -> str:
    """The alert's subject, in the language being spoken."""
    return _(
        "%(client)s has used %(percent)s %% of its support hours for %(month)s",
        client=client.name,
        percent=percent,
        month=month_name(period),
    )


def _usage_context(subscription, period: str, percent: int, bill) -> dict:
    """What the alert's templates show, in the language being spoken."""
    return {
        "percent": percent,
        "client_name": subscription.client.name,
        "plan_name": subscription.plan.name,
        "month": month_name(period),
        "used_minutes": bill.used_minutes,
        "available_minutes": bill.available_minutes,
        "overtime_rate": format_money(subscription.rate, subscription.currency),
        "account_url": portal_url("auth.change_password"),
    }
