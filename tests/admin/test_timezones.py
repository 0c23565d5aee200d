"""Business time zones: the tz database's zones by country plus UTC, no aliases."""

import pytest

from portal.extensions import db
from portal.models import Setting
from portal.services.settings import get_settings, timezone_names
from tests.helpers import field_error, submit

URL = "/admin/settings"


def form(zone: str) -> dict:
    """The settings form with this time zone and valid other values."""
    return {
        "business_timezone": zone,
        "invoice_on_close": "y",
        "due_days": "30",
        "invoice_number_format": "INV-{YYYY}-{SEQ}",
        "credit_note_number_format": "CN-{YYYY}/{SEQ}",
        "send_invoices_automatically": "y",
        "reminder_days_before_due": "3",
        "overdue_reminder_days": "1, 7, 14",
        "payment_received_mail": "y",
    }


def test_the_list_holds_canonical_zones_and_utc_only(app):
    names = timezone_names()
    assert {"Europe/Warsaw", "UTC", "America/New_York", "Asia/Tokyo"} <= set(names)
    for alias in ("GB-Eire", "Zulu", "US/Pacific", "Etc/GMT+1", "Poland", "localtime", "Factory"):
        assert alias not in names
    assert names == sorted(names)


@pytest.mark.parametrize("alias", ["GB-Eire", "Zulu", "US/Pacific", "Etc/GMT+1"])
def test_aliases_are_refused(client, admin, alias):
    response = submit(client, URL, form(alias))
    assert response.status_code == 422
    assert field_error(response.text, "business_timezone")


def test_a_zone_saved_before_stays_valid_until_changed(client, admin):
    db.session.add(Setting(key="business_timezone", value="US/Pacific"))
    db.session.commit()
    page = client.get(URL).text
    assert '<option selected value="US/Pacific">US/Pacific</option>' in page
    assert submit(client, URL, form("US/Pacific")).status_code == 302
    assert submit(client, URL, form("Europe/Warsaw")).status_code == 302
    assert get_settings()["business_timezone"] == "Europe/Warsaw"
    assert submit(client, URL, form("US/Pacific")).status_code == 422
