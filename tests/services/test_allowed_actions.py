"""What the pages offer is what the services allow: the predicates behind the buttons say
no exactly when the action itself refuses, with the same message."""

from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.models import Invoice
from portal.services import settings as settings_service
from portal.services.billing.invoices import allowed_moves, cancel_invoice
from portal.services.billing.one_off import add_one_off_item
from portal.services.billing.payments import mark_paid, record_payment
from portal.services.clients.subscriptions import (
    allowed_actions,
    cancel_refusal,
    cancel_subscription,
    reprice_refusal,
    reprice_subscription,
)
from portal.services.errors import DomainError
from portal.services.settings import business_today

# Today is 2026-01-10 (UTC) in every case below.
SUBSCRIPTIONS = [
    # start, end, what may be done
    (date(2025, 6, 1), None, {"cancel", "reprice"}),
    (date(2025, 6, 1), date(2026, 1, 31), {"reprice"}),  # already ends, still runs
    (date(2026, 1, 31), None, {"cancel", "reprice"}),  # starts later this month
    (date(2026, 2, 1), None, {"reprice"}),  # starts after this month
    (date(2026, 2, 1), date(2026, 3, 31), {"reprice"}),
    (date(2025, 6, 1), date(2026, 1, 10), {"reprice"}),  # ends today
    (date(2025, 6, 1), date(2026, 1, 9), set()),  # ended
]


@pytest.mark.parametrize(("start", "end", "allowed"), SUBSCRIPTIONS)
def test_subscription_actions_match_what_cancel_and_reprice_refuse(
    monkeypatch, f, start, end, allowed
):
    monkeypatch.setattr(settings_service, "utcnow", lambda: datetime(2026, 1, 10, 12, tzinfo=UTC))
    plan = f.plan("Standard", prices={"EUR": ("200", "60")})
    sub = f.subscription(f.client(currency_code="EUR"), plan, start)
    f.update(sub, end_date=end)
    assert allowed_actions(sub) == allowed
    for action, refusal, run in (
        ("cancel", cancel_refusal, cancel_subscription),
        ("reprice", reprice_refusal, reprice_subscription),
    ):
        assert (refusal(sub) is None) == (action in allowed)
        if action in allowed:
            continue
        with pytest.raises(DomainError) as exc:
            run(sub)
        assert exc.value.message == refusal(sub)
        db.session.rollback()


def _invoice(f, state: str) -> Invoice:
    """An invoice of 100.00 EUR (a one-off item invoiced at once), brought into `state`."""
    client, admin = f.client(), f.user("admin")
    values = {"description": "Server move", "quantity": "1", "unit_price": "100.00"}
    item = add_one_off_item(client, values | {"date": business_today()}, admin, invoice_now=True)
    invoice = db.session.get(Invoice, item.invoice_id)
    if state == "Paid":
        mark_paid(invoice, admin)
    elif state == "part-paid":
        payment = {"date": business_today(), "amount": "40.00", "method": "cash"}
        record_payment(invoice, admin, payment)
    elif state in ("Cancelled", "credit note"):
        cancel_invoice(invoice, admin)
        if state == "credit note":
            invoice = invoice.credit_note
    return invoice


@pytest.mark.parametrize(
    ("state", "moves"),
    [
        ("Unpaid", {"Paid", "Cancelled"}),
        ("part-paid", {"Paid"}),
        ("Paid", set()),
        ("Cancelled", set()),
        ("credit note", set()),
    ],
)
def test_invoice_moves_match_what_mark_paid_and_cancel_refuse(f, state, moves):
    invoice = _invoice(f, state)
    assert allowed_moves(invoice) == moves
    for target, move in (("Paid", mark_paid), ("Cancelled", cancel_invoice)):
        if target in moves:
            continue
        with pytest.raises(DomainError, match=f"it cannot become {target}"):
            move(invoice, None)
