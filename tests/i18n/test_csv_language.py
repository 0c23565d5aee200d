"""CSV downloads name their columns in the reader's language; the values under them stay
machine-readable whatever the language ("1.50", ISO dates), so an import does not depend
on who exported the file."""

import csv
import io

import pytest

from portal.extensions import db
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import this_month_start, today


def rows_of(client, url: str) -> list[list[str]]:
    with client.get(url) as response:
        assert response.status_code == 200
        return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.fixture
def logged_time(f):
    acme = f.client("ACME GmbH", currency_code="EUR")
    f.subscription(acme, f.plan(), this_month_start())
    olga = f.user("operator", name="Olga Operator")
    log_time(f.ticket(acme, subject="Mail"), olga, TimeInput(90, today(), "done"))
    db.session.commit()
    return acme


@pytest.mark.parametrize(
    ("language", "header"),
    [
        ("en", ["date", "ticket", "subject", "hours", "billable", "note", "operator"]),
        ("pl", ["data", "zgłoszenie", "temat", "godziny", "płatne", "notatka", "operator"]),
        ("de", ["Datum", "Ticket", "Betreff", "Stunden", "abrechenbar", "Notiz", "Bearbeiter"]),
    ],
)
def test_a_clients_time_entries_csv_speaks_its_readers_language(
    client, login_as, logged_time, language, header
):
    user = login_as("client", client=logged_time)
    user.language = language
    db.session.commit()
    rows = rows_of(client, "/client/export/time-entries.csv")
    assert rows[0] == header
    assert rows[1][0] == today().isoformat() and rows[1][3] == "1.50"


def test_the_hours_report_csv_speaks_german_with_the_values_unchanged(
    client, login_as, logged_time
):
    admin = login_as("admin")
    admin.language = "de"
    db.session.commit()
    rows = rows_of(client, "/admin/reports/hours.csv")
    assert rows[0] == [
        "Zeitraum",
        "Kunde",
        "Bearbeiter",
        "Stunden",
        "abrechenbare Stunden",
        "nicht abrechenbare Stunden",
    ]
    assert rows[1][1:] == ["ACME GmbH", "Olga Operator", "1.50", "1.50", "0.00"]
