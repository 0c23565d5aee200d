"""`flask close-month` and the scheduled close."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from portal import jobs
from portal.extensions import db
from portal.models import BillableItem, BillingPeriod, Invoice
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import count, last_month_start, this_month_start


@pytest.fixture
def acme(f):
    """ACME on Standard since 2026-09-11 (Warsaw), 7.75 h billable in September."""
    save_settings({"business_timezone": "Europe/Warsaw"})
    client = f.client("ACME")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    f.subscription(client, plan, date(2026, 9, 11))
    ticket, operator = f.ticket(client), f.user("operator")
    log_time(ticket, operator, TimeInput(465, date(2026, 9, 14)))
    db.session.commit()
    return client


def test_close_month_twice_yields_one_invoice(runner, acme):
    first = runner.invoke(args=["close-month", "2026-09"])
    second = runner.invoke(args=["close-month", "2026-09"])
    assert (first.exit_code, second.exit_code) == (0, 0)
    assert "2026-09 closed: 2 item(s), 1 invoice(s)." in first.output
    assert "€133.33" in first.output and "€60.00" in first.output
    assert "2026-09 was already closed" in second.output
    assert (count(Invoice), count(BillableItem)) == (1, 2)
    assert db.session.scalar(db.select(Invoice.total)) == Decimal("193.33")


def test_dry_run_writes_nothing(runner, acme):
    result = runner.invoke(args=["close-month", "2026-09", "--dry-run"])
    assert result.exit_code == 0
    assert "a close would create 2 item(s)" in result.output and "€133.33" in result.output
    assert (count(BillingPeriod), count(BillableItem), count(Invoice)) == (0, 0, 0)


@pytest.mark.parametrize(
    ("period", "message"),
    [("current", "has not ended yet"), ("2026-13", "YYYY-MM"), ("sept", "YYYY-MM")],
)
def test_close_month_refuses_with_exit_1(runner, acme, period, message):
    if period == "current":
        period = this_month_start().strftime("%Y-%m")
    result = runner.invoke(args=["close-month", period])
    assert result.exit_code == 1
    assert message in result.output
    assert count(BillingPeriod) == 0


def test_scheduled_job_closes_every_past_open_month_oldest_first(app, acme):
    closed = jobs.close_past_months(app)
    last = last_month_start().strftime("%Y-%m")
    assert closed[0] == "2026-09" and closed[-1] == last and closed == sorted(closed)
    assert jobs.close_past_months(app) == []  # the next run finds nothing to do
    periods = list(db.session.scalars(db.select(BillingPeriod.period)))
    assert sorted(periods) == closed
    assert count(Invoice) == len(closed)  # one invoice per closed month for ACME


def test_job_is_daily_at_0005_in_business_time_zone(app, acme):
    db.session.commit()
    scheduler = BackgroundScheduler()
    jobs.add_close_job(scheduler, app)
    job = scheduler.get_job(jobs.JOB_ID)
    assert job.coalesce is True and job.max_instances == 1
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("0", "5")
    assert str(job.trigger.timezone) == "Europe/Warsaw"
    assert job.next_run_time is not None  # runs at start too: catch-up after downtime


def test_reminder_job_is_daily_at_0800_in_business_time_zone_and_at_start(app, acme):
    db.session.commit()
    scheduler = BackgroundScheduler()
    jobs.add_reminder_job(scheduler, app)
    job = scheduler.get_job(jobs.REMINDER_JOB_ID)
    assert job.coalesce is True and job.max_instances == 1
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("8", "0")
    assert str(job.trigger.timezone) == "Europe/Warsaw"
    assert job.next_run_time is not None


def test_mail_job_sends_every_few_seconds_never_two_at_once(app):
    scheduler = BackgroundScheduler()
    jobs.add_mail_job(scheduler, app)
    job = scheduler.get_job(jobs.MAIL_JOB_ID)
    assert job.coalesce is True and job.max_instances == 1
    assert job.trigger.interval.total_seconds() == jobs.MAIL_INTERVAL_SECONDS


def test_in_process_scheduler_starts_once_and_not_in_the_reloader_watcher(app, monkeypatch):
    ran = threading.Event()
    monkeypatch.setattr(jobs, "close_past_months", lambda _app: ran.set())
    monkeypatch.setattr(jobs, "send_mail", lambda _app: 0)  # no sender thread on the test DB
    monkeypatch.setattr(jobs, "send_reminders", lambda _app: 0)
    monkeypatch.setattr(jobs, "_started", None)
    app.debug = True
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert jobs.start_in_process(app) is None  # the watcher process
    app.debug = False
    first = jobs.start_in_process(app)
    try:
        assert first is not None and first.running
        assert jobs.start_in_process(app) is first
        assert ran.wait(10)  # the catch-up run at start
    finally:
        first.shutdown(wait=True)
        monkeypatch.setattr(jobs, "_started", None)
