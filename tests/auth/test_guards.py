"""One guard per area: anonymous to login, wrong role 403, admin-only pages for admins."""

import pytest

PAGES = {
    # path: roles that get 200; everyone else logged in gets 403
    "/admin/": {"admin", "operator"},
    "/admin/users": {"admin"},
    "/admin/api-tokens": {"admin"},
    "/admin/billing": {"admin"},
    "/admin/plans": {"admin"},
    "/admin/currencies": {"admin"},
    "/admin/settings": {"admin"},
    "/admin/emails": {"admin"},
    "/admin/clients": {"admin", "operator"},
    "/admin/invoices": {"admin", "operator"},
    "/admin/reports/hours": {"admin", "operator"},
    "/client/usage": {"client"},
    "/client/invoices": {"client"},
    "/client/emails": {"client"},
    "/client/": {"client"},
}


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_redirected_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["admin", "operator", "client"])
@pytest.mark.parametrize("path", PAGES)
def test_each_role_reaches_only_its_pages(client, auth, f, role, path):
    auth.login(f.user(role).email)
    response = client.get(path)
    expected = 200 if role in PAGES[path] else 403
    assert response.status_code == expected
    if expected == 403:
        assert "Not allowed" in response.text


ADMIN_ONLY = {
    "/admin/api-tokens",
    "/admin/api-tokens/<int:token_id>/revoke",
    "/admin/users",
    "/admin/audit",
    "/admin/audit.csv",
    "/admin/emails",
    "/admin/emails/<int:email_id>",
    "/admin/emails/<int:email_id>/html",
    "/admin/emails/<int:email_id>.eml",
    "/admin/emails/<int:email_id>/retry",
    "/admin/emails/release-held",
    "/admin/users/<int:user_id>/disable",
    "/admin/users/<int:user_id>/enable",
    "/admin/users/<int:user_id>/invite",
    "/admin/users/new",
    "/admin/users/<int:user_id>/role",
    "/admin/settings",
    "/admin/settings/business-profile",
    "/admin/billing",
    "/admin/billing/<period>/close",
    "/admin/billing/<period>/preview",
    "/admin/billing/invoice-waiting",
    "/admin/currencies",
    "/admin/currencies/new",
    "/admin/currencies/<int:currency_id>/edit",
    "/admin/tax-rates",
    "/admin/tax-rates/new",
    "/admin/tax-rates/<int:tax_rate_id>/edit",
    "/admin/plans",
    "/admin/plans/new",
    "/admin/plans/<int:plan_id>/edit",
    "/admin/clients/new",
    "/admin/clients/<int:client_id>/edit",
    "/admin/clients/<int:client_id>/subscriptions",
    "/admin/clients/<int:client_id>/subscriptions/<int:subscription_id>/<action>",
    "/admin/clients/<int:client_id>/users",
    "/admin/clients/<int:client_id>/one-off-items",
    "/admin/invoices/<int:invoice_id>/cancel",
    "/admin/invoices/<int:invoice_id>/mark-paid",
    "/admin/invoices/<int:invoice_id>/payments",
}


def test_admin_only_pages_are_marked(app):
    marked = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if getattr(app.view_functions[rule.endpoint], "admin_only", False)
    }
    assert marked == ADMIN_ONLY
    assert {p for p, roles in PAGES.items() if roles == {"admin"}} <= ADMIN_ONLY


def test_staff_navigation_differs_by_role(client, auth, f):
    auth.login(f.user("operator").email)
    page = client.get("/admin/").text
    assert 'href="/admin/users"' not in page
    auth.logout()
    auth.login(f.user("admin").email)
    assert 'href="/admin/users"' in client.get("/admin/").text


def test_unknown_page_is_a_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Not found" in response.text
