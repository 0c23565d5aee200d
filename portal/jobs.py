"""The scheduled jobs: the close of every past open month, oldest first, the daily payment
reminders, and the sender."""

import logging
import os
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from portal.services.billing.close import close_period, due_periods
from portal.services.settings import business_tz
from portal.transaction import unit_of_work

JOB_ID = "close-past-months"
log = logging.getLogger(__name__)


def close_past_months(app: Flask) -> list[str]:
    """Close each past month still open, one transaction per month; returns those closed."""
    closed = []
    with app.app_context():
        for period in due_periods():
            try:
                with unit_of_work():
                    result = close_period(period)
            except Exception:
                log.exception("closing %s failed; it will be retried on the next run", period)
                break  # later months wait: they are closed oldest first
            if not result.already_closed:
                closed.append(period)
                log.info(
                    "closed %s: %d items, %d invoices",
                    period,
                    result.item_count,
                    result.invoice_count,
                )
    return closed


def add_close_job(scheduler: BaseScheduler, app: Flask) -> None:
    """Daily at 00:05 in the business time zone, and once right away (catch-up at start)."""
    _add_daily(scheduler, app, close_past_months, JOB_ID, "Close past months", (0, 5), 6)


def _add_daily(scheduler, app, job, job_id, name, at: tuple[int, int], grace_hours) -> None:
    """A job daily at `at` (hour, minute) in the business time zone, never two at once,
    and once at start: each job writes what is due once, so a catch-up repeats nothing."""
    with app.app_context():
        tz = business_tz()
    scheduler.add_job(
        job,
        CronTrigger(hour=at[0], minute=at[1], timezone=tz),
        args=[app],
        id=job_id,
        name=name,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=grace_hours * 3600,
        replace_existing=True,
        next_run_time=datetime.now(tz),
    )


REMINDER_JOB_ID = "payment-reminders"


def send_reminders(app: Flask) -> int:
    """Write today's payment reminders and overdue notices in one transaction."""
    from portal.services.mail.billing import queue_reminders

    with app.app_context():
        try:
            with unit_of_work():
                written = queue_reminders()
        except Exception:
            log.exception("writing reminders failed; the next run writes what is due then")
            return 0
        log.info("payment reminders: %s", written)
        return sum(written.values())


def add_reminder_job(scheduler: BaseScheduler, app: Flask) -> None:
    """Daily at 08:00 in the business time zone (mail in the morning), and once at start:
    a stage is written once per invoice, so a run after a restart repeats nothing."""
    _add_daily(scheduler, app, send_reminders, REMINDER_JOB_ID, "Payment reminders", (8, 0), 12)


MAIL_JOB_ID = "send-mail"
MAIL_INTERVAL_SECONDS = 5


def send_mail(app: Flask) -> int:
    """Deliver what the outbox has due; returns how many messages were taken."""
    from portal.services.mail.sender import deliver_due

    with app.app_context():
        try:
            return deliver_due().handled
        except Exception:
            log.exception("sending mail failed; the messages stay queued for the next run")
            return 0


def add_mail_job(scheduler: BaseScheduler, app: Flask) -> None:
    """The sender, every few seconds, never two at once in this process."""
    scheduler.add_job(
        send_mail,
        IntervalTrigger(seconds=MAIL_INTERVAL_SECONDS),
        args=[app],
        id=MAIL_JOB_ID,
        name="Send mail",
        coalesce=True,
        max_instances=1,
        replace_existing=True,
    )


_started: BackgroundScheduler | None = None


def start_in_process(app: Flask) -> BackgroundScheduler | None:
    """Run the job inside this process (the embedded `make run`), at most once per process.

    With the reloader, only the child that serves requests starts it, not the watcher.
    """
    global _started
    if _started is not None:
        return _started
    if app.debug and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return None  # the reloader's watcher process: its child will start the scheduler
    scheduler = BackgroundScheduler(daemon=True)
    add_close_job(scheduler, app)
    add_mail_job(scheduler, app)
    add_reminder_job(scheduler, app)
    scheduler.start()
    _started = scheduler
    return scheduler
