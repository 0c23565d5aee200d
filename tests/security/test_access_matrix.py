"""Who may call what: every rule of app.url_map as anonymous, client A, client B, operator
and admin, against the table in tests/security/routes.py; plus client B on client A's ids.

One walk (a module fixture) sends every request once and records what went wrong; each test
below asserts one property of that walk. Pages are requested through a browser session
with a valid CSRF token from a page of that session, the API with the role's bearer token.
Bodies are empty: the point is the access decision, not the form. A refused request (and
any GET) must leave every table as it was; after an allowed request that changed something
(or logged out), the world is seeded afresh and the role logs in again.
"""

import re
from dataclasses import dataclass, field

import pytest
from flask import Response

from portal import create_app
from portal.database import write_intent
from portal.extensions import db
from tests import factories
from tests.helpers import FreshContextClient, empty_all_tables, make_config
from tests.security import RoleSession, World, database_digest, seed_world
from tests.security.routes import (
    LOGGED_OUT,
    NO_SUCH_METHOD,
    NOT_FOUND,
    ROLES,
    TABLE,
    checked_methods,
    is_api,
    missing_rows,
    owns_an_id,
    stale_rows,
)

# src/href/action attributes (not text) that point at another host, with or without scheme.
OUTSIDE_REFERENCE = re.compile(
    r"""(?:\bsrc|\bhref|\baction|\bformaction|\bsrcset|\bposter)\s*=\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def header_problems(response: Response, *, logged_in: bool) -> list[str]:
    """What is wrong with a page's security headers (empty when nothing is)."""
    headers = response.headers
    problems = []
    csp = headers.get("Content-Security-Policy", "")
    directives = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name.lower()] = value
    if "'self'" not in directives.get("default-src", "").split():
        problems.append(f"CSP without default-src 'self': {csp!r}")
    if directives.get("frame-ancestors", "").strip() != "'none'":
        problems.append(f"CSP without frame-ancestors 'none': {csp!r}")
    script_src = directives.get("script-src", directives.get("default-src", ""))
    if "'unsafe-inline'" in script_src:
        problems.append(f"CSP allows inline scripts: {csp!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if headers.get("X-Frame-Options") != "DENY":
        problems.append(f"X-Frame-Options is {headers.get('X-Frame-Options')!r}")
    if headers.get("Referrer-Policy") != "strict-origin-when-cross-origin":
        problems.append(f"Referrer-Policy is {headers.get('Referrer-Policy')!r}")
    if "Strict-Transport-Security" in headers:
        problems.append("Strict-Transport-Security sent over plain HTTP")
    if logged_in:
        problems.extend(cache_problems(response))
    return problems


# Pages made to be framed by the portal's own pages, and so held to a stricter rule instead:
# a sandbox (opaque origin, no script), no source of anything but inline styles and data:
# images, and framing by the portal alone. (A stored email's HTML part: admin.email_html.)
FRAMED_ENDPOINTS = frozenset({"admin.email_html"})
FRAMED_POLICY = {
    "sandbox": "",
    "default-src": "'none'",
    "style-src": "'unsafe-inline'",
    "img-src": "data:",
    "base-uri": "'none'",
    "form-action": "'none'",
    "frame-ancestors": "'self'",
}


def framed_problems(response: Response, *, logged_in: bool) -> list[str]:
    """What is wrong with a sandboxed, framed page's headers (empty when nothing is)."""
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    directives = {}
    for part in csp.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name.lower()] = value.strip()
    problems = []
    if directives != FRAMED_POLICY:
        problems.append(f"framed page CSP is {csp!r}, not the sandbox policy")
    if headers.get("X-Frame-Options") != "SAMEORIGIN":
        problems.append(f"X-Frame-Options is {headers.get('X-Frame-Options')!r}")
    if headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"X-Content-Type-Options is {headers.get('X-Content-Type-Options')!r}")
    if logged_in:
        problems.extend(cache_problems(response))
    return problems


def cache_problems(response: Response) -> list[str]:
    """An answer to a logged-in user that a browser or proxy could store."""
    cache_control = response.headers.get("Cache-Control", "")
    if "no-store" not in [d.strip().lower() for d in cache_control.split(",")]:
        return [f"Cache-Control is {cache_control!r}, without no-store"]
    return []


def assert_security_headers(response: Response, *, logged_in: bool) -> None:
    """A page carries the CSP, framing, sniffing and referrer headers (no-store if logged in)."""
    problems = header_problems(response, logged_in=logged_in)
    assert not problems, "; ".join(problems)


def outside_references(html: str) -> list[str]:
    """src/href/action attributes of a page that load or link another host."""
    return [html[m.start() : m.end() + 40] for m in OUTSIDE_REFERENCE.finditer(html)]


@dataclass
class Findings:
    """What the walk saw: counts, and one line per thing that went wrong."""

    route_methods: int = 0
    requests: int = 0
    id_swaps: int = 0
    pages_checked: int = 0
    wrong_answers: list[str] = field(default_factory=list)
    swap_answers: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    cache: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


class Walk:
    """Every checked (rule, method) as every role, then client B on client A's ids."""

    def __init__(self, app):
        """Prepare the list of requests from the url_map and the table."""
        self.app = app
        self.checks = [
            (rule, method)
            for rule, method in checked_methods(app.url_map)
            if method in TABLE.get(rule.endpoint, {})
        ]
        self.found = Findings(route_methods=len(self.checks))

    def fresh(self, role: str) -> tuple[World, RoleSession]:
        """An emptied database, a newly seeded world, and the role logged in to it."""
        empty_all_tables()
        world = seed_world(factories)
        return world, RoleSession(self.app, world, role)

    def run(self) -> Findings:
        """Walk the matrix for each role, then the id swaps; return what was found."""
        for role in ROLES:
            world, session = self.fresh(role)
            for rule, method in self.checks:
                expected = TABLE[rule.endpoint][method][role]
                # Client B's own objects for client B; client A's for everybody else.
                owner = "b" if role == "client_b" else "a"
                url = self.url(rule, world.url_values(rule, owner))
                changed = self.check(session, world, rule, method, url, expected)
                self.found.requests += 1
                if changed or expected is LOGGED_OUT:
                    world, session = self.fresh(role)
        self.id_swaps()
        return self.found

    def id_swaps(self) -> None:
        """Client B, by session and by token, on every route naming one of client A's ids."""
        world, session = self.fresh("client_b")
        for rule, method in self.checks:
            row = TABLE[rule.endpoint][method]
            if not owns_an_id(rule) or row is NO_SUCH_METHOD:
                continue
            # Where client users may go, A's id is somebody else's: 404. Where they may not,
            # the answer is the same refusal client B gets for its own ids.
            expected = row["client_b"] if row["client_b"].refused else NOT_FOUND
            url = self.url(rule, world.url_values(rule, "a"))
            self.check(session, world, rule, method, url, expected, swap=True)
            self.found.id_swaps += 1

    def url(self, rule, values: dict) -> str:
        """The rule's path with the world's values filled in."""
        return self.app.url_map.bind("localhost").build(rule.endpoint, values)

    def check(self, session, world, rule, method, url, expected, swap=False) -> bool:
        """Send one request, record what is wrong with its answer; True if it changed data."""
        role = session.role
        what = f"{role} {method} {url} ({rule.endpoint}{' with A ids' if swap else ''})"
        answers = self.found.swap_answers if swap else self.found.wrong_answers
        before = database_digest()
        try:
            response = session.send(rule, method, url)
        except Exception as exc:  # noqa: BLE001 - an escaping error is a finding, not a crash
            answers.append(f"{what}: raised {exc!r}")
            return database_digest() != before
        changed = database_digest() != before
        status, location = response.status_code, response.headers.get("Location")
        if status >= 500 or not expected.matches(status, location):
            got = f"{status}" + (f" to {location}" if location else "")
            answers.append(f"{what}: expected {expected.label}, got {got}")
        if changed and (expected.refused or method == "GET"):
            self.found.changed.append(f"{what}: answered {status} and changed the database")
        # A PDF is not UTF-8; what it could leak is checked by the 404 of another's.
        text = response.get_data().decode("utf-8", "replace")
        if role == "client_b":
            shown = [secret for secret in world.secrets if secret in text]
            if shown:
                self.found.leaks.append(f"{what}: shows client A's {shown}")
        # Logging out answers a user who is no longer logged in; an API method that no route
        # serves is refused before any token is looked at, the same for everybody.
        logged_in = role != "anonymous" and expected is not LOGGED_OUT
        logged_in = logged_in and not (is_api(rule.endpoint) and status == 405)
        self.check_headers(rule, method, what, response, text, logged_in)
        return changed

    def check_headers(self, rule, method, what, response, text, logged_in) -> None:
        """Security headers on pages, no-store for logged-in users, no outside hosts."""
        if method == "GET" and response.status_code == 200 and not is_api(rule.endpoint):
            self.found.pages_checked += 1
            if rule.endpoint in FRAMED_ENDPOINTS:
                problems = framed_problems(response, logged_in=logged_in)
                self.found.headers.extend(f"{what}: {problem}" for problem in problems)
            else:
                try:
                    assert_security_headers(response, logged_in=logged_in)
                except AssertionError as exc:
                    self.found.headers.append(f"{what}: {exc}")
        elif logged_in:
            problems = cache_problems(response)
            if problems:
                self.found.cache.append(f"{what} ({response.status_code}): {problems[0]}")
        if response.mimetype == "text/html":
            references = outside_references(text)
            if references:
                self.found.outside.append(f"{what}: {references}")


@pytest.fixture(scope="module")
def walk(_schema, database_url) -> Findings:
    """Run the whole matrix once for this module, on a database of its own content."""
    app = create_app(make_config(database_url), from_environment=False)
    app.test_client_class = FreshContextClient
    with app.app_context(), write_intent():
        try:
            return Walk(app).run()
        finally:
            empty_all_tables()
            db.session.remove()
            db.engine.dispose()


def _report(lines: list[str]) -> str:
    """Failures one per line, at most 60 of them."""
    more = f"\n... and {len(lines) - 60} more" if len(lines) > 60 else ""
    return "\n".join(lines[:60]) + more


def test_every_rule_has_a_row_and_every_row_a_rule(app):
    problems = missing_rows(app.url_map) + stale_rows(app.url_map)
    assert not problems, _report(problems)


def test_each_role_gets_the_expected_answer(walk, capsys):
    with capsys.disabled():
        print(
            f"\naccess matrix: {walk.route_methods} routes × {len(ROLES)} roles = "
            f"{walk.requests} requests checked, {walk.id_swaps} id-swap checks"
        )
    assert walk.requests == walk.route_methods * len(ROLES)
    assert not walk.wrong_answers, _report(walk.wrong_answers)


def test_client_b_gets_404_for_client_a_ids(walk):
    assert walk.id_swaps > 0
    assert not walk.swap_answers, _report(walk.swap_answers)


def test_client_b_never_sees_client_a_data(walk):
    assert not walk.leaks, _report(walk.leaks)


def test_refused_requests_and_reads_change_nothing(walk):
    assert not walk.changed, _report(walk.changed)


def test_pages_carry_the_security_headers(walk):
    assert walk.pages_checked > 0
    assert not walk.headers, _report(walk.headers)


def test_answers_to_logged_in_users_are_not_stored(walk):
    assert not walk.cache, _report(walk.cache)


def test_pages_reference_no_outside_host(walk):
    assert not walk.outside, _report(walk.outside)


def test_header_check_refuses_a_bare_page():
    bare = Response("<p>hi</p>", mimetype="text/html")
    with pytest.raises(AssertionError, match="default-src 'self'"):
        assert_security_headers(bare, logged_in=True)
    assert any("no-store" in p for p in header_problems(bare, logged_in=True))


def test_framed_check_refuses_the_portals_own_headers_and_a_missing_sandbox():
    portal_page = Response("<p>hi</p>", mimetype="text/html")
    portal_page.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'self'"
    portal_page.headers["X-Frame-Options"] = "SAMEORIGIN"
    portal_page.headers["X-Content-Type-Options"] = "nosniff"
    portal_page.headers["Cache-Control"] = "no-store"
    assert framed_problems(portal_page, logged_in=True) == [
        "framed page CSP is \"default-src 'self'; frame-ancestors 'self'\", not the sandbox policy"
    ]


def test_outside_reference_check_spots_attributes_not_text():
    html = (
        '<a href="/client/">home</a> see https://example.org for more'
        '<script src="https://cdn.example.net/x.js"></script><img src=//evil.example/i.png>'
    )
    found = outside_references(html)
    assert len(found) == 2 and "cdn.example.net" in found[0] and "evil.example" in found[1]


def test_client_b_filtering_lists_by_client_a_gets_only_its_own_rows(client, f):
    world = seed_world(f)
    a, b = world.args["a"]["client_id"], world.args["b"]["client_id"]
    headers = {"Authorization": f"Bearer {world.tokens['client_b']}"}
    for path in ("/api/v1/invoices", "/api/v1/billable-items", "/api/v1/tickets"):
        response = client.get(f"{path}?client_id={a}", headers=headers)
        assert response.status_code in (200, 404), path
        assert not [secret for secret in world.secrets if secret in response.text], path
        if response.status_code == 200:
            assert {item["client_id"] for item in response.json["items"]} == {b}, path


def test_client_b_filtering_emails_by_client_a_gets_nothing_of_a(client, f):
    world = seed_world(f)
    a = world.args["a"]["client_id"]
    headers = {"Authorization": f"Bearer {world.tokens['client_b']}"}
    response = client.get(f"/api/v1/emails?client_id={a}", headers=headers)
    assert response.status_code == 200 and response.json["items"] == []
    own = client.get("/api/v1/emails", headers=headers).json["items"]
    assert [item["id"] for item in own] == [world.args["b"]["email_id"]]
    assert not [secret for secret in world.secrets if secret in response.text + str(own)]
