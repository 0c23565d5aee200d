"""Delivering the outbox: claim due messages, send them over one connection, record each.

A sender claims a batch in one short transaction — on PostgreSQL with `FOR UPDATE SKIP
LOCKED`, so several senders take different rows — by moving the messages' next attempt a
lease ahead. It then sends them one by one and records each result in its own short
transaction. A sender that dies mid-batch leaves its unrecorded messages to be taken again
when the lease runs out: a message may then be delivered twice, always with the same
Message-ID, and never lost. A sender stops taking messages from its batch once half the
lease has passed and gives the rest back, so a slow batch (PDFs, a slow server) never runs
past its lease into another sender's claim; a failure is only recorded on a message still
queued, so a late record never undoes another sender's.

Failures: a temporary one (no connection, a 4xx answer, anything else that goes wrong with
one message) retries after 1, 5, 30, 120 and 720 minutes, then the message is `failed`; a
permanent one (a 5xx answer) fails at once. Either way the last error is kept and an admin
can retry it.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from portal.extensions import db
from portal.formatting import value_label
from portal.models import MailStatus, OutboxMessage
from portal.models.types import utcnow
from portal.services.errors import DomainError
from portal.services.mail.compose import build
from portal.services.mail.transport import (
    ConnectionFailure,
    PermanentFailure,
    TemporaryFailure,
    open_transport,
)
from portal.transaction import unit_of_work

RETRY_MINUTES = (1, 5, 30, 120, 720)
# Messages not tried because the connection failed wait this long; untried for lack of
# time, none.
CONNECTION_PAUSE = timedelta(minutes=1)
# The share of the lease a batch may use before it gives back what it has not sent.
LEASE_BUDGET = 0.5
log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What one run of the sender did."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    @property
    def handled(self) -> int:
        """Messages this run took."""
        return len(self.sent) + len(self.retrying) + len(self.failed)


def claim_due(limit: int) -> list[int]:
    """Take up to `limit` due messages for this sender (a lease) and return their ids."""
    lease = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"])
    with unit_of_work():
        now = utcnow()
        query = (
            db.select(OutboxMessage.id)
            .where(OutboxMessage.status == MailStatus.QUEUED, OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
        if db.engine.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(query))
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(next_attempt_at=now + lease)
            )
    return ids


def deliver_batch(limit: int | None = None) -> Delivery:
    """Claim one batch and deliver it over one connection of the configured transport."""
    ids = claim_due(limit or current_app.config["MAIL_BATCH_SIZE"])
    result = Delivery()
    if not ids:
        return result
    budget = timedelta(seconds=current_app.config["MAIL_LEASE_SECONDS"] * LEASE_BUDGET)
    deadline = utcnow() + budget
    with open_transport() as transport:
        for position, message_id in enumerate(ids):
            if utcnow() >= deadline:
                _release(ids[position:], timedelta(0))  # due again at once, for anyone
                break
            row = db.session.get(OutboxMessage, message_id)
            try:
                transport.send(build(row), name=str(row.id))
            except PermanentFailure as exc:
                _record_failure(row.id, str(exc), permanent=True, result=result)
            except TemporaryFailure as exc:
                _record_failure(row.id, str(exc), permanent=False, result=result)
                if isinstance(exc, ConnectionFailure):
                    _release(ids[position + 1 :], CONNECTION_PAUSE)  # the rest wait a try
                    break
            except (ValueError, TypeError) as exc:  # a message the email package refuses
                _record_failure(row.id, f"cannot build the message: {exc}", True, result)
            except Exception as exc:  # one message must not stop the others
                # A document that would not render, a folder that would not take a file:
                # counted like a refusal for now, so it ends `failed` instead of coming back
                # every lease and holding up its batch.
                log.exception("mail %s could not be sent", message_id)
                _record_failure(row.id, f"cannot send: {exc!r}"[:2000], False, result)
            else:
                _record_sent(row.id, result)
            db.session.expire_all()
    return result


def deliver_due() -> Delivery:
    """Deliver batches until nothing is due (what `flask send-mail --once` does)."""
    total = Delivery()
    while True:
        batch = deliver_batch()
        total.sent += batch.sent
        total.retrying += batch.retrying
        total.failed += batch.failed
        if not batch.handled:
            return total


def _record_sent(message_id: int, result: Delivery) -> None:
    with unit_of_work():
        now = utcnow()
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                status=MailStatus.SENT,
                sent_at=now,
                attempts=OutboxMessage.attempts + 1,
                last_error=None,
            )
        )
    result.sent.append(message_id)


def _record_failure(message_id: int, error: str, permanent: bool, result: Delivery) -> None:
    """Count the attempt; schedule the next one, or fail the message for good."""
    with unit_of_work():
        row = db.session.get(OutboxMessage, message_id)
        if row is None or row.status != MailStatus.QUEUED:
            return  # recorded meanwhile (a sender that took it after our lease): theirs stands
        row.attempts += 1
        row.last_error = error[:2000]
        if permanent or row.attempts > len(RETRY_MINUTES):
            row.status = MailStatus.FAILED
            result.failed.append(message_id)
            log.warning("mail %s failed for good: %s", message_id, error)
        else:
            row.next_attempt_at = utcnow() + timedelta(minutes=RETRY_MINUTES[row.attempts - 1])
            result.retrying.append(message_id)
            log.info("mail %s not sent (attempt %s), retrying: %s", message_id, row.attempts, error)


def _release(ids: list[int], pause: timedelta) -> None:
    """Give back claimed messages that were not tried, due again after `pause`."""
    if not ids:
        return
    with unit_of_work():
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.status == MailStatus.QUEUED)
            .values(next_attempt_at=utcnow() + pause)
        )


class NotRetryable(DomainError):
    """Only a failed message can be retried: any other is on its way or already sent."""

    code = "invalid_transition"
    status = 409

    def __init__(self, message: OutboxMessage):
        super().__init__(
            _(
                "This message is %(status)s; only a failed message can be retried.",
                status=value_label(message.status),
            ),
            field="status",
        )


def retry(message: OutboxMessage) -> None:
    """An admin sends a failed message again: queued now, its back-off started afresh."""
    if message.status != MailStatus.FAILED:
        raise NotRetryable(message)
    message.status = MailStatus.QUEUED
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.flush()
