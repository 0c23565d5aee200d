"""Client pages: staff see clients; only admins add, edit, add users and manage subscriptions."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import Client, OutboxMessage, Subscription, User
from portal.services.billing.periods import period_bounds, period_of
from portal.services.clients.subscriptions import cancel_subscription
from tests.helpers import (
    assert_confirmation_page,
    audit_rows,
    close_month,
    confirm,
    count,
    csrf_token_from,
    field_error,
    last_month_day,
    submit,
    today,
)

DAY = timedelta(days=1)


@pytest.fixture
def shop(f):
    """EUR (default) and USD, a EUR client with a Standard plan since last month, staff."""
    f.currency("EUR", is_default=True)
    f.currency("USD")
    acme = f.client("ACME GmbH", currency_code="EUR")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    sub = f.subscription(acme, plan, last_month_day())
    ticket = f.ticket(acme, subject="Mail server down")
    return {"acme": acme, "plan": plan, "sub": sub, "ticket": ticket}


def page_of(client_row) -> str:
    """The client page URL."""
    return f"/admin/clients/{client_row.id}"


def test_list_and_page_show_account_plan_snapshot_users_and_tickets(client, admin, shop, f):
    f.user("client", client=shop["acme"], name="Carla Client")
    listing = client.get("/admin/clients").text
    assert "ACME GmbH" in listing and "Standard" in listing and "EUR" in listing
    page = client.get(page_of(shop["acme"])).text
    for text in ("€200.00", "€60.00/h", "10:00 h a month", "Carla Client", "Mail server down"):
        assert text in page
    assert f'href="/admin/tickets/{shop["ticket"].id}"' in page
    assert last_month_day().isoformat() in page
    assert "Add a user" in page and "Cancel at the end of this month" in page


def test_operator_sees_clients_read_only(client, login_as, shop):
    login_as("operator")
    listing = client.get("/admin/clients")
    assert listing.status_code == 200 and "ACME GmbH" in listing.text
    assert "Add a client" not in listing.text
    page = client.get(page_of(shop["acme"]))
    assert page.status_code == 200 and "Standard" in page.text
    for form_marker in (
        "Add a user",
        "Assign a plan",
        "Cancel at the end",
        "Re-price",
        "Edit account",
    ):
        assert form_marker not in page.text
    acme, sub = shop["acme"], shop["sub"]
    token = csrf_token_from(page.text)
    for url in ("/admin/clients/new", f"{page_of(acme)}/edit"):
        assert client.get(url).status_code == 403
    posts = [
        "/admin/clients/new",
        f"{page_of(acme)}/edit",
        f"{page_of(acme)}/users",
        f"{page_of(acme)}/subscriptions",
        f"{page_of(acme)}/subscriptions/{sub.id}/cancel",
        f"{page_of(acme)}/subscriptions/{sub.id}/reprice",
    ]
    data = {"name": "X", "email": "x@example.com", "csrf_token": token}
    for url in posts:
        assert client.post(url, data=data).status_code == 403, url
    assert (count(Client), count(User), count(Subscription)) == (1, 1, 1)
    assert db.session.get(Subscription, sub.id).end_date is None


def test_client_user_gets_403(client, login_as, shop):
    login_as("client", client=shop["acme"])
    for url in ("/admin/clients", page_of(shop["acme"]), "/admin/clients/new"):
        assert client.get(url).status_code == 403


def test_admin_adds_and_edits_a_client(client, admin, shop):
    new_page = client.get("/admin/clients/new").text
    eur_id = shop["acme"].currency_id
    assert f'<option selected value="{eur_id}">EUR</option>' in new_page  # the default
    data = {"name": "Globex", "email": " Billing@Globex.example.com ", "currency": str(eur_id)}
    response = submit(client, "/admin/clients/new", data | {"active": "y"})
    assert response.status_code == 302
    globex = db.session.scalar(db.select(Client).filter_by(name="Globex"))
    assert (globex.email, globex.currency.code, globex.active) == (
        "billing@globex.example.com",
        "EUR",
        True,
    )
    assert response.headers["Location"] == page_of(globex)
    edit = f"{page_of(globex)}/edit"
    data = {"name": "Globex Corp", "email": "a@globex.example.com", "currency": str(eur_id)}
    assert submit(client, edit, data).status_code == 302  # "active" unticked
    db.session.expire_all()
    assert (globex.name, globex.active) == ("Globex Corp", False)
    assert "Globex Corp" in client.get("/admin/clients").text
    assert [r.after["name"] for r in audit_rows("client.create")] == ["Globex"]
    (update,) = audit_rows("client.update")
    assert (update.before["name"], update.after["active"]) == ("Globex", False)


CLIENT_BAD = [
    ({"name": ""}, "name", "Enter the name"),
    ({"name": "x" * 201}, "name", "200 characters"),
    ({"email": "not-an-email"}, "email", "valid email"),
    ({"email": ""}, "email", "valid email"),
    ({"email": "a@b"}, "email", "valid email"),
    ({"currency": ""}, "currency", "Choose the currency"),
    ({"currency": "999"}, "currency", "Not a valid choice"),
    ({"currency": "abc"}, "currency", "Not a valid choice"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), CLIENT_BAD, ids=[str(c)[:30] for c, *_ in CLIENT_BAD]
)
def test_bad_client_input_shows_message_and_changes_nothing(
    client, admin, shop, change, field, message
):
    acme = shop["acme"]
    data = {"name": "New name", "email": "new@example.com", "currency": str(acme.currency_id)}
    response = submit(client, f"{page_of(acme)}/edit", data | change)
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    db.session.expire_all()
    assert (acme.name, acme.email) == ("ACME GmbH", shop["acme"].email)
    assert audit_rows("client.update") == []


def test_currency_cannot_change_once_the_client_has_a_subscription(client, admin, shop, f):
    acme, usd = shop["acme"], f.currency("USD")
    data = {"name": "ACME GmbH", "email": "acme@example.com", "currency": str(usd.id)}
    response = submit(client, f"{page_of(acme)}/edit", data)
    assert response.status_code == 422
    assert "the currency cannot change" in field_error(response.text, "currency")
    db.session.expire_all()
    assert acme.currency.code == "EUR"
    fresh = f.client("Fresh", currency_code="EUR")
    response = submit(client, f"{page_of(fresh)}/edit", data | {"name": "Fresh"})
    assert response.status_code == 302
    db.session.expire_all()
    assert fresh.currency.code == "USD"


def test_admin_adds_a_client_user_who_is_invited_by_mail(client, admin, shop):
    acme = shop["acme"]
    data = {"name": "Carla", "email": "Carla@Acme.example.com"}
    response = submit(client, page_of(acme), data, post_url=f"{page_of(acme)}/users")
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="carla@acme.example.com"))
    assert (user.role, user.client_id, user.name) == ("client", acme.id, "Carla")
    assert audit_rows("user.create")[0].after["client_id"] == acme.id
    [mail] = db.session.scalars(db.select(OutboxMessage)).all()
    assert (mail.kind, mail.recipients) == ("invitation", ["carla@acme.example.com"])
    assert "/invitation/" in mail.body_text  # followed to the end in tests/auth


USER_BAD = [
    ({"name": ""}, "name", "Enter the person"),
    ({"email": "nope"}, "email", "valid email"),
    ({"email": "x\r\nBcc: y@example.com"}, "email", "valid email"),
    ({"email": "taken@example.com"}, "email", "already exists"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), USER_BAD, ids=[str(c) for c, *_ in USER_BAD]
)
def test_bad_client_user_input(client, admin, shop, f, change, field, message):
    f.user("operator", email="taken@example.com")
    acme, users_before = shop["acme"], count(User)
    data = {"name": "Carla", "email": "carla@example.com"} | change
    response = submit(client, page_of(acme), data, post_url=f"{page_of(acme)}/users")
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert count(User) == users_before and audit_rows("user.create") == []
    assert count(OutboxMessage) == 0


def test_cancel_asks_first_and_changes_nothing_until_confirmed(client, admin, shop):
    acme, sub = shop["acme"], shop["sub"]
    url = f"{page_of(acme)}/subscriptions/{sub.id}/cancel"
    month_end = period_bounds(period_of(today()))[1]
    asked = submit(client, page_of(acme), {}, post_url=url)
    assert_confirmation_page(
        asked,
        "Cancel ACME GmbH&#39;s subscription to Standard?",
        f"It ends on {month_end:%Y-%m-%d}, the last day of this month",
        "Yes, cancel the subscription",
        f'href="{page_of(acme)}"',
    )
    db.session.expire_all()
    assert db.session.get(Subscription, sub.id).end_date is None
    assert audit_rows("subscription.cancel") == []


def test_reprice_does_not_ask(client, admin, shop, f):
    f.update(shop["plan"].prices[0], fee=300)
    url = f"{page_of(shop['acme'])}/subscriptions/{shop['sub'].id}/reprice"
    assert submit(client, page_of(shop["acme"]), {}, url).status_code == 302
    db.session.expire_all()
    assert shop["sub"].fee == 300


def test_cancel_ends_this_month_and_a_second_cancel_is_refused(client, admin, shop):
    acme, sub = shop["acme"], shop["sub"]
    url = f"{page_of(acme)}/subscriptions/{sub.id}/cancel"
    assert confirm(client, page_of(acme), url).status_code == 302
    month_end = period_bounds(period_of(today()))[1]
    db.session.expire_all()
    assert sub.end_date == month_end
    page = client.get(page_of(acme)).text
    assert f"ends on {month_end:%Y-%m-%d}" in page and "Cancel at the end" not in page
    response = confirm(client, page_of(acme), url)
    assert response.status_code == 422 and "already ends on" in response.text
    assert len(audit_rows("subscription.cancel")) == 1


def test_assign_a_plan_after_the_current_one_ends(client, admin, shop, f):
    acme = shop["acme"]
    f.plan("Dollar only", prices={"USD": ("100", "50")})
    premium = f.plan("Premium", prices={"EUR": ("450", "55")})
    f.plan("Retired", prices={"EUR": ("1", "1")}, active=False)
    url = f"{page_of(acme)}/subscriptions"
    page = client.get(page_of(acme)).text
    assert "Premium" in page and "Dollar only" not in page and "Retired" not in page
    response = submit(client, page_of(acme), {"plan": str(premium.id), "start_date": today()}, url)
    assert response.status_code == 422 and "may not overlap" in field_error(response.text, "plan")
    confirm(client, page_of(acme), f"{url}/{shop['sub'].id}/cancel")
    next_month = period_bounds(period_of(today()))[1] + timedelta(days=1)
    assert f'value="{next_month.isoformat()}"' in client.get(page_of(acme)).text  # the default
    data = {"plan": str(premium.id), "start_date": next_month.isoformat()}
    assert submit(client, page_of(acme), data, url).status_code == 302
    new = db.session.scalar(db.select(Subscription).filter_by(plan_id=premium.id))
    assert (new.start_date, new.fee, new.included_minutes) == (next_month, 450, 600)


ASSIGN_BAD = [
    ({"plan": ""}, "plan", "Choose a plan"),
    ({"plan": "dollar"}, "plan", "Not a valid choice"),
    ({"start_date": ""}, "start_date", "YYYY-MM-DD"),
    ({"start_date": "2026-02-30"}, "start_date", "Not a valid date"),
    ({"start_date": "closed"}, "start_date", "is closed"),
    ({"start_date": "0001-01-01"}, "start_date", "Choose a start date from"),
    ({"start_date": "9999-12-31"}, "start_date", "Choose a start date from"),
]


@pytest.mark.parametrize(
    ("change", "field", "message"), ASSIGN_BAD, ids=[str(c) for c, *_ in ASSIGN_BAD]
)
def test_bad_assignment_is_refused(client, admin, f, change, field, message):
    acme = f.client("Planless", currency_code="EUR")
    plan = f.plan("Standard", prices={"EUR": ("200", "60")})
    dollar = f.plan("Dollar only", prices={"USD": ("100", "50")})
    close_month(last_month_day())
    values = {"dollar": str(dollar.id), "closed": last_month_day().isoformat()}
    data = {"plan": str(plan.id), "start_date": today().isoformat()} | change
    data = {k: values.get(v, v) for k, v in data.items()}
    response = submit(client, page_of(acme), data, f"{page_of(acme)}/subscriptions")
    assert response.status_code == 422
    assert message in field_error(response.text, field)
    assert count(Subscription) == 0


def test_reprice_takes_the_plans_current_price(client, admin, shop, f):
    acme, sub, plan = shop["acme"], shop["sub"], shop["plan"]
    f.update(plan.prices[0], fee=300, rate=80)
    url = f"{page_of(acme)}/subscriptions/{sub.id}/reprice"
    assert submit(client, page_of(acme), {}, url).status_code == 302
    db.session.expire_all()
    assert (sub.fee, sub.rate) == (300, 80)
    response = submit(client, page_of(acme), {}, url)
    assert response.status_code == 422 and "already has the plan" in response.text


def test_another_clients_subscription_is_404(client, admin, shop, f):
    other = f.client("Other")
    url = f"{page_of(other)}/subscriptions/{shop['sub'].id}/cancel"
    assert submit(client, page_of(other), {}, url).status_code == 404
    assert client.get("/admin/clients/999").status_code == 404


def test_the_page_offers_each_subscription_what_the_services_allow(client, admin, shop, f):
    acme, current = shop["acme"], shop["sub"]
    cancel_subscription(current)
    db.session.commit()
    upcoming = f.subscription(acme, shop["plan"], period_bounds(period_of(today()))[1] + DAY)
    page = client.get(page_of(acme)).text
    base = f"{page_of(acme)}/subscriptions"
    assert f"{base}/{current.id}/reprice" in page and f"{base}/{current.id}/cancel" not in page
    assert f"{base}/{upcoming.id}/reprice" in page  # starts next month: nothing to cancel yet
    assert f"{base}/{upcoming.id}/cancel" not in page
