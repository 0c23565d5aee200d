"""The committed migrations build exactly the schema the models describe (`flask db check`)."""

from datetime import date
from decimal import Decimal as D

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask_migrate import upgrade
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from portal.migration_support import compare_type, include_object
from portal.models import Invoice
from tests.helpers import make_config


def test_models_and_migrations_agree(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": compare_type, "include_object": include_object}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_is_at_the_single_head(app):
    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    with db.engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    assert len(heads) == 1
    assert tuple(current) == tuple(heads)


def test_invoices_issued_before_tax_get_net_total_payment_and_snapshot(tmp_path):
    """Migration dcf482d9772f on SQLite data of the revision before it (documented in
    docs/DECISIONS.md "Invoices as issued documents")."""
    app = create_app(make_config(f"sqlite:///{tmp_path}/old.sqlite3"), from_environment=False)
    with app.app_context():
        upgrade(revision="c15a0b0f11e1")
        statements = [
            "INSERT INTO currency (id, code, decimals, prefix, suffix, is_default)"
            " VALUES (1, 'EUR', 2, '', '', 1)",
            "INSERT INTO client (id, name, email, currency_id, active, created_at, legal_name,"
            " address_lines, postal_code, city, country, tax_id, billing_emails, po_reference)"
            " VALUES (1, 'ACME', 'acme@example.com', 1, 1, '2026-09-01 00:00:00', 'ACME GmbH',"
            " '[\"Hauptstr. 1\"]', '10115', 'Berlin', 'DE', 'DE136695976', '[]', 'PO-7')",
            "INSERT INTO business_profile (id, legal_name, address_lines, postal_code, city,"
            " country, tax_id, email, phone, bank_account_holder, iban, bic, payment_terms,"
            " invoice_footer, updated_at) VALUES (1, 'Seller Sp. z o.o.', '[\"ul. Prosta 1\"]',"
            " '00-850', 'Warszawa', 'PL', '', '', '', '', '', '', '', '', '2026-11-01 00:00:00')",
            "INSERT INTO invoice (id, number, client_id, currency_id, status, issue_date,"
            " due_date, paid_date, total, created_at) VALUES"
            " (1, '2026/10/0001', 1, 1, 'Paid', '2026-10-01', '2026-10-15', '2026-10-09',"
            " 2600000, '2026-10-01 00:05:00'),"
            " (2, '2026/11/0002', 1, 1, 'Unpaid', '2026-11-01', '2026-11-15', NULL,"
            " 2000000, '2026-11-01 00:05:00')",
            "INSERT INTO invoice_line (invoice_id, position, description, minutes, unit_rate,"
            " amount) VALUES (1, 1, 'Standard support package', 0, 2000000, 2000000),"
            " (1, 2, 'Standard overtime', 60, 600000, 600000),"
            " (2, 1, 'Standard support package', 0, 2000000, 2000000)",
        ]
        for statement in statements:
            db.session.execute(text(statement))
        db.session.commit()
        upgrade()
        paid, unpaid = db.session.scalars(db.select(Invoice).order_by(Invoice.id)).all()
        assert (paid.net_total, paid.tax_total, paid.total) == (D("260"), D("0"), D("260"))
        assert paid.paid_total == D("260") and unpaid.paid_total == 0
        [payment] = paid.payments
        assert (payment.date, payment.amount, payment.method) == (
            date(2026, 10, 9),
            D("260"),
            "other",
        )
        assert [(t.name, t.percent, t.net) for t in paid.taxes] == [("No tax", 0, D("260"))]
        assert [(line.kind, line.quantity) for line in paid.lines] == [
            ("package_fee", 1),
            ("hourly", 1),
        ]
        assert paid.seller["legal_name"] == "Seller Sp. z o.o."
        assert paid.buyer == {
            "name": "ACME GmbH",
            "address_lines": ["Hauptstr. 1"],
            "postal_code": "10115",
            "city": "Berlin",
            "country": "DE",
            "tax_id": "DE136695976",
            "emails": ["acme@example.com"],
            "po_reference": "PO-7",
        }
        assert (unpaid.kind, unpaid.status, unpaid.balance) == ("invoice", "Unpaid", D("200"))
        db.session.remove()
        db.engine.dispose()
