"""Invoice document benchmark: the PDF (with Factur-X) and the XML of a one-page invoice.

    python bench/documents.py [--runs 200] [--db sqlite|postgresql]

Builds SPEC.md's worked example through the services on a scratch database (a Polish
seller, VAT 23 %, Nowak billed 1,829.63 PLN for October 2026), renders once to warm up
(fonts, schema), then times what a download does: `invoice_xml` and `invoice_pdf` (the
invoice read from the database, the template, WeasyPrint, factur-x's embedding and XSD
check), each --runs times. Ends with one line:
`documents: xml p50 X ms p95 X ms, pdf p50 X ms p95 X ms (N runs, db)`.
"""

import argparse
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_app,
    build_schema,
    drop_database,
    freeze_startup,
    make_database,
)
from portal.extensions import db  # noqa: E402
from portal.models import Client, Currency, Invoice, Plan, PlanPrice, Ticket  # noqa: E402
from portal.services.accounts.users import create_user  # noqa: E402
from portal.services.billing.close import close_period  # noqa: E402
from portal.services.billing.documents import invoice_pdf, invoice_xml  # noqa: E402
from portal.services.billing.profiles import save_business_profile  # noqa: E402
from portal.services.catalog.tax_rates import TaxRateInput, save_tax_rate  # noqa: E402
from portal.services.clients.subscriptions import assign_plan  # noqa: E402
from portal.services.tickets.conversation import generate_ticket_number  # noqa: E402
from portal.services.tickets.time_entries import TimeInput, log_time  # noqa: E402

SELLER = {
    "legal_name": "Wsparcie Godzinowe Sp. z o.o.",
    "address_lines": ["ul. Prosta 20"],
    "postal_code": "00-850",
    "city": "Warszawa",
    "country": "PL",
    "tax_id": "PL5260250274",
    "email": "faktury@wsparcie.example",
    "iban": "PL61109010140000071219812874",
    "bic": "WBKPPLPP",
    "payment_terms": "Payable within 14 days.",
}


def worked_example() -> int:
    """SPEC.md's Nowak invoice, issued by a real close; its id."""
    admin = create_user("admin@bench.example", "a long bench password 1", "admin")
    save_business_profile(SELLER, admin)
    save_tax_rate(None, TaxRateInput("VAT 23%", "23", "PL", True), admin)
    pln = Currency(code="PLN", decimals=2, suffix=" zł")
    plan = Plan(name="Standard", model="package", included_minutes=600)
    plan.prices = [PlanPrice(currency=pln, fee=800, rate=250)]
    client = Client(name="Nowak IT", email="nowak@bench.example", currency=pln, country="PL")
    db.session.add_all([pln, plan, client])
    db.session.flush()
    assign_plan(client, plan, date(2026, 10, 1), admin)
    ticket = Ticket(
        number=generate_ticket_number(),
        client_id=client.id,
        subject="Mail server",
        department="Support",
        time_tracking=True,
    )
    db.session.add(ticket)
    db.session.flush()
    for minutes, day in ((420, 6), (345, 20)):
        log_time(ticket, admin, TimeInput(minutes, date(2026, 10, day), "Work"))
    [invoice] = close_period("2026-10", admin).invoices
    db.session.commit()
    return invoice.id


@contextmanager
def worked_example_database(kind: str):
    """A scratch database ("sqlite" or "postgresql") holding the worked example, dropped
    after: yields the app on it and the invoice's id."""
    url = make_database(kind)
    try:
        build_schema(url)
        app = bench_app(url)
        with app.app_context():
            invoice_id = worked_example()
        yield app, invoice_id
    finally:
        drop_database(url)


def timed(function, runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p50_p95(times: list[float]) -> str:
    """'p50 X ms p95 Y ms' of a list of milliseconds."""
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return f"p50 {statistics.median(times):.1f} ms p95 {p95:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    with worked_example_database(args.db) as (app, invoice_id), app.test_request_context():

        def xml():
            db.session.expire_all()  # each run reads the invoice, as a request does
            return invoice_xml(db.session.get(Invoice, invoice_id))

        def pdf():
            db.session.expire_all()
            return invoice_pdf(db.session.get(Invoice, invoice_id))

        assert b"1829.63" in xml() and pdf().startswith(b"%PDF")  # warm up, and check
        freeze_startup()  # as wsgi.py does once the app is loaded
        xml_times = timed(xml, args.runs)
        pdf_times = timed(pdf, args.runs)
        db.session.remove()
        db.engine.dispose()
    print(
        f"documents: xml {p50_p95(xml_times)}, pdf {p50_p95(pdf_times)} "
        f"({args.runs} runs, {args.db})"
    )


if __name__ == "__main__":
    main()
