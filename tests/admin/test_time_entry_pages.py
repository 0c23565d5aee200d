"""Editing and deleting time entries from the staff pages."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, BillingPeriod, TimeEntry
from portal.services.billing.periods import period_of
from portal.services.settings import business_today
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import (
    AuthActions,
    assert_confirmation_page,
    audit_rows,
    confirm,
    csrf_token_from,
    field_error,
    submit,
)


@pytest.fixture
def setup(f):
    """Two operators, an admin, and an entry of 1.00 h by the first operator."""
    acme = f.client()
    f.subscription(acme, f.plan(), business_today().replace(day=1) - timedelta(days=40))
    ticket = f.ticket(acme)
    author, other, admin = f.user("operator"), f.user("operator"), f.user("admin")
    entry = log_time(ticket, author, TimeInput(60, business_today(), "first"))
    db.session.commit()
    return {"ticket": ticket, "author": author, "other": other, "admin": admin, "entry": entry}


def edit_url(entry):
    """The entry's edit page."""
    return f"/admin/time-entries/{entry.id}/edit"


@pytest.mark.parametrize("who", ["author", "admin"])
def test_author_and_admin_edit_an_entry(client, setup, who):
    AuthActions(client).login(setup[who].email)
    entry = setup["entry"]
    page = client.get(edit_url(entry)).text
    assert 'value="1:00"' in page
    response = submit(
        client,
        edit_url(entry),
        {
            "hours": "2:15",
            "work_date": business_today().isoformat(),
            "note": "corrected",
            "billable": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(entry)
    assert (entry.minutes, entry.note) == (135, "corrected")
    audit = db.session.scalar(db.select(AuditLogEntry).filter_by(action="time_entry.update"))
    assert audit.before["minutes"] == 60 and audit.after["minutes"] == 135
    assert audit.user_id == setup[who].id


def test_other_operator_gets_403_and_no_buttons(client, setup):
    AuthActions(client).login(setup["other"].email)
    entry = setup["entry"]
    assert client.get(edit_url(entry)).status_code == 403
    page = client.get(f"/admin/tickets/{setup['ticket'].id}").text
    assert edit_url(entry) not in page
    token_page = client.get(f"/admin/tickets/{setup['ticket'].id}")
    response = client.post(
        f"/admin/time-entries/{entry.id}/delete",
        data={"csrf_token": csrf_token_from(token_page.text)},
    )
    assert response.status_code == 403
    assert db.session.get(TimeEntry, entry.id) is not None


@pytest.mark.parametrize("hours", ["1.1", "0", "abc", "25", "", "x" * 5000])
def test_bad_edit_keeps_the_entry(client, setup, hours):
    AuthActions(client).login(setup["author"].email)
    entry = setup["entry"]
    response = submit(
        client,
        edit_url(entry),
        {"hours": hours, "work_date": business_today().isoformat(), "billable": "y"},
    )
    assert response.status_code == 422
    message = field_error(response.text, "hours")
    # off the quarter-hour grid: the nearest allowed values; otherwise the rule
    assert "Use quarter hours:" in message or "quarter-hour steps from 0.25 to 24" in message
    db.session.refresh(entry)
    assert entry.minutes == 60


def test_delete_asks_first_and_changes_nothing_until_confirmed(client, setup):
    AuthActions(client).login(setup["author"].email)
    entry, ticket = setup["entry"], setup["ticket"]
    asked = submit(
        client, f"/admin/tickets/{ticket.id}", {}, f"/admin/time-entries/{entry.id}/delete"
    )
    assert_confirmation_page(
        asked,
        f"Delete 1:00 h of {business_today():%Y-%m-%d}?",
        f"{ticket.display_number} · {ticket.subject}",
        setup["author"].name,
        "first",  # the note
        "Yes, delete the entry",
        f'href="/admin/tickets/{ticket.id}"',
    )
    db.session.expire_all()
    assert db.session.get(TimeEntry, entry.id).minutes == 60
    assert audit_rows("time_entry.delete") == []


def test_delete_writes_audit(client, setup):
    AuthActions(client).login(setup["author"].email)
    entry = setup["entry"]
    response = confirm(
        client, f"/admin/tickets/{setup['ticket'].id}", f"/admin/time-entries/{entry.id}/delete"
    )
    assert response.status_code == 302
    assert "Time entry deleted." in client.get(response.headers["Location"]).text
    assert db.session.scalar(db.select(db.func.count(TimeEntry.id))) == 0
    audit = db.session.scalar(db.select(AuditLogEntry).filter_by(action="time_entry.delete"))
    assert audit.before["minutes"] == 60 and audit.after is None


def test_closed_month_entries_cannot_change(client, setup, f):
    AuthActions(client).login(setup["admin"].email)
    entry = setup["entry"]
    db.session.add(BillingPeriod(period=period_of(entry.work_date)))
    db.session.commit()
    page = client.get(f"/admin/tickets/{setup['ticket'].id}").text
    assert "month closed" in page and edit_url(entry) not in page
    response = submit(
        client,
        edit_url(entry),
        {"hours": "3", "work_date": business_today().isoformat(), "billable": "y"},
    )
    assert response.status_code == 422
    assert "is closed" in response.text
    response = confirm(
        client, f"/admin/tickets/{setup['ticket'].id}", f"/admin/time-entries/{entry.id}/delete"
    )
    assert "is closed" in client.get(response.headers["Location"]).text
    db.session.refresh(entry)
    assert entry.minutes == 60
