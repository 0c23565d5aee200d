"""The monthly close: SPEC.md's worked example, derived cases, exactly-once, all-or-nothing."""

import threading
from datetime import date
from decimal import Decimal

import pytest

from portal.database import write_intent
from portal.extensions import db
from portal.models import (
    BillableItem,
    BillingPeriod,
    Invoice,
    InvoiceLine,
    OutboxMessage,
    PlanPrice,
    UsageRecord,
)
from portal.services.billing import close as billing
from portal.services.billing import invoices as invoices_service
from portal.services.billing.close import PeriodNotEnded, close_period, due_periods, preview_period
from portal.services.billing.invoices import (
    InvalidTransition,
    cancel_invoice,
    invoice_uninvoiced,
)
from portal.services.billing.payments import mark_paid
from portal.services.billing.periods import period_of
from portal.services.errors import ValidationFailed
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import (
    count,
    empty_all_tables,
    last_month_day,
    last_month_start,
    statements_run,
    this_month_start,
)


@pytest.fixture
def acme(f):
    """SPEC.md's worked example: Warsaw, Standard (10 h, EUR 200/60, prorating), ACME from 09-11."""
    save_settings({"business_timezone": "Europe/Warsaw"})
    db.session.commit()
    client = f.client("ACME", currency_code="EUR")
    plan = f.plan("Standard", hours=10, prices={"EUR": ("200.00", "60.00")}, prorate=True)
    subscription = f.subscription(client, plan, date(2026, 9, 11))
    return {
        "client": client,
        "plan": plan,
        "sub": subscription,
        "ticket": f.ticket(client),
        "operator": f.user("operator"),
    }


def log(ctx, minutes, day, billable=True, ticket=None):
    """Log time through the service and commit."""
    entry = log_time(
        ticket or ctx["ticket"], ctx["operator"], TimeInput(minutes, day, "", billable)
    )
    db.session.commit()
    return entry


def amounts(result) -> dict[str, Decimal]:
    """Items of a close by kind."""
    return {item.kind: item.amount for item in result.items}


def test_worked_example_september(acme):
    log(acme, 255, date(2026, 9, 14))  # 4.25 h
    log(acme, 210, date(2026, 9, 22))  # 3.50 h
    log(acme, 60, date(2026, 9, 23), billable=False)  # 1.00 h, not billable
    result = close_period("2026-09")
    db.session.commit()
    assert amounts(result) == {"package_fee": Decimal("133.33"), "overtime": Decimal("60.00")}
    overtime = next(i for i in result.items if i.kind == "overtime")
    assert (overtime.minutes, overtime.unit_rate) == (60, Decimal("60.00"))
    usage = db.session.scalar(db.select(UsageRecord))
    assert (usage.included_minutes, usage.used_minutes, usage.overtime_minutes) == (405, 465, 60)
    [invoice] = result.invoices
    assert invoice.total == Decimal("193.33")
    assert len(invoice.lines) == 2
    assert [line.position for line in invoice.lines] == [1, 2]
    assert invoice.status == "Unpaid"


def test_worked_example_october(acme):
    for day, minutes in [(1, 300), (15, 300), (30, 165)]:  # 12.75 h
        log(acme, minutes, date(2026, 10, day))
    result = close_period("2026-10")
    db.session.commit()
    assert amounts(result) == {"package_fee": Decimal("200.00"), "overtime": Decimal("165.00")}
    assert result.invoices[0].total == Decimal("365.00")


CASES = [
    # model, hours, prorate, fee, rate, currency (places), start, period, used minutes,
    # expected {kind: amount}
    pytest.param(
        "package",
        10,
        True,
        "200.00",
        "60.00",
        ("EUR", 2),
        date(2024, 2, 15),
        "2024-02",
        0,
        {"package_fee": "103.45"},
        id="leap-february-15-of-29-days",
    ),
    pytest.param(
        "package",
        10,
        True,
        "310.00",
        "60.00",
        ("EUR", 2),
        date(2026, 8, 31),
        "2026-08",
        15,
        {"package_fee": "10.00"},
        id="31-day-month-one-day",
    ),
    pytest.param(
        "package",
        10,
        True,
        "100.00",
        "60.00",
        ("EUR", 2),
        date(2026, 9, 11),
        "2026-09",
        0,
        {"package_fee": "66.67"},
        id="fee-rounds-half-up",
    ),
    pytest.param(
        "package",
        1,
        True,
        "0.00",
        "10.00",
        ("EUR", 2),
        date(2026, 9, 16),
        "2026-09",
        45,
        {"overtime": "2.50"},
        id="included-30-of-60-rounds-to-30-quarter",
    ),
    pytest.param(
        "package",
        10,
        True,
        "1000",
        "5000",
        ("JPY", 0),
        date(2026, 9, 11),
        "2026-09",
        420,
        {"package_fee": "667", "overtime": "1250"},
        id="zero-decimals-currency",
    ),
    pytest.param(
        "hourly",
        0,
        True,
        "0",
        "75.00",
        ("EUR", 2),
        date(2026, 9, 20),
        "2026-09",
        135,
        {"hourly": "168.75"},
        id="hourly-plan-no-proration",
    ),
    pytest.param(
        "package",
        10,
        False,
        "200.00",
        "60.00",
        ("EUR", 2),
        date(2026, 9, 11),
        "2026-09",
        660,
        {"package_fee": "200.00", "overtime": "60.00"},
        id="non-prorating",
    ),
    pytest.param(
        "package",
        10,
        True,
        "200.00",
        "0.10",
        ("EUR", 2),
        date(2026, 9, 1),
        "2026-09",
        615,
        {"package_fee": "200.00", "overtime": "0.03"},
        id="overtime-half-up-0.025",
    ),
    pytest.param(
        "hourly",
        0,
        True,
        "0",
        "0.00",
        ("EUR", 2),
        date(2026, 9, 1),
        "2026-09",
        60,
        {},
        id="zero-amount-lines-omitted",
    ),
]


@pytest.mark.parametrize(
    ("model", "hours", "prorate", "fee", "rate", "currency", "start", "period", "used", "expected"),
    CASES,
)
def test_close_cases(f, model, hours, prorate, fee, rate, currency, start, period, used, expected):
    code, places = currency
    f.currency(code, decimals=places)
    client = f.client(currency_code=code)
    plan = f.plan(model=model, hours=hours, prorate=prorate, prices={code: (fee, rate)})
    sub = f.subscription(client, plan, start)
    ticket, operator = f.ticket(client), f.user("operator")
    remaining, day = used, start
    while remaining:  # several entries, at most 24 h each
        chunk = min(remaining, 1440)
        log_time(ticket, operator, TimeInput(chunk, day))
        remaining -= chunk
    db.session.commit()
    result = close_period(period)
    db.session.commit()
    assert {i.kind: i.amount for i in result.items} == {k: Decimal(v) for k, v in expected.items()}
    assert all(i.subscription_id == sub.id for i in result.items)


def test_price_change_after_subscribing_leaves_the_bill_unchanged(acme):
    price = db.session.scalar(db.select(PlanPrice))
    price.fee, price.rate = Decimal("999.00"), Decimal("999.00")
    db.session.commit()
    log(acme, 465, date(2026, 9, 14))
    result = close_period("2026-09")
    assert amounts(result) == {"package_fee": Decimal("133.33"), "overtime": Decimal("60.00")}


def test_subscription_that_ended_last_month_is_not_billed(acme, f):
    acme["sub"].end_date = date(2026, 9, 30)
    db.session.commit()
    result = close_period("2026-10")
    assert result.items == [] and result.invoices == []


def test_subscription_ending_inside_the_month_is_billed_in_full(acme):
    acme["sub"].start_date, acme["sub"].end_date = date(2026, 8, 1), date(2026, 10, 10)
    db.session.commit()
    assert amounts(close_period("2026-10")) == {"package_fee": Decimal("200.00")}


def test_untracked_tickets_and_non_billable_time_are_ignored(acme, f):
    untracked = f.ticket(acme["client"])
    log(acme, 600, date(2026, 10, 2), ticket=untracked)
    log(acme, 600, date(2026, 10, 3), billable=False)
    untracked.time_tracking = False
    db.session.commit()
    assert amounts(close_period("2026-10")) == {"package_fee": Decimal("200.00")}


def test_closing_twice_changes_nothing_and_says_so(acme):
    log(acme, 465, date(2026, 9, 14))
    first = close_period("2026-09")
    db.session.commit()
    items = [(i.id, i.kind, i.amount) for i in first.items]  # read before the second close
    invoices = [(i.id, i.number, i.total) for i in first.invoices]
    second = close_period("2026-09")
    db.session.commit()
    assert (first.already_closed, second.already_closed) == (False, True)
    assert (second.item_count, second.invoice_count) == (first.item_count, first.invoice_count)
    assert [(i.id, i.kind, i.amount) for i in second.items] == items
    assert [(i.id, i.number, i.total) for i in second.invoices] == invoices
    assert (count(BillableItem), count(Invoice), count(BillingPeriod)) == (2, 1, 1)


@pytest.mark.parametrize("which", ["current", "future"])
def test_current_and_future_months_are_refused(acme, which):
    period = this_month_start().strftime("%Y-%m") if which == "current" else "2099-01"
    with pytest.raises(PeriodNotEnded):
        close_period(period)
    db.session.rollback()
    assert count(BillingPeriod) == 0


@pytest.mark.parametrize("bad", ["2026-13", "2026-9", "26-09", "", "abcd-ef", None, "1999-12"])
def test_malformed_periods_are_refused(app, bad):
    with pytest.raises(ValidationFailed):
        close_period(bad)


def test_failure_mid_close_leaves_nothing_behind(acme, monkeypatch):
    log(acme, 465, date(2026, 9, 14))

    real_insert = invoices_service.bulk_insert

    def explode_at_lines(model, rows):
        # Usage, invoices and items are written by now; the invoice lines fail.
        if model is InvoiceLine:
            raise RuntimeError("disk full")
        real_insert(model, rows)

    monkeypatch.setattr(invoices_service, "bulk_insert", explode_at_lines)
    with pytest.raises(RuntimeError):
        close_period("2026-09")
    db.session.rollback()
    assert (count(BillingPeriod), count(BillableItem), count(UsageRecord), count(Invoice)) == (
        0,
        0,
        0,
        0,
    )
    monkeypatch.undo()
    assert close_period("2026-09").already_closed is False  # the re-run succeeds
    db.session.commit()
    assert count(Invoice) == 1


def test_invoice_numbers_are_gapless_across_closes(f, acme):
    other = f.client("Beta", currency_code="EUR")
    f.subscription(other, acme["plan"], date(2026, 8, 1))
    for period in ("2026-08", "2026-09", "2026-10"):
        close_period(period)
        db.session.commit()
    numbers = list(db.session.scalars(db.select(Invoice.number).order_by(Invoice.id)))
    seqs = [int(n.rsplit("/", 1)[1]) for n in numbers]
    assert seqs == list(range(1, len(numbers) + 1)) and len(numbers) == 5
    issue = db.session.scalar(db.select(Invoice.issue_date))
    assert numbers[0] == f"{issue:%Y}/{issue:%m}/0001"


def test_rolled_back_close_gives_its_numbers_back(acme, monkeypatch):
    def explode(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(billing.audit, "record", explode)
    with pytest.raises(RuntimeError):
        close_period("2026-09")
    db.session.rollback()
    monkeypatch.undo()
    [invoice] = close_period("2026-09").invoices
    assert invoice.number.endswith("/0001")


def test_invoice_on_close_off_leaves_items_uninvoiced_until_an_admin_invoices(acme, f):
    save_settings({"invoice_on_close": False})
    log(acme, 465, date(2026, 9, 14))
    result = close_period("2026-09")
    db.session.commit()
    assert result.invoices == [] and all(i.invoice_id is None for i in result.items)
    invoices = invoice_uninvoiced(f.user("admin"))
    db.session.commit()
    assert [inv.total for inv in invoices] == [Decimal("193.33")]
    assert count(InvoiceLine) == 2 and invoice_uninvoiced(None) == []


def test_invoice_transitions(acme, f):
    admin = f.user("admin")
    [invoice] = close_period("2026-09").invoices
    mark_paid(invoice, admin)
    assert invoice.status == "Paid" and invoice.paid_date is not None
    with pytest.raises(InvalidTransition):
        cancel_invoice(invoice, admin)
    with pytest.raises(InvalidTransition):
        mark_paid(invoice, admin)


def test_preview_writes_nothing_and_matches_the_close(acme):
    log(acme, 465, date(2026, 9, 14))
    already, rows = preview_period("2026-09")
    db.session.commit()
    assert already is False
    assert (count(BillingPeriod), count(BillableItem)) == (0, 0)
    assert {r["kind"]: r["amount"] for r in rows} == amounts(close_period("2026-09"))


def test_due_periods_are_the_past_open_months_oldest_first(acme):
    due = due_periods()
    assert due[0] == "2026-09" and due[-1] == last_month_start().strftime("%Y-%m")
    assert due == sorted(due)
    close_period("2026-09")
    db.session.commit()
    assert "2026-09" not in due_periods()


def test_concurrent_closes_bill_once(acme, app):
    log(acme, 465, date(2026, 9, 14))
    db.session.commit()
    results, errors, barrier = [], [], threading.Barrier(6)

    def closer():
        with app.app_context(), write_intent():
            barrier.wait()
            try:
                results.append(close_period("2026-09").already_closed)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                db.session.rollback()
                errors.append(exc)

    threads = [threading.Thread(target=closer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert sorted(results) == [False, True, True, True, True, True]
    assert (count(BillingPeriod), count(BillableItem), count(Invoice)) == (1, 2, 1)


def test_mark_paid_works_before_settings_are_read(acme, f):
    from flask import g

    admin = f.user("admin")
    [invoice] = close_period("2026-09").invoices
    db.session.commit()
    g.pop("_portal_settings", None)  # as at the start of a request
    mark_paid(invoice, admin)
    db.session.commit()
    assert invoice.status == "Paid" and invoice.paid_date is not None


def _close_statements(f, clients: int) -> tuple[int, int]:
    """Statements the close runs through the engine for `clients` billed clients; items."""
    plan = f.plan(hours=1)
    operator = f.user("operator")
    for _ in range(clients):
        client = f.client()
        f.subscription(client, plan, last_month_start())
        ticket = f.ticket(client)
        for minutes in (60, 45):  # 1:45 on a 1 h package: a fee and overtime each
            log_time(ticket, operator, TimeInput(minutes, last_month_day(), "", True))
    db.session.commit()
    statements, result = statements_run(lambda: close_period(period_of(last_month_start())))
    db.session.commit()
    return statements, result.item_count


def test_the_close_runs_the_same_statements_for_3_or_15_clients(app, f):
    """Set-based: no statement per subscription, item or invoice (on PostgreSQL the bulk
    writes are COPY on the driver's cursor, one per table, outside this count)."""
    small, small_items = _close_statements(f, 3)
    empty_all_tables()
    large, large_items = _close_statements(f, 15)
    assert (small_items, large_items) == (6, 30)
    # One invoice mail per client, written inside the counted close.
    assert count(OutboxMessage, kind="invoice_issued") == 15
    assert small == large
    assert large <= 25
