"""Invoices a business can send and book, over the API: taxes and totals (SPEC.md's worked
example), payments, credit notes, one-off items, and the 400/403/404/409 answers around them.

"Today" is set per test (the business clock), so the example's dates work on any real date.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from portal.extensions import db
from portal.models import BillableItem, Invoice, Payment
from portal.services import settings as settings_service
from portal.services.billing.close import close_period
from portal.services.settings import save_settings
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import bearer, count

API = "/api/v1"
REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)"
)


@pytest.fixture
def clock(monkeypatch):
    """Set the business "today" (noon UTC of the day given; Warsaw is the same day)."""

    def set_today(day: date) -> None:
        moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        monkeypatch.setattr(settings_service, "utcnow", lambda: moment)

    return set_today


@pytest.fixture
def admin(f):
    """An admin's Authorization header."""
    return bearer(f.api_token(f.user("admin")))


def post(client, url, headers, body=None):
    """POST JSON (or no body) to the API."""
    return client.post(f"{API}{url}", json=body, headers=headers)


def get(client, url, headers):
    """GET from the API, asserting 200."""
    response = client.get(f"{API}{url}", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


# --- the worked example, entirely through the API -----------------------------------------------


def test_worked_example_nowak_taxed_then_paid_in_two_payments(client, admin, clock):
    clock(date(2026, 10, 1))
    assert (
        client.put(
            f"{API}/settings", json={"business_timezone": "Europe/Warsaw"}, headers=admin
        ).status_code
        == 200
    )
    profile = {
        "legal_name": "Support Hours Sp. z o.o.",
        "address_lines": ["ul. Prosta 20"],
        "postal_code": "00-850",
        "city": "Warszawa",
        "country": "PL",
        "tax_id": "PL5260250274",
    }
    assert client.put(f"{API}/business-profile", json=profile, headers=admin).status_code == 200
    pln = {"code": "PLN", "decimals": 2, "suffix": " zł", "is_default": True}
    assert post(client, "/currencies", admin, pln).status_code == 201
    vat = post(
        client, "/tax-rates", admin, {"name": "VAT 23%", "percent": "23", "is_default": True}
    )
    assert vat.status_code == 201 and vat.json["percent"] == "23.000"
    plan = post(
        client,
        "/plans",
        admin,
        {
            "name": "Standard",
            "model": "package",
            "included_hours": "10",
            "prices": [{"currency": "PLN", "fee": "800.00", "rate": "250.00"}],
        },
    )
    assert plan.status_code == 201, plan.json
    nowak = post(
        client,
        "/clients",
        admin,
        {
            "name": "Nowak",
            "email": "biuro@nowak.example",
            "currency": "PLN",
            "country": "PL",
            "tax_treatment": "standard",
        },
    )
    assert nowak.status_code == 201, nowak.json
    assert nowak.json["tax_treatment"] == "standard" and nowak.json["country"] == "PL"
    ticket = post(
        client, "/tickets", admin, {"client_id": nowak.json["id"], "subject": "ERP", "message": "?"}
    ).json
    entries = f"/tickets/{ticket['id']}/time-entries"
    first = {"hours": "8.00", "work_date": "2026-10-01", "assign_plan_id": plan.json["id"]}
    assert post(client, entries, admin, first).status_code == 201
    clock(date(2026, 10, 20))
    assert (
        post(client, entries, admin, {"hours": "4.75", "work_date": "2026-10-20"}).status_code
        == 201
    )

    clock(date(2026, 11, 2))
    closed = post(client, "/billing/periods/2026-10/close", admin)
    assert closed.status_code == 200, closed.json
    [issued] = closed.json["invoices"]
    invoice = get(client, f"/invoices/{issued['id']}", admin)
    assert (invoice["net_total"], invoice["tax_total"], invoice["total"]) == (
        "1487.50",
        "342.13",
        "1829.63",
    )
    assert invoice["taxes"] == [
        {
            "name": "VAT 23%",
            "percent": "23.000",
            "category": "S",
            "exemption_reason": "",
            "net": "1487.50",
            "tax": "342.13",
        }
    ]
    assert invoice["kind"] == "invoice" and invoice["currency"] == "PLN"
    assert invoice["seller"]["legal_name"] == "Support Hours Sp. z o.o."
    assert invoice["buyer"]["country"] == "PL"
    assert invoice["balance"] == "1829.63" and invoice["payments"] == []
    assert invoice["credit_note_id"] is None and invoice["credited_invoice_id"] is None
    assert [(ln["kind"], ln["quantity"], ln["amount"]) for ln in invoice["lines"]] == [
        ("package_fee", "1.00", "800.00"),
        ("overtime", "2.75", "687.50"),
    ]
    assert {ln["tax_percent"] for ln in invoice["lines"]} == {"23.000"}
    pay = f"/invoices/{invoice['id']}/payments"

    clock(date(2026, 11, 5))
    tomorrow = {"date": "2026-11-06", "amount": "1000.00", "method": "bank_transfer"}
    assert post(client, pay, admin, tomorrow).json["fields"].keys() == {"date"}
    part = post(
        client,
        pay,
        admin,
        {"date": "2026-11-05", "amount": "1000.00", "method": "bank_transfer", "reference": "T1"},
    )
    assert part.status_code == 201, part.json
    assert (part.json["status"], part.json["balance"], part.json["paid_date"]) == (
        "Unpaid",
        "829.63",
        None,
    )
    cancel = post(client, f"/invoices/{invoice['id']}/cancel", admin)
    assert cancel.status_code == 409 and cancel.json["error"] == "invalid_transition"

    clock(date(2026, 11, 12))
    rest = post(client, pay, admin, {"date": "2026-11-12", "amount": "829.63", "method": "card"})
    assert rest.status_code == 201, rest.json
    assert (rest.json["status"], rest.json["paid_date"], rest.json["balance"]) == (
        "Paid",
        "2026-11-12",
        "0.00",
    )
    assert [
        {k: p[k] for k in ("date", "amount", "method", "reference")} for p in rest.json["payments"]
    ] == [
        {"date": "2026-11-05", "amount": "1000.00", "method": "bank_transfer", "reference": "T1"},
        {"date": "2026-11-12", "amount": "829.63", "method": "card", "reference": ""},
    ]
    assert get(client, f"/invoices/{invoice['id']}", admin)["payments"] == rest.json["payments"]
    more = post(client, pay, admin, {"date": "2026-11-12", "amount": "1.00", "method": "cash"})
    assert more.status_code == 409 and more.json["error"] == "invalid_transition"


# --- ACME: reverse charge, the credit note ----------------------------------------------------


@pytest.fixture
def acme(f, client, admin, clock):
    """ACME (EUR, DE, reverse charge) with September's worked example closed on 2026-10-02;
    a client user's token for ACME and for Beta; the default rate VAT 23%."""
    clock(date(2026, 9, 30))
    save_settings({"business_timezone": "Europe/Warsaw"})
    f.tax_rate("VAT 23%", "23", is_default=True)
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    acme_user, beta_user = f.user("client"), f.user("client")
    acme = acme_user.client
    f.subscription(acme, plan, date(2026, 9, 11))
    log_time(f.ticket(acme), f.user("operator"), TimeInput(465, date(2026, 9, 14)))
    db.session.commit()
    patch = client.patch(
        f"{API}/clients/{acme.id}",
        json={"tax_treatment": "reverse_charge", "country": "DE", "tax_id": "DE136695976"},
        headers=admin,
    )
    assert patch.status_code == 200, patch.json
    clock(date(2026, 10, 2))
    [invoice] = post(client, "/billing/periods/2026-09/close", admin).json["invoices"]
    return {
        "invoice": invoice["id"],
        "client": acme.id,
        "beta": beta_user.client.id,
        "acme_token": bearer(f.api_token(acme_user)),
        "beta_token": bearer(f.api_token(beta_user)),
        "operator": bearer(f.api_token(f.user("operator"))),
    }


def test_reverse_charge_invoice_has_no_tax_and_the_note(client, admin, acme):
    invoice = get(client, f"/invoices/{acme['invoice']}", acme["acme_token"])
    assert (invoice["net_total"], invoice["tax_total"], invoice["total"]) == (
        "193.33",
        "0.00",
        "193.33",
    )
    assert REVERSE_CHARGE_NOTE in " ".join(invoice["notes"])
    assert invoice["tax_treatment"] == "reverse_charge"
    assert invoice["buyer"]["tax_id"] == "DE136695976"
    assert [t["category"] for t in invoice["taxes"]] == ["AE"]
    assert {ln["tax_category"] for ln in invoice["lines"]} == {"AE"}


def test_cancel_issues_a_credit_note_with_the_lines_negated(client, admin, acme):
    invoice = get(client, f"/invoices/{acme['invoice']}", admin)
    cancelled = post(client, f"/invoices/{acme['invoice']}/cancel", admin)
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "Cancelled" and cancelled.json["balance"] == "0.00"
    assert cancelled.json["number"] == invoice["number"]
    note_id = cancelled.json["credit_note_id"]
    assert note_id
    note = get(client, f"/invoices/{note_id}", acme["acme_token"])
    assert (note["kind"], note["number"], note["status"]) == (
        "credit_note",
        "CN-2026/0001",
        "Issued",
    )
    assert (note["net_total"], note["tax_total"], note["total"]) == ("-193.33", "0.00", "-193.33")
    assert note["credited_invoice_id"] == acme["invoice"] and note["credit_note_id"] is None
    assert [(ln["quantity"], ln["amount"]) for ln in note["lines"]] == [
        ("-1.00", "-133.33"),
        ("-1.00", "-60.00"),
    ]
    assert [ln["unit_rate"] for ln in note["lines"]] == [ln["unit_rate"] for ln in invoice["lines"]]
    assert note["notes"] == invoice["notes"] and note["buyer"] == invoice["buyer"]
    notes = get(client, "/invoices?kind=credit_note", admin)
    assert [i["id"] for i in notes["items"]] == [note_id]
    invoices = get(client, "/invoices?kind=invoice", acme["acme_token"])
    assert [i["id"] for i in invoices["items"]] == [acme["invoice"]]
    pay = {"date": "2026-10-02", "amount": "1.00", "method": "cash"}
    for invoice_id in (acme["invoice"], note_id):  # cancelled, credit note
        refused = post(client, f"/invoices/{invoice_id}/payments", admin, pay)
        assert refused.status_code == 409 and refused.json["error"] == "invalid_transition"
    again = post(client, f"/invoices/{acme['invoice']}/cancel", admin)
    assert again.status_code == 409
    assert post(client, f"/invoices/{note_id}/cancel", admin).status_code == 409


def test_kind_filter_takes_only_the_two_kinds(client, admin, acme):
    response = client.get(f"{API}/invoices?kind=quote", headers=admin)
    assert response.status_code == 400 and "kind" in response.json["fields"]


def test_mark_paid_pays_the_balance_today(client, admin, acme):
    paid = post(client, f"/invoices/{acme['invoice']}/mark-paid", admin)
    assert paid.status_code == 200, paid.json
    assert (paid.json["status"], paid.json["paid_date"], paid.json["balance"]) == (
        "Paid",
        "2026-10-02",
        "0.00",
    )
    [payment] = paid.json["payments"]
    assert (payment["date"], payment["amount"]) == ("2026-10-02", "193.33")
    assert payment["method"] in ("bank_transfer", "card", "cash", "other")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "193.34"}, "amount"),  # above the balance
        ({"amount": "0"}, "amount"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "12.345"}, "amount"),  # EUR has 2 places
        ({"amount": "-5.00"}, "amount"),
        ({"amount": 10}, "amount"),  # money is a string
        ({"date": "2026-10-03"}, "date"),  # tomorrow
        ({"date": "2026-10-01"}, "date"),  # before the invoice was issued
        ({"date": "3.10.2026"}, "date"),
        ({"method": "cheque"}, "method"),
        ({"reference": "x" * 201}, "reference"),
        ({"amount": None}, "amount"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_payment_is_400_with_the_field_and_nothing_saved(client, admin, acme, change, field):
    body = {"date": "2026-10-02", "amount": "100.00", "method": "bank_transfer"} | change
    response = post(client, f"/invoices/{acme['invoice']}/payments", admin, body)
    assert response.status_code == 400 and field in response.json["fields"], response.json
    assert count(Payment) == 0


@pytest.mark.parametrize("missing", ["date", "amount", "method"])
def test_payment_fields_are_required(client, admin, acme, missing):
    body = {"date": "2026-10-02", "amount": "100.00", "method": "bank_transfer"}
    del body[missing]
    response = post(client, f"/invoices/{acme['invoice']}/payments", admin, body)
    assert response.status_code == 400 and missing in response.json["fields"]


def test_payments_and_items_are_for_admins_only(client, admin, acme):
    pay = {"date": "2026-10-02", "amount": "1.00", "method": "cash"}
    item = {"description": "Visit", "quantity": "1", "unit_price": "10.00", "date": "2026-10-02"}
    own, beta = f"/invoices/{acme['invoice']}/payments", f"/clients/{acme['client']}/items"
    for who in ("operator", "acme_token", "beta_token"):
        assert post(client, own, acme[who], pay).status_code == 403
        assert post(client, beta, acme[who], item).status_code == 403
    unknown = post(client, "/invoices/999999/payments", admin, pay)
    assert unknown.status_code == 404 and unknown.json["error"] == "not_found"
    assert post(client, "/clients/999999/items", admin, item).status_code == 404
    assert (count(Payment), count(BillableItem)) == (0, 2)
    # a client user still sees only its own invoice, payments and all
    assert (
        client.get(f"{API}/invoices/{acme['invoice']}", headers=acme["beta_token"]).status_code
        == 404
    )


# --- one-off items ------------------------------------------------------------------------------


@pytest.fixture
def kowalski(f, clock):
    """A client without a plan, billed in EUR at the default rate VAT 23%; today 2026-10-05,
    September closed."""
    clock(date(2026, 10, 5))
    save_settings({"business_timezone": "Europe/Warsaw"})
    f.tax_rate("VAT 23%", "23", is_default=True)
    client_row = f.client("Kowalski", currency_code="EUR")
    close_period("2026-09")
    db.session.commit()
    return client_row.id


def test_one_off_item_invoiced_now(client, admin, kowalski):
    body = {
        "description": "On-site visit",
        "quantity": "2.00",
        "unit_price": "45.00",
        "date": "2026-10-05",
        "invoice_now": True,
    }
    item = post(client, f"/clients/{kowalski}/items", admin, body)
    assert item.status_code == 201, item.json
    assert {k: item.json[k] for k in ("kind", "quantity", "unit_price", "amount", "date")} == {
        "kind": "one_off",
        "quantity": "2.00",
        "unit_price": "45.00",
        "amount": "90.00",
        "date": "2026-10-05",
    }
    assert item.json["subscription_id"] is None and item.json["period"] is None
    invoice = get(client, f"/invoices/{item.json['invoice_id']}", admin)
    assert [
        (ln["kind"], ln["description"], ln["quantity"], ln["amount"]) for ln in invoice["lines"]
    ] == [("one_off", "On-site visit", "2.00", "90.00")]
    assert (invoice["net_total"], invoice["tax_total"], invoice["total"]) == (
        "90.00",
        "20.70",
        "110.70",
    )
    assert invoice["period"] is None and invoice["client_id"] == kowalski


def test_one_off_item_waits_for_its_months_close(client, admin, kowalski, clock):
    body = {
        "description": "Server move",
        "quantity": "1,5",
        "unit_price": "100",
        "date": "2026-10-20",
    }
    item = post(client, f"/clients/{kowalski}/items", admin, body)
    assert item.status_code == 201, item.json
    assert (item.json["invoice_id"], item.json["period"], item.json["amount"]) == (
        None,
        None,
        "150.00",
    )
    assert count(Invoice) == 0
    waiting = get(client, "/billable-items?period=2026-10", admin)["items"]
    assert [(i["id"], i["period"]) for i in waiting] == [(item.json["id"], None)]
    assert get(client, "/billable-items?period=2026-11", admin)["items"] == []
    clock(date(2026, 11, 2))
    closed = post(client, "/billing/periods/2026-10/close", admin)
    [invoice] = closed.json["invoices"]
    assert invoice["client_id"] == kowalski
    assert [ln["billable_item_id"] for ln in invoice["lines"]] == [item.json["id"]]
    assert invoice["total"] == "184.50"
    [billed] = get(client, f"/billable-items?period=2026-10&client_id={kowalski}", admin)["items"]
    assert (billed["period"], billed["invoice_id"]) == ("2026-10", invoice["id"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "1.234"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": 2}, "quantity"),
        ({"unit_price": "-1"}, "unit_price"),
        ({"unit_price": "0"}, "unit_price"),
        ({"unit_price": "1.005"}, "unit_price"),
        ({"date": "2026-09-15"}, "date"),  # September is closed
        ({"date": "2026-13-01"}, "date"),
        ({"description": "   "}, "description"),
        ({"invoice_now": "yes"}, "invoice_now"),
    ],
)
def test_bad_item_is_400_with_the_field_and_nothing_saved(client, admin, kowalski, change, field):
    body = {"description": "Visit", "quantity": "2.00", "unit_price": "45.00", "date": "2026-10-05"}
    response = post(client, f"/clients/{kowalski}/items", admin, body | change)
    assert response.status_code == 400 and field in response.json["fields"], response.json
    assert (count(BillableItem), count(Invoice)) == (0, 0)


def test_invoice_list_reads_a_page_in_a_fixed_number_of_queries(client, admin, kowalski):
    def statements(url: str) -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url, headers=admin).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    body = {"description": "Visit", "quantity": "1", "unit_price": "10.00", "invoice_now": True}
    post(client, f"/clients/{kowalski}/items", admin, body)
    one = statements(f"{API}/invoices")
    for _ in range(5):
        post(client, f"/clients/{kowalski}/items", admin, body)
    assert statements(f"{API}/invoices") == one
