"""The access table: per endpoint and method, what each of the five roles gets.

This is the one source of truth for who may call what, pages and API alike. The matrix test
walks `app.url_map` and fails when a rule has no row here, or a row names an endpoint that
no longer exists. Every rule is requested with GET and POST (the API also with the PUT,
PATCH and DELETE it serves); a method no rule of that path serves is expected to be 405 and
is listed under the endpoint whose name sorts first among that path's rules.

URL arguments come from the seeded world (tests/security/__init__.py): client A's objects
for anonymous and staff, client B's own objects for client B. Client B is also sent to every
id of client A (the id-swap checks), where a route client users may use must answer 404.
"""

from dataclasses import dataclass

from werkzeug.routing import Rule

ROLES = ("anonymous", "client_a", "client_b", "operator", "admin")
SKIPPED_ENDPOINTS = frozenset({"static", "bootstrap.static"})
IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
ALWAYS_TRIED = frozenset({"GET", "POST"})


@dataclass(frozen=True)
class Outcome:
    """An expected answer: the statuses that match, where a redirect leads, refused or not."""

    label: str
    statuses: frozenset[int]
    refused: bool
    location: str | None = None

    def matches(self, status: int, location: str | None) -> bool:
        """True when a response's status (and redirect path) is this outcome."""
        if status not in self.statuses:
            return False
        if self.location is not None:
            return location is not None and location.split("?")[0] == self.location
        # Getting past the guard never means being sent to the login page.
        return status != 302 or not (location or "").startswith("/login")


def _answer(label: str, *statuses: int, refused: bool, location: str | None = None) -> Outcome:
    """An Outcome from its statuses."""
    return Outcome(label, frozenset(statuses), refused, location)


OK = _answer("200", 200, refused=False)
# An allowed role got past the guard. With an empty form or body the view may re-render with
# errors (200/422), do what the route does and redirect or answer (201/204/302), or refuse
# the input (400/409). Never 401/403/404/405, never 5xx, never a redirect to the login page.
PASSES = _answer("past the guard", 200, 201, 204, 302, 400, 409, 422, refused=False)
TO_STAFF_HOME = _answer("302 to /admin/", 302, refused=False, location="/admin/")
TO_CLIENT_HOME = _answer("302 to /client/", 302, refused=False, location="/client/")
LOGGED_OUT = _answer("302 to /login, logged out", 302, refused=False, location="/login")
LOGIN = _answer("302 to /login", 302, refused=True, location="/login")
UNAUTHORIZED = _answer("401", 401, refused=True)
FORBIDDEN = _answer("403", 403, refused=True)
NOT_FOUND = _answer("404", 404, refused=True)
NOT_ALLOWED = _answer("405", 405, refused=True)


def roles(anonymous, client_a, client_b, operator, admin) -> dict[str, Outcome]:
    """One table cell per role, in ROLES order."""
    return dict(zip(ROLES, (anonymous, client_a, client_b, operator, admin), strict=True))


# Pages (the /admin guard sends clients 403, the /client guard sends staff 403).
STAFF_PAGE = roles(LOGIN, FORBIDDEN, FORBIDDEN, OK, OK)
ADMIN_PAGE = roles(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
CLIENT_PAGE = roles(LOGIN, OK, OK, FORBIDDEN, FORBIDDEN)
USER_PAGE = roles(LOGIN, OK, OK, OK, OK)
STAFF_FORM = roles(LOGIN, FORBIDDEN, FORBIDDEN, PASSES, PASSES)
ADMIN_FORM = roles(LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, PASSES)
CLIENT_FORM = roles(LOGIN, PASSES, PASSES, FORBIDDEN, FORBIDDEN)
USER_FORM = roles(LOGIN, PASSES, PASSES, PASSES, PASSES)
NO_SUCH_METHOD = roles(NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED, NOT_ALLOWED)
# API (bearer tokens; no token is 401 whatever the route).
API_ANY_READ = roles(UNAUTHORIZED, OK, OK, OK, OK)
API_STAFF_READ = roles(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, OK, OK)
API_ADMIN_READ = roles(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK)
API_OWN_READ = roles(UNAUTHORIZED, OK, OK, FORBIDDEN, OK)  # "admin; client (own)"
API_ANY_WRITE = roles(UNAUTHORIZED, PASSES, PASSES, PASSES, PASSES)
API_STAFF_WRITE = roles(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, PASSES, PASSES)
API_ADMIN_WRITE = roles(UNAUTHORIZED, FORBIDDEN, FORBIDDEN, FORBIDDEN, PASSES)
PUBLIC = roles(OK, OK, OK, OK, OK)
# A mailed link's page with a token that is no link (the world's): "this link no longer works".
LINK_REFUSED = _answer("400 link refused", 400, refused=False)
LINK_PAGE = roles(LINK_REFUSED, LINK_REFUSED, LINK_REFUSED, LINK_REFUSED, LINK_REFUSED)
ANYONE_FORM = roles(PASSES, PASSES, PASSES, PASSES, PASSES)

TABLE: dict[str, dict[str, dict[str, Outcome]]] = {
    # auth: the landing page sends each role home; logging in again just goes home.
    "auth.index": {
        "GET": roles(LOGIN, TO_CLIENT_HOME, TO_CLIENT_HOME, TO_STAFF_HOME, TO_STAFF_HOME),
        "POST": NO_SUCH_METHOD,
    },
    "auth.login": {
        "GET": roles(OK, TO_CLIENT_HOME, TO_CLIENT_HOME, TO_STAFF_HOME, TO_STAFF_HOME),
        "POST": roles(PASSES, TO_CLIENT_HOME, TO_CLIENT_HOME, TO_STAFF_HOME, TO_STAFF_HOME),
    },
    "auth.logout": {
        "GET": NO_SUCH_METHOD,
        "POST": roles(LOGIN, LOGGED_OUT, LOGGED_OUT, LOGGED_OUT, LOGGED_OUT),
    },
    "auth.change_password": {"GET": USER_PAGE, "POST": USER_FORM},
    "auth.time_format": {"GET": NO_SUCH_METHOD, "POST": USER_FORM},
    "auth.notifications": {"GET": NO_SUCH_METHOD, "POST": USER_FORM},
    "auth.language": {"GET": NO_SUCH_METHOD, "POST": USER_FORM},
    # "Forgot password?" and the mailed links: open to anyone, logged in or not.
    "auth.forgot_password": {"GET": PUBLIC, "POST": ANYONE_FORM},
    "auth.reset_password": {"GET": LINK_PAGE, "POST": LINK_PAGE},
    "auth.accept_invitation": {"GET": LINK_PAGE, "POST": LINK_PAGE},
    "auth.healthz": {"GET": roles(OK, OK, OK, OK, OK), "POST": NO_SUCH_METHOD},
    # admin: staff pages
    "admin.index": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.clients": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.client": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.invoices": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.invoice": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.invoice_pdf": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.invoice_xml": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.hours_report_page": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.hours_report_csv": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.ticket": {"GET": STAFF_PAGE},
    "admin.ticket_update": {"POST": STAFF_FORM},  # the inline update form, same path
    "admin.ticket_tracking": {"GET": NO_SUCH_METHOD, "POST": STAFF_FORM},
    "admin.attachment": {"GET": STAFF_PAGE, "POST": NO_SUCH_METHOD},
    "admin.ticket_new": {"GET": STAFF_PAGE, "POST": STAFF_FORM},
    # The world's entry is the operator's own, so the operator may edit and delete it.
    "admin.time_entry_edit": {"GET": STAFF_PAGE, "POST": STAFF_FORM},
    "admin.time_entry_delete": {"GET": NO_SUCH_METHOD, "POST": STAFF_FORM},
    # admin: admin-only pages
    "admin.users": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.user_disable": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.user_enable": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.user_new": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.user_invite": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.user_role": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.audit_log": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.audit_log_csv": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.api_tokens": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.api_token_revoke": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.billing": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.billing_preview": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.billing_close": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.billing_invoice_waiting": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.client_new": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.client_edit": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.client_assign_plan": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.client_subscription_action": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.client_user_add": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.currencies": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.currency_new": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.currency_edit": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.tax_rates": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.tax_rate_new": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.tax_rate_edit": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.plans": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.plan_new": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.plan_edit": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.settings": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.business_profile": {"GET": ADMIN_PAGE, "POST": ADMIN_FORM},
    "admin.invoice_mark_paid": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.invoice_cancel": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.invoice_payment_add": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.client_one_off_add": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    # SPEC "Prepaid blocks": a top-up by an admin, or an operator (API.md: staff).
    "admin.client_top_up": {"GET": NO_SUCH_METHOD, "POST": STAFF_FORM},
    "admin.emails": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.email": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.email_eml": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.email_html": {"GET": ADMIN_PAGE, "POST": NO_SUCH_METHOD},
    "admin.email_retry": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    "admin.emails_release_held": {"GET": NO_SUCH_METHOD, "POST": ADMIN_FORM},
    # client area
    "client.dashboard": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.tickets": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.ticket": {"GET": CLIENT_PAGE, "POST": CLIENT_FORM},
    "client.ticket_close": {"GET": NO_SUCH_METHOD, "POST": CLIENT_FORM},
    "client.attachment": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.ticket_new": {"GET": CLIENT_PAGE, "POST": CLIENT_FORM},
    "client.usage": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.invoices": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.invoice": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.invoice_pdf": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.invoice_xml": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.export_time_entries": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.export_usage": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.emails": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    "client.email": {"GET": CLIENT_PAGE, "POST": NO_SUCH_METHOD},
    # API v1 (API.md's "Endpoints" table)
    "api.openapi": {"GET": PUBLIC, "POST": NO_SUCH_METHOD},
    "api.me": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.me_patch": {"PATCH": API_ANY_WRITE},
    "api.users_create": {"POST": API_ADMIN_WRITE, "GET": NO_SUCH_METHOD},
    "api.users_patch": {"PATCH": API_ADMIN_WRITE, "GET": NO_SUCH_METHOD, "POST": NO_SUCH_METHOD},
    "api.settings": {"GET": API_ADMIN_READ, "POST": NO_SUCH_METHOD},
    "api.settings_put": {"PUT": API_ADMIN_WRITE},
    "api.settings_patch": {"PATCH": API_ADMIN_WRITE},
    "api.business_profile": {"GET": API_STAFF_READ, "POST": NO_SUCH_METHOD},
    "api.business_profile_put": {"PUT": API_ADMIN_WRITE},
    "api.currencies_create": {"POST": API_ADMIN_WRITE},
    "api.currencies_list": {"GET": API_ANY_READ},
    "api.tax_rates_create": {"POST": API_ADMIN_WRITE},
    "api.tax_rates_list": {"GET": API_STAFF_READ},
    "api.tax_rates_patch": {
        "PATCH": API_ADMIN_WRITE,
        "GET": NO_SUCH_METHOD,
        "POST": NO_SUCH_METHOD,
    },
    "api.plans_create": {"POST": API_ADMIN_WRITE},
    "api.plans_list": {"GET": API_STAFF_READ},
    "api.plans_get": {"GET": API_STAFF_READ, "POST": NO_SUCH_METHOD},
    "api.plans_patch": {"PATCH": API_ADMIN_WRITE},
    "api.clients_create": {"POST": API_ADMIN_WRITE},
    "api.clients_list": {"GET": API_STAFF_READ},
    "api.clients_get": {"GET": API_STAFF_READ, "POST": NO_SUCH_METHOD},
    "api.clients_patch": {"PATCH": API_ADMIN_WRITE},
    "api.subscriptions_create": {"POST": API_STAFF_WRITE},
    "api.subscriptions_list": {"GET": API_STAFF_READ},
    "api.subscriptions_cancel": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.subscriptions_top_up": {"GET": NO_SUCH_METHOD, "POST": API_STAFF_WRITE},
    "api.clients_usage": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.tickets_create": {"POST": API_ANY_WRITE},
    "api.tickets_list": {"GET": API_ANY_READ},
    "api.tickets_get": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.tickets_patch": {"PATCH": API_ANY_WRITE},  # a client: close its own only
    "api.tickets_reply": {"GET": NO_SUCH_METHOD, "POST": API_ANY_WRITE},
    "api.attachments_get": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.entries_create": {"POST": API_STAFF_WRITE},
    "api.entries_list": {"GET": API_ANY_READ},
    # "author or admin": the world's entries are the operator's.
    "api.entries_delete": {
        "DELETE": API_STAFF_WRITE,
        "GET": NO_SUCH_METHOD,
        "POST": NO_SUCH_METHOD,
    },
    "api.entries_patch": {"PATCH": API_STAFF_WRITE},
    "api.periods_list": {"GET": API_ADMIN_READ, "POST": NO_SUCH_METHOD},
    "api.periods_preview": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.periods_close": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.items_list": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.invoices_list": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.invoices_get": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.invoices_pdf": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.invoices_xml": {"GET": API_ANY_READ, "POST": NO_SUCH_METHOD},
    "api.invoices_mark_paid": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.invoices_cancel": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.invoices_pay": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.clients_add_item": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.emails_list": {"GET": API_OWN_READ, "POST": NO_SUCH_METHOD},
    "api.emails_get": {"GET": API_OWN_READ, "POST": NO_SUCH_METHOD},
    "api.emails_retry": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
    "api.emails_release_held": {"GET": NO_SUCH_METHOD, "POST": API_ADMIN_WRITE},
}


def is_api(endpoint: str) -> bool:
    """True for the JSON API's endpoints (bearer tokens instead of a session)."""
    return endpoint.startswith("api.")


def checked_methods(url_map) -> list[tuple[Rule, str]]:
    """Every (rule, method) the matrix requests, in a stable order.

    A method that some rule of the path serves belongs to that rule; GET or POST that no rule
    of the path serves is checked once, as 405, under the path's first endpoint by name.
    """
    by_path: dict[str, list[Rule]] = {}
    for rule in url_map.iter_rules():
        if rule.endpoint not in SKIPPED_ENDPOINTS:
            by_path.setdefault(rule.rule, []).append(rule)
    checks = []
    for path in sorted(by_path):
        rules = sorted(by_path[path], key=lambda r: r.endpoint)
        served = {m: r for r in rules for m in r.methods - IGNORED_METHODS}
        for method in sorted(set(served) | ALWAYS_TRIED):
            checks.append((served.get(method, rules[0]), method))
    return checks


def missing_rows(url_map) -> list[str]:
    """What to add to TABLE: one line per (endpoint, method) without an expected outcome."""
    problems = []
    for rule, method in checked_methods(url_map):
        if method not in TABLE.get(rule.endpoint, {}):
            problems.append(
                f'{rule.endpoint} {method} {rule.rule}: add "{rule.endpoint}": '
                f'{{"{method}": <outcome per role>}} to tests/security/routes.py TABLE'
            )
    return problems


def stale_rows(url_map) -> list[str]:
    """Rows of TABLE that no rule needs: endpoints that are gone, or methods not checked."""
    checked: dict[str, set[str]] = {}
    for rule in url_map.iter_rules():
        checked.setdefault(rule.endpoint, set())
    for rule, method in checked_methods(url_map):
        checked[rule.endpoint].add(method)
    problems = []
    for endpoint, row in TABLE.items():
        if endpoint not in checked:
            problems.append(f"{endpoint}: no such endpoint any more; remove its row")
            continue
        for method in sorted(set(row) - checked[endpoint]):
            problems.append(f"{endpoint} {method}: not requested under this endpoint; remove it")
    return problems


def owns_an_id(rule: Rule) -> bool:
    """True when the rule's URL names an object by id."""
    return any(name.endswith("_id") for name in rule.arguments)
