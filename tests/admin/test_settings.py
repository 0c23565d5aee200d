"""The settings page: business time zone, invoicing on close, due days, invoice number format,
billing mail."""

import pytest

from portal.extensions import db
from portal.models import Setting
from portal.services.settings import DEFAULTS, get_settings
from tests.helpers import audit_rows, csrf_token_from, field_error, submit

URL = "/admin/settings"


def form(**values) -> dict:
    """Form data of the settings page; a box given as None is left unticked."""
    data = {
        "business_timezone": "Europe/Warsaw",
        "invoice_on_close": "y",
        "due_days": "30",
        "invoice_number_format": "INV-{YYYY}-{SEQ}",
        "credit_note_number_format": "CN-{YYYY}/{SEQ}",
        "send_invoices_automatically": "y",
        "reminder_days_before_due": "3",
        "overdue_reminder_days": "1, 7, 14",
        "payment_received_mail": "y",
    }
    return {k: v for k, v in (data | values).items() if v is not None}


def stored() -> dict:
    """The settings rows in the database."""
    db.session.expire_all()
    return {row.key: row.value for row in db.session.scalars(db.select(Setting))}


def test_page_shows_the_defaults(client, admin):
    page = client.get(URL).text
    assert '<option selected value="UTC">UTC</option>' in page
    assert 'value="14"' in page and 'value="{YYYY}/{MM}/{SEQ}"' in page
    assert 'name="credit_note_number_format"' in page and 'value="CN-{YYYY}/{SEQ}"' in page
    assert "localtime" not in page and "Europe/Warsaw" in page


def test_admin_saves_settings_and_the_change_is_audited(client, admin):
    response = submit(client, URL, form(invoice_on_close=None))
    assert response.status_code == 302
    expected = {
        "business_timezone": "Europe/Warsaw",
        "invoice_on_close": False,
        "due_days": 30,
        "invoice_number_format": "INV-{YYYY}-{SEQ}",
        "credit_note_number_format": "CN-{YYYY}/{SEQ}",
        "send_invoices_automatically": True,
        "reminder_days_before_due": 3,
        "overdue_reminder_days": [1, 7, 14],
        "payment_received_mail": True,
    }
    assert stored() == expected
    assert get_settings() == expected
    (row,) = audit_rows("settings.update")
    assert row.user_id == admin.id
    changed = [k for k in expected if DEFAULTS[k] != expected[k]]  # the audit keeps changes
    assert changed and "credit_note_number_format" not in changed
    assert row.before == {k: DEFAULTS[k] for k in changed}
    assert row.after == {k: expected[k] for k in changed}
    assert "Settings saved." in client.get(URL).text


def test_page_shows_the_mail_settings_and_saves_them(client, admin):
    page = client.get(URL).text
    assert 'name="overdue_reminder_days"' in page and 'value="1, 7, 14"' in page
    assert 'name="send_invoices_automatically"' in page and 'name="payment_received_mail"' in page
    changes = form(
        send_invoices_automatically=None,
        payment_received_mail=None,
        reminder_days_before_due="0",
        overdue_reminder_days=" 30 5,10 ",
    )
    assert submit(client, URL, changes).status_code == 302
    saved = get_settings()
    assert saved["send_invoices_automatically"] is False
    assert saved["payment_received_mail"] is False
    assert saved["reminder_days_before_due"] == 0
    assert saved["overdue_reminder_days"] == [5, 10, 30]
    assert 'value="5, 10, 30"' in client.get(URL).text


def test_zero_due_days_is_allowed(client, admin):
    assert submit(client, URL, form(due_days="0")).status_code == 302
    assert stored()["due_days"] == 0


BAD = [
    ({"business_timezone": "Mars/Olympus_Mons"}, "business_timezone", "Not a valid choice"),
    ({"business_timezone": "localtime"}, "business_timezone", "Not a valid choice"),
    ({"due_days": ""}, "due_days", "from 0 to 365"),
    ({"due_days": "-1"}, "due_days", "from 0 to 365"),
    ({"due_days": "366"}, "due_days", "from 0 to 365"),
    ({"due_days": "14.5"}, "due_days", "from 0 to 365"),
    ({"due_days": "abc"}, "due_days", "from 0 to 365"),
    ({"invoice_number_format": ""}, "invoice_number_format", "{SEQ} is required"),
    ({"invoice_number_format": "INV-{YYYY}"}, "invoice_number_format", "{SEQ} is required"),
    ({"invoice_number_format": "{SEQ}-{DD}"}, "invoice_number_format", "Unknown placeholder {DD}"),
    ({"invoice_number_format": "{seq}{SEQ}"}, "invoice_number_format", "Unknown placeholder"),
    ({"invoice_number_format": "{SEQ}}"}, "invoice_number_format", "Braces belong"),
    ({"invoice_number_format": "{{SEQ}"}, "invoice_number_format", "Braces belong"),
    ({"invoice_number_format": "A\tB{SEQ}"}, "invoice_number_format", "control characters"),
    ({"invoice_number_format": "X" * 36 + "{SEQ}"}, "invoice_number_format", "at most 40"),
    ({"credit_note_number_format": "CN-{YYYY}"}, "credit_note_number_format", "{SEQ} is required"),
    ({"reminder_days_before_due": ""}, "reminder_days_before_due", "from 0 to 60"),
    ({"reminder_days_before_due": "61"}, "reminder_days_before_due", "from 0 to 60"),
    ({"reminder_days_before_due": "-1"}, "reminder_days_before_due", "from 0 to 60"),
    ({"reminder_days_before_due": "2.5"}, "reminder_days_before_due", "from 0 to 60"),
    ({"overdue_reminder_days": ""}, "overdue_reminder_days", "1 to 3 different"),
    ({"overdue_reminder_days": "1, 7, 14, 30"}, "overdue_reminder_days", "1 to 3 different"),
    ({"overdue_reminder_days": "0"}, "overdue_reminder_days", "from 1 to 90"),
    ({"overdue_reminder_days": "91"}, "overdue_reminder_days", "from 1 to 90"),
    ({"overdue_reminder_days": "7, 7"}, "overdue_reminder_days", "Each day may appear once"),
    ({"overdue_reminder_days": "1, a"}, "overdue_reminder_days", "e.g. 1, 7, 14"),
    ({"overdue_reminder_days": "1.5"}, "overdue_reminder_days", "e.g. 1, 7, 14"),
    ({"overdue_reminder_days": "9" * 40}, "overdue_reminder_days", "e.g. 1, 7, 14"),
    (
        {"credit_note_number_format": "INV-{YYYY}-{SEQ}"},
        "credit_note_number_format",
        "Credit notes have their own series",
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(c)[:40] for c, *_ in BAD])
def test_bad_input_shows_field_message_and_changes_nothing(client, admin, change, field, message):
    response = submit(client, URL, form(**change))
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert stored() == {}
    assert audit_rows("settings.update") == []


def test_allowed_placeholders_are_named_in_the_message(client, admin):
    response = submit(client, URL, form(invoice_number_format="{SEQ}/{DAY}"))
    assert "{YYYY}, {MM} and {SEQ}" in field_error(response.text, "invoice_number_format")


@pytest.mark.parametrize("role", ["operator", "client"])
def test_other_roles_get_403(client, login_as, role):
    login_as(role)
    token = csrf_token_from(client.get("/admin/" if role == "operator" else "/client/").text)
    assert client.get(URL).status_code == 403
    assert client.post(URL, data=form() | {"csrf_token": token}).status_code == 403
    assert stored() == {}


def test_post_without_csrf_is_refused(client, admin):
    assert client.post(URL, data=form()).status_code == 400
    assert stored() == {}
