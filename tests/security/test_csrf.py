"""CSRF: every form POST of the admin, client and auth areas (taken from app.url_map, so new
forms are covered) refuses a missing token and another session's token, and changes nothing;
the API needs a bearer token, and a logged-in admin's session cookie does not count.

Each form is posted as the first role the access table lets use it, with a body that would
write when the form has one here (FORGED): the control test proves that the very same post
with the session's own token does go through, so the refusals are down to the token.
"""

import pytest

from tests import factories
from tests.helpers import empty_all_tables, today
from tests.security import RoleSession, World, database_digest, seed_world
from tests.security.routes import ROLES, TABLE, checked_methods, is_api

FORM_AREAS = ("admin", "client", "auth")
MISSING = "The CSRF token is missing."
MISMATCH = "The CSRF tokens do not match."
NEW_PASSWORD = "violet otter climbs seventeen ladders"


def forged_bodies(world: World) -> dict[str, dict]:
    """Per form endpoint, a body that writes when it comes with the session's own token."""
    a = world.args["a"]
    return {
        "auth.login": {"email": world.emails["client_a"], "password": factories.PASSWORD},
        "auth.change_password": {
            "current_password": factories.PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
        "client.ticket_new": {
            "subject": "Forged ticket",
            "department": "Support",
            "priority": "Medium",
            "message": "Sent from another site.",
        },
        "client.ticket": {"message": "Forged reply"},
        "admin.ticket_update": {"reply": "Forged answer", "status": ""},
        "admin.ticket_tracking": {"enabled": "0"},
        "admin.ticket_new": {
            "client": a["client_id"],
            "subject": "Forged ticket",
            "department": "Support",
            "priority": "Medium",
            "message": "Sent from another site.",
            "time_tracking": "y",
        },
        "admin.time_entry_edit": {
            "hours": "2",
            "work_date": today().isoformat(),
            "note": "forged",
            "billable": "y",
        },
        "admin.time_entry_delete": {"confirmed": "1"},  # the confirmation page's "Yes"
        "admin.currency_new": {"code": "USD", "decimals": "2", "prefix": "$", "suffix": ""},
        # The whole plan form, a block plan's terms too.
        "admin.plan_new": {
            "name": "Forged Blocks",
            "model": "block",
            "included_hours": "",
            "active": "y",
            "rollover_months": "0",
            "rollover_cap_hours": "",
            "block_hours": "20",
            "validity_months": "3",
            "when_used_up": "refuse",
            "price-EUR-fee": "1000.00",
            "price-EUR-rate": "70.00",
        },
        "admin.client_new": {
            "name": "Forged Client",
            "email": "forged@example.com",
            "currency": a["currency_id"],
            "active": "y",
        },
        "admin.client_user_add": {"name": "Mallory", "email": "mallory@example.com"},
        "auth.forgot_password": {"email": world.emails["client_a"]},  # a reset mail
        "auth.notifications": {"notify_alerts": "y"},
        "auth.language": {"language": "de"},
        "admin.client_subscription_action": {"confirmed": "1"},  # cancel A's subscription
        "admin.api_tokens": {"user": a["user_id"], "name": "forged"},
        "admin.api_token_revoke": {},
        "admin.invoice_mark_paid": {},
        "admin.invoice_cancel": {"confirmed": "1"},
        "admin.user_disable": {},
        "admin.emails_release_held": {"confirmed": "1"},  # the held invoice mail, queued
        "admin.settings": {
            "business_timezone": "Europe/Warsaw",
            "invoice_on_close": "y",
            "due_days": "30",
            "invoice_number_format": "{YYYY}/{MM}/{SEQ}",
            "credit_note_number_format": "CN-{YYYY}/{SEQ}",
            "send_invoices_automatically": "y",
            "reminder_days_before_due": "3",
            "overdue_reminder_days": "1, 7, 14",
            "payment_received_mail": "y",
        },
    }


def form_posts(app) -> list:
    """Every rule of the page areas that takes a POST."""
    return [
        rule
        for rule, method in checked_methods(app.url_map)
        if method == "POST" and rule.endpoint.split(".")[0] in FORM_AREAS and "POST" in rule.methods
    ]


def allowed_role(endpoint: str) -> str:
    """The first role the access table lets through this form."""
    row = TABLE[endpoint]["POST"]
    return next(role for role in ROLES if not row[role].refused)


def url_for_a(app, world: World, rule) -> str:
    """The rule's URL on client A's objects."""
    return app.url_map.bind("localhost").build(rule.endpoint, world.url_values(rule, "a"))


def refusals(app, world: World, stranger_tokens) -> list[str]:
    """POST every form with the token(s) `stranger_tokens(session)` gives; what went wrong."""
    sessions: dict[str, RoleSession] = {}
    bodies = forged_bodies(world)
    problems = []
    for rule in form_posts(app):
        role = allowed_role(rule.endpoint)
        if role not in sessions:
            sessions[role] = RoleSession(app, world, role)
        session, url = sessions[role], url_for_a(app, world, rule)
        for token, message in stranger_tokens(session):  # logins happen before the digest
            body = bodies.get(rule.endpoint, {})
            before = database_digest()
            response = session.send(rule, "POST", url, data=body, csrf_token=token)
            if response.status_code != 400 or message not in response.text:
                problems.append(f"{role} POST {url}: {response.status_code}, not 400 {message}")
            if database_digest() != before:
                problems.append(f"{role} POST {url} without a valid token changed the database")
    for role, session in sessions.items():
        # Still logged in: a refused logout (or anything else) ended no session.
        if session.browser.get(session.home).status_code != 200:
            problems.append(f"{role}: no longer reaches {session.home} after the refusals")
    return problems


@pytest.fixture
def world(f) -> World:
    """Clients A and B, staff, and their objects."""
    return seed_world(f)


def test_every_form_area_is_covered(app, world):
    areas = {rule.endpoint.split(".")[0] for rule in form_posts(app)}
    assert areas == set(FORM_AREAS)
    assert set(forged_bodies(world)) <= {rule.endpoint for rule in form_posts(app)}


def test_form_posts_without_a_token_are_refused(app, world):
    problems = refusals(app, world, lambda session: [(None, MISSING)])
    assert not problems, "\n".join(problems)


def test_form_posts_with_another_sessions_token_are_refused(app, world):
    visitor = RoleSession(app, world, "anonymous")  # what any site can fetch for itself
    others = {}  # the same user, logged in from another browser

    def strangers(session):
        """A visitor's token and the same user's other session's token."""
        if session.role not in others:
            others[session.role] = RoleSession(app, world, session.role)
        return [(visitor.csrf, MISMATCH), (others[session.role].csrf, MISMATCH)]

    problems = refusals(app, world, strangers)
    assert not problems, "\n".join(problems)


def test_the_same_posts_with_their_own_token_go_through(app, f):
    problems, proven = [], 0
    for rule in form_posts(app):
        empty_all_tables()
        world = seed_world(f)
        role = allowed_role(rule.endpoint)
        session, url = RoleSession(app, world, role), url_for_a(app, world, rule)
        body = forged_bodies(world).get(rule.endpoint)
        before = database_digest()
        response = session.send(rule, "POST", url, data=body)
        expected = TABLE[rule.endpoint]["POST"][role]
        if not expected.matches(response.status_code, response.headers.get("Location")):
            problems.append(f"{role} POST {url}: {response.status_code}, not {expected.label}")
        if body is not None:
            if database_digest() == before:
                problems.append(f"{role} POST {url} with {body} wrote nothing")
            proven += 1
    assert not problems, "\n".join(problems)
    assert proven == len(forged_bodies(world))


def test_login_without_a_token_is_refused_and_logs_nobody_in(client, world):
    before = database_digest()
    data = {"email": world.emails["admin"], "password": factories.PASSWORD}
    response = client.post("/login", data=data)
    assert response.status_code == 400 and MISSING in response.text
    assert client.get("/admin/").headers["Location"].startswith("/login")
    assert database_digest() == before


def test_the_api_ignores_a_logged_in_admins_cookie(app, world):
    admin = RoleSession(app, world, "admin")
    assert admin.browser.get("/admin/billing").status_code == 200  # the cookie works on pages
    before, problems = database_digest(), []
    for rule, method in checked_methods(app.url_map):
        if (
            not is_api(rule.endpoint)
            or method not in rule.methods
            or rule.endpoint == "api.openapi"
        ):
            continue
        url = url_for_a(app, world, rule)
        body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        response = admin.browser.open(url, method=method, **body)  # cookie, no Authorization
        if response.status_code != 401:
            problems.append(f"{method} {url} with the admin's cookie: {response.status_code}")
    assert not problems, "\n".join(problems)
    assert database_digest() == before

    currency = {"code": "USD", "decimals": 2, "prefix": "$", "suffix": "", "is_default": False}
    assert admin.browser.post("/api/v1/currencies", json=currency).status_code == 401
    assert database_digest() == before
    with_token = {"Authorization": f"Bearer {world.tokens['admin']}"}
    created = admin.api.post("/api/v1/currencies", json=currency, headers=with_token)
    assert created.status_code == 201 and created.json["code"] == "USD"
