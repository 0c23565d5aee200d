"""A subscription created by mistake, with nothing referring to it, can be removed."""

from portal.extensions import db
from portal.models import Subscription
from portal.services.settings import business_today
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import assert_confirmation_page, audit_rows, confirm, count, submit


def _setup(f):
    acme = f.client("ACME GmbH")
    plan = f.plan("Standard")
    sub = f.subscription(acme, plan, business_today().replace(day=1))
    return acme, plan, sub


def test_removing_asks_first_then_deletes_and_audits(client, admin, f):
    acme, plan, sub = _setup(f)
    sub_id, start = sub.id, sub.start_date.isoformat()
    page_url, post_url = (
        f"/admin/clients/{acme.id}",
        (f"/admin/clients/{acme.id}/subscriptions/{sub.id}/remove"),
    )
    asked = submit(client, page_url, {}, post_url)
    assert_confirmation_page(asked, "subscription to Standard?", "Yes, remove the subscription")
    assert count(Subscription) == 1
    done = confirm(client, page_url, post_url)
    assert done.status_code == 302
    assert count(Subscription) == 0
    row = audit_rows("subscription.delete")[0]
    assert row.object_id == sub_id and row.before["plan_id"] == plan.id
    assert row.before["start_date"] == start


def test_a_subscription_with_time_logged_is_not_removed(client, admin, f):
    acme, _plan, sub = _setup(f)
    ticket = f.ticket(acme)
    log_time(ticket, admin, TimeInput(60, business_today(), "work"))
    db.session.commit()
    page_url = f"/admin/clients/{acme.id}"
    refused = confirm(client, page_url, f"/admin/clients/{acme.id}/subscriptions/{sub.id}/remove")
    assert refused.status_code == 422
    assert "cannot be removed: time entries refer to it" in refused.text
    assert count(Subscription) == 1 and not audit_rows("subscription.delete")
