"""Hypothesis posts random and hostile values to every form of the admin, client and auth areas.

The POST routes come from app.url_map, so a new form is fuzzed as soon as it exists (and this
module fails until its URL arguments and the page holding its form are known). Each post
carries the page's valid CSRF token, the form's fields with drawn values (some left out, some
repeated) and unknown extra fields. Expected: never a 5xx on the post or on the pages around
it; and a refusal (4xx, a re-rendered form with errors, or a redirect with an error message)
leaves every table exactly as it was.
"""

from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException

from tests import factories
from tests.fuzz.conftest import (
    HOSTILE_BYTES,
    HOSTILE_TEXT,
    NASTY_TEXT,
    STATS,
    Findings,
    FormField,
    PageForm,
    Route,
    all_routes,
    changed_tables,
    draw_arg,
    draw_mix,
    fill_path,
    fuzz_settings,
    page_forms,
    periods_around,
    send,
    snapshot,
    urlencode_pairs,
    valid_values,
)

FORM_BLUEPRINTS = ("admin", "client", "auth")
FORM_ROUTES = [r for r in all_routes() if r.method == "POST" and r.blueprint in FORM_BLUEPRINTS]

# URL arguments: the world's rows they may name (by World.ids key), or the strings to try.
INT_ARGS = {
    "client_id": ["acme", "bare", "blocky"],
    "ticket_id": ["acme_ticket", "bare_ticket"],  # for a client user: its own, and another's
    "invoice_id": ["invoice"],
    "entry_id": ["open_entry", "closed_entry"],
    "token_id": ["token"],
    "currency_id": ["eur", "usd"],
    "tax_rate_id": ["vat", "reduced"],
    "plan_id": ["plan", "hourly"],
    "subscription_id": ["subscription", "block_subscription"],
    "user_id": ["operator", "client_user"],
    "email_id": ["acme_email"],
}
STR_ARGS = {
    "period": lambda world: periods_around(world),
    "action": lambda world: ["cancel", "reprice", "remove", "delete", "CANCEL"],
    # A mailed link's token: none of these was made here (the real ones: tests/auth).
    "token": lambda world: ["x", "a" * 400, "eyJ.forged.sig", "%2e%2e"],
}

# Where the form of a POST-only route is shown: (endpoint of the page, its arguments as a
# function of the post's arguments and the world). Routes that also answer GET show their own.
PAGE_OF = {
    "auth.logout": None,  # every page's navbar: the role's home
    "admin.api_token_revoke": ("admin.api_tokens", lambda a, w: {}),
    "admin.billing_close": ("admin.billing", lambda a, w: {}),
    "admin.billing_preview": ("admin.billing", lambda a, w: {}),
    "admin.billing_invoice_waiting": ("admin.billing", lambda a, w: {}),
    "admin.client_assign_plan": ("admin.client", lambda a, w: {"client_id": a["client_id"]}),
    "admin.client_subscription_action": (
        "admin.client",
        lambda a, w: {"client_id": a["client_id"]},
    ),
    "admin.client_user_add": ("admin.client", lambda a, w: {"client_id": a["client_id"]}),
    "admin.client_one_off_add": ("admin.client", lambda a, w: {"client_id": a["client_id"]}),
    "admin.client_top_up": ("admin.client", lambda a, w: {"client_id": a["client_id"]}),
    "admin.invoice_cancel": ("admin.invoice", lambda a, w: {"invoice_id": a["invoice_id"]}),
    "admin.invoice_mark_paid": ("admin.invoice", lambda a, w: {"invoice_id": a["invoice_id"]}),
    "admin.invoice_payment_add": ("admin.invoice", lambda a, w: {"invoice_id": a["invoice_id"]}),
    "admin.ticket_update": ("admin.ticket", lambda a, w: {"ticket_id": a["ticket_id"]}),
    "admin.ticket_tracking": ("admin.ticket", lambda a, w: {"ticket_id": a["ticket_id"]}),
    "admin.time_entry_delete": (
        "admin.ticket",
        lambda a, w: {"ticket_id": w.ids["acme_ticket"]},
    ),
    "client.ticket_close": ("client.ticket", lambda a, w: {"ticket_id": a["ticket_id"]}),
    "admin.user_disable": ("admin.users", lambda a, w: {}),
    "admin.user_enable": ("admin.users", lambda a, w: {}),
    "admin.user_new": ("admin.users", lambda a, w: {}),
    "admin.user_role": ("admin.users", lambda a, w: {}),
    "admin.user_invite": ("admin.users", lambda a, w: {}),
    "auth.notifications": ("auth.change_password", lambda a, w: {}),
    "auth.language": ("auth.change_password", lambda a, w: {}),
    "auth.time_format": ("auth.change_password", lambda a, w: {}),
    "admin.email_retry": ("admin.email", lambda a, w: {"email_id": a["email_id"]}),
    "admin.emails_release_held": ("admin.emails", lambda a, w: {}),
}
HOME = {"admin": "/admin/", "client": "/client/", None: "/login"}
# Forms used before logging in: the login, "Forgot password?" and the mailed links' pages.
LOGGED_OUT_FORMS = {
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "auth.accept_invitation",
}
# A refused submit shows one of these: a field's message, the form's errors, a danger flash.
ERROR_MARKERS = ('class="invalid-feedback"', 'role="alert"', 'alert-danger" role="status"')
WRITES_NOTHING = {"admin.billing_preview"}


def role_of(route: Route) -> str | None:
    """Who uses the form: admins the staff area, the client user the client area; the login
    form is used logged out, the other auth forms by a logged-in client user."""
    if route.blueprint == "admin":
        return "admin"
    if route.endpoint in LOGGED_OUT_FORMS:
        return None
    return "client"


def page_route(endpoint: str) -> Route:
    """The GET route of an endpoint."""
    for route in all_routes():
        if route.endpoint == endpoint and route.method == "GET":
            return route
    raise LookupError(f"no GET route for {endpoint}")


def page_of(route: Route):
    """(page endpoint, argument function) for a route; fails loudly when it is not known."""
    for other in all_routes():
        if other.rule == route.rule and other.method == "GET":
            return (other.endpoint, lambda a, w: a)
    if route.endpoint not in PAGE_OF:
        pytest.fail(
            f"{route} ({route.endpoint}) is a POST-only form route the fuzzer cannot place: "
            "add the page that shows its form to PAGE_OF in tests/fuzz/test_fuzz_forms.py"
        )
    return PAGE_OF[route.endpoint]


def check_args_known(route: Route) -> None:
    """Fail loudly when a route has a URL argument the fuzzer cannot fill."""
    for conv, name in route.args:
        known = INT_ARGS if conv == "int" else STR_ARGS
        if name not in known:
            pytest.fail(
                f"{route} has URL argument <{conv}:{name}> the fuzzer cannot map: "
                "add it to INT_ARGS or STR_ARGS in tests/fuzz/test_fuzz_forms.py"
            )


class Browser:
    """A test client acting as one role, logged in through the real login form.

    A fuzzed post may log it out (logout, a password change): it then logs in again, each
    time from a new client address, so the login rate limit never gets in the way.
    """

    def __init__(self, app, role: str | None):
        self.app = app
        self.role = role
        self.addresses = 0
        self.client = self._new_client()

    def _new_client(self):
        """A test client with no cookies, from an address of its own."""
        self.addresses += 1
        client = self.app.test_client()
        n = self.addresses
        client.environ_base["REMOTE_ADDR"] = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        return client

    @property
    def home(self) -> str:
        """The role's landing page."""
        return HOME[self.role]

    def login(self, world) -> None:
        """Start over with a fresh client and, for a role, log in through the form."""
        self.client = self._new_client()
        if self.role is None:
            return
        page = self.client.get("/login")
        csrf = next(f.csrf for f in page_forms(page.text) if f.csrf)
        data = {"email": world.emails[self.role], "password": factories.PASSWORD}
        answer = self.client.post("/login", data={**data, "csrf_token": csrf})
        assert answer.status_code == 302, f"cannot log in as {self.role}: {answer.status_code}"

    def get(self, path: str, world):
        """GET a page, logging in again first when the session has been ended."""
        response = self.client.get(path)
        if self.role is not None and _to_login(response):
            self.login(world)
            response = self.client.get(path)
        return response

    def pop_flashes(self) -> list:
        """The flashed (category, message) pairs waiting in the session, removed from it."""
        with self.client.session_transaction() as session:
            return list(session.pop("_flashes", []))


def _to_login(response) -> bool:
    """True for a redirect to the login page."""
    return response.status_code in (301, 302, 303) and urlsplit(
        response.headers.get("Location", "")
    ).path.startswith("/login")


def choose_form(app, forms: list[PageForm], post_path: str, page_path: str) -> PageForm | None:
    """The page's form that posts to this URL, else one posting to the same endpoint."""
    posting = [f for f in forms if f.method == "post"]
    for form in posting:
        if unquote(urlsplit(form.action).path or page_path) == unquote(post_path):
            return form
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(post_path, method="POST")
    except HTTPException:
        return None
    for form in posting:
        try:
            if adapter.match(urlsplit(form.action).path or page_path, method="POST")[0] == endpoint:
                return form
        except HTTPException:
            continue
    return None


def field_kind(control: FormField) -> str:
    """What a control holds, from its type and name."""
    name = control.name.lower()
    if control.kind in ("select", "checkbox", "hidden"):
        return control.kind
    if control.kind == "date" or "date" in name:
        return "date"
    if control.kind == "month" or name in ("from", "to"):
        return "period"
    for part, kind in (
        ("hours", "hours"),
        ("price-", "money"),
        ("email", "email"),
        ("password", "password"),
        ("format", "format"),
    ):
        if part in name:
            return kind
    if control.kind == "password":
        return "password"
    named = {"code": "code", "decimals": "intstr", "due_days": "intstr", "iban": "iban"}
    named |= {"amount": "money", "unit_price": "money", "quantity": "hours"}
    named |= {"bic": "bic", "tax_id": "tax_id", "phone": "phone", "percent": "percent"}
    return named.get(name, "text")


def plausible(control: FormField, world) -> list[str]:
    """Values a person could type or pick in this control."""
    kind = field_kind(control)
    if kind == "select":
        return [*control.options, ""] if control.options else [""]
    if kind == "checkbox":
        return ["y", "on", "1", "0", "false", ""]
    if kind == "hidden":
        return ["0", "1", "", "2"]
    if kind == "intstr":
        return ["0", "2", "4", "14", "365", "366", " 3 "]
    return [str(v) for v in valid_values(kind, world)]


def draw_value(data, control: FormField, world, kind: str):
    """A plausible value, a nasty one, or hostile text or (one time in five) bytes that are
    not UTF-8."""
    if kind == "plausible":
        return data.draw(st.sampled_from(plausible(control, world)))
    if kind == "nasty":
        return data.draw(st.sampled_from(NASTY_TEXT))
    if data.draw(st.integers(0, 4)) == 0:
        return data.draw(HOSTILE_BYTES)
    return data.draw(HOSTILE_TEXT)


def draw_pairs(data, fields: list[FormField], world) -> list:
    """The submitted (name, value) pairs: each field left out, sent once, or twice; extras."""
    mix = draw_mix(data, len(fields))
    pairs = []
    for index, control in enumerate(fields):
        kind = mix.pick(data, index)
        times = 1 if kind == "nasty" else data.draw(st.sampled_from([0] + [1] * 18 + [2]))
        pairs += [(control.name, draw_value(data, control, world, kind)) for _ in range(times)]
    if data.draw(st.integers(0, 3)) == 0:
        names = st.sampled_from(["id", "client_id", "role", "is_admin", "status", "submit"])
        extra = st.tuples(names | HOSTILE_TEXT, HOSTILE_TEXT | HOSTILE_BYTES)
        pairs += data.draw(st.lists(extra, min_size=1, max_size=2))
    return pairs


def refused(browser: Browser, response) -> bool:
    """True when the app said no: a 4xx, a form shown again with errors, or an error flash."""
    if 400 <= response.status_code < 500:
        return True
    if 300 <= response.status_code < 400:
        return any(cat in ("danger", "error") for cat, _msg in browser.pop_flashes())
    return any(marker in response.get_data(as_text=True) for marker in ERROR_MARKERS)


def describe(url: str, role, pairs: list) -> str:
    """A reproducible description of a form post (the CSRF token left out)."""
    return f"POST {url} as {role or 'anonymous'}, form: {urlencode_pairs(pairs) or '(empty)'}"


def test_every_form_route_is_mapped():
    """Every POST route of the page areas has known URL arguments and a page with its form."""
    assert {r.blueprint for r in FORM_ROUTES} == set(FORM_BLUEPRINTS)
    for route in FORM_ROUTES:
        check_args_known(route)
        page_of(route)


@pytest.mark.parametrize("route", FORM_ROUTES, ids=str)
def test_form_survives_hostile_posts(route, fuzz_app, shop, server_log):
    """Hostile posts to one form: never a 5xx; a refused post changes no table."""
    check_args_known(route)
    page_endpoint, page_args = page_of(route) or (None, None)
    role = role_of(route)
    app = fuzz_app
    browser = Browser(app, role)
    findings = Findings()
    STATS["forms"].add(route.endpoint)

    def checked_get(path: str, world):
        """GET a page around the post; a 5xx there is a finding too."""
        return send(findings, server_log, f"GET {path}", lambda: browser.get(path, world))

    @fuzz_settings("form")
    @given(st.data())
    def one_post(data):
        world = shop.world
        args = {
            name: draw_arg(data, conv, name, world, INT_ARGS, STR_ARGS) for conv, name in route.args
        }
        url = fill_path(route.rule, args)
        if role is None:
            browser.login(world)  # the login form is used logged out, from a fresh client
        page_path = (
            fill_path(page_route(page_endpoint).rule, page_args(args, world))
            if page_endpoint
            else browser.home
        )
        page = checked_get(page_path, world)
        forms = page_forms(page.get_data(as_text=True)) if page and page.status_code == 200 else []
        form = choose_form(app, forms, url, page_path)
        if not any(f.csrf for f in forms):  # the form's page is gone (an unknown id): any page
            home = checked_get(browser.home, world)
            forms = page_forms(home.get_data(as_text=True)) if home else []
        csrf = (form.csrf if form and form.csrf else None) or next(
            (f.csrf for f in forms if f.csrf), "no-token-found"
        )
        pairs = draw_pairs(data, list(form.fields.values()) if form else [], world)
        body = urlencode_pairs([("csrf_token", csrf), *pairs])

        before = snapshot()
        request_text = describe(url, role, pairs)
        response = send(
            findings,
            server_log,
            request_text,
            lambda: browser.client.post(
                url, data=body.encode("ascii"), content_type="application/x-www-form-urlencoded"
            ),
        )
        STATS["form_posts"] += 1
        status = response.status_code if response else 500
        said_no = status >= 500 or refused(browser, response)
        after = snapshot()
        changed = changed_tables(before, after)
        if changed and (said_no or route.endpoint in WRITES_NOTHING):
            findings.add(("refused yet changed", status, ", ".join(changed)), request_text)
        if not said_no and 300 <= status < 400 and not _to_login(response):
            checked_get(urlsplit(response.headers["Location"]).path, world)
        if changed:
            shop.restore()

    one_post()
    findings.check()
