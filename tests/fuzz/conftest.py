"""What the fuzzers share: Hypothesis profiles, the routes of the app, a small fixed world of
rows, a snapshot of the whole database, hostile values, a log of server errors, and the
request counters printed at the end of the run.

Profiles (select with HYPOTHESIS_PROFILE, see tests/hypothesis_profiles.py): "ci" (default)
is derandomized, so every run sends the same inputs; "deep" is random and tries many more.
FUZZ_EXAMPLES sets the examples per endpoint for either.
"""

import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import settings
from hypothesis import strategies as st

from portal import create_app
from portal.extensions import db, limiter
from portal.models import DEPARTMENTS, ApiToken, Attachment, Priority, TicketStatus
from portal.services.billing.close import close_period
from portal.services.billing.periods import period_of
from portal.services.tickets.time_entries import TimeInput, log_time
from tests import factories
from tests.helpers import (
    app_on_emptied_database,
    last_month_day,
    last_month_start,
    make_config,
    this_month_start,
    today,
)
from tests.hypothesis_profiles import profile_settings

# --- Hypothesis settings ------------------------------------------------------------------

# Examples per endpoint when FUZZ_EXAMPLES is not set: a form post costs about three API
# requests (its page is rendered first), so forms get fewer, keeping the folder under a minute.
DEFAULT_EXAMPLES = {"ci": {"form": 10, "api": 15}, "deep": {"form": 300, "api": 600}}


def fuzz_settings(kind: str) -> settings:
    """The selected profile (HYPOTHESIS_PROFILE, default "ci") for "form" or "api" fuzzers."""
    examples = {name: kinds[kind] for name, kinds in DEFAULT_EXAMPLES.items()}
    return profile_settings(examples, "FUZZ_EXAMPLES")


# --- counters and the end-of-run line -----------------------------------------------------

STATS = {
    "form_posts": 0,
    "forms": set(),
    "api_requests": 0,
    "endpoints": set(),
    "server_errors": 0,
    "statuses": Counter(),
}


def pytest_terminal_summary(terminalreporter):
    """Print how many inputs the fuzzers sent and how many server errors they met."""
    if not (STATS["form_posts"] or STATS["api_requests"]):
        return
    terminalreporter.write_line(
        f"fuzz: {STATS['form_posts']} form posts over {len(STATS['forms'])} forms, "
        f"{STATS['api_requests']} API requests over {len(STATS['endpoints'])} endpoints, "
        f"{STATS['server_errors']} server errors"
    )
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(STATS["statuses"].items()))
    terminalreporter.write_line(f"fuzz: answers by status: {statuses}")


# --- the routes ---------------------------------------------------------------------------

_ARG = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    """One method of one URL rule."""

    method: str
    rule: str
    endpoint: str

    @property
    def blueprint(self) -> str:
        """The blueprint's name ("admin", "api"...), "" for app routes."""
        return self.endpoint.rpartition(".")[0]

    @property
    def args(self) -> list[tuple[str, str]]:
        """(converter, name) of each URL argument; converter "default" for plain strings."""
        return [(conv or "default", name) for conv, name in _ARG.findall(self.rule)]

    def __str__(self) -> str:
        """ "POST /admin/plans/new", as test ids show it."""
        return f"{self.method} {self.rule}"


@functools.cache
def all_routes() -> tuple[Route, ...]:
    """Every (method, rule) of a freshly built app: new forms and endpoints are found here."""
    saved = os.environ.get("PORTAL_INSTANCE_PATH")
    with tempfile.TemporaryDirectory() as instance:
        os.environ["PORTAL_INSTANCE_PATH"] = instance
        try:
            app = create_app(make_config("sqlite://"), from_environment=False)
            with app.app_context():
                db.engine.dispose()
        finally:
            if saved is None:
                os.environ.pop("PORTAL_INSTANCE_PATH", None)
            else:
                os.environ["PORTAL_INSTANCE_PATH"] = saved
    found = {
        Route(method, rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    return tuple(sorted(found, key=lambda r: (r.rule, r.method)))


def fill_path(rule: str, values: dict) -> str:
    """The rule with its arguments put in, each percent-encoded from its UTF-8 bytes."""
    return _ARG.sub(lambda m: encode(values[m.group(2)]), rule)


def encode(value) -> str:
    """Percent-encode a str (lone surrogates as their raw bytes) or bytes for a URL or form."""
    if isinstance(value, int):
        value = str(value)
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return quote_from_bytes(raw, safe="")


def urlencode_pairs(pairs) -> str:
    """a=1&b=2 from (name, value) pairs whose values may be bytes or hold lone surrogates."""
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


# --- the world ----------------------------------------------------------------------------


@dataclass
class World:
    """Ids of a small fixed shop, the logins and tokens of its people, useful periods, and
    today's date (business time zone) as the API writes it."""

    ids: dict[str, int]
    emails: dict[str, str]
    tokens: dict[str, str]
    periods: dict[str, str]
    today: str


def build_world() -> World:
    """Two currencies, a package, an hourly and a block plan; ACME (subscribed, a closed and
    invoiced last month, a ticket with time in both months, a failed and a held email), Bare
    (no plan, one ticket) and Blocky (a block bought today); an admin, an operator and ACME's
    client user, each with an API token."""
    f = factories
    eur = f.currency("EUR", is_default=True)
    usd = f.currency("USD")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    hourly = f.plan("Hourly", model="hourly", prices={"EUR": ("0", "80.00"), "USD": ("0", "90.00")})
    vat = f.tax_rate("VAT 23%", "23", country="PL", is_default=True)
    reduced = f.tax_rate("VAT 8%", "8", country="PL")
    acme, bare = f.client("ACME"), f.client("Bare")
    admin, operator = f.user("admin"), f.user("operator")
    client_user = f.user("client", client=acme)
    sub = f.subscription(acme, plan, last_month_start())
    acme_ticket = f.ticket(acme, subject="Mail server down")
    bare_ticket = f.ticket(bare, subject="No plan yet")
    closed_entry = log_time(acme_ticket, admin, TimeInput(90, last_month_day(), "closed month"))
    open_entry = log_time(acme_ticket, admin, TimeInput(60, today(), "open month"))
    acme_file = Attachment(filename="log.txt", content_type="text/plain", size=3, data=b"log")
    acme_ticket.messages[0].attachments.append(acme_file)
    db.session.commit()
    acme_email = f.outbox_message(acme, "ticket_reply", status="failed", ticket_id=acme_ticket.id)
    f.outbox_message(acme, "invoice_issued", status="held")
    last = period_of(last_month_day())
    [invoice] = close_period(last, admin).invoices
    db.session.commit()
    # Blocky buys prepaid blocks (its first one today, invoiced at once): what a top-up needs;
    # its client page shows the blocks and the top-up form.
    blocks = f.block_plan("Block10", hours=10, prices={"EUR": ("500.00", "70.00")})
    blocky = f.client("Blocky")
    block_subscription = f.subscription(blocky, blocks, today())
    tokens = {role: f.api_token(u) for role, u in (("admin", admin), ("operator", operator))}
    tokens["client"] = f.api_token(client_user)
    token_id = db.session.scalar(db.select(ApiToken.id).order_by(ApiToken.id))
    two_months_ago = period_of(last_month_start() - timedelta(days=1))
    next_month = period_of(this_month_start() + timedelta(days=31))
    world = World(
        ids={
            "eur": eur.id,
            "usd": usd.id,
            "plan": plan.id,
            "hourly": hourly.id,
            "blocks": blocks.id,
            "vat": vat.id,
            "reduced": reduced.id,
            "acme": acme.id,
            "bare": bare.id,
            "admin": admin.id,
            "operator": operator.id,
            "client_user": client_user.id,
            "subscription": sub.id,
            "blocky": blocky.id,
            "block_subscription": block_subscription.id,
            "acme_ticket": acme_ticket.id,
            "acme_file": acme_file.id,
            "acme_email": acme_email.id,
            "bare_ticket": bare_ticket.id,
            "closed_entry": closed_entry.id,
            "open_entry": open_entry.id,
            "invoice": invoice.id,
            "token": token_id,
        },
        emails={"admin": admin.email, "operator": operator.email, "client": client_user.email},
        tokens=tokens,
        periods={
            "closed": last,
            "open_past": two_months_ago,
            "current": period_of(today()),
            "next": next_month,
        },
        today=today().isoformat(),
    )
    db.session.commit()
    return world


class Shop:
    """The world of one test, put back exactly as built after a request changed it."""

    def __init__(self):
        self.world = build_world()
        self.tables = list(db.metadata.sorted_tables)
        self.rows = {
            table.name: [dict(row._mapping) for row in db.session.execute(db.select(table))]
            for table in self.tables
        }
        db.session.rollback()

    def restore(self) -> None:
        """Delete every row and insert the world's rows again, with their own ids (so pages,
        sessions and tokens keep working), in one transaction."""
        for table in reversed(self.tables):
            db.session.execute(table.delete())
        for table in self.tables:
            if self.rows[table.name]:
                db.session.execute(table.insert(), self.rows[table.name])
        db.session.commit()


@pytest.fixture(scope="module")
def fuzz_app(_schema, database_url):
    """One app for a whole fuzz module, on an emptied database.

    Like the suite's `app` fixture, but module-scoped: emptying the tables and building the
    world for every endpoint would alone take most of the time budget on PostgreSQL. Each
    test instead starts from the world restored row for row (see `shop`).
    """
    with app_on_emptied_database(database_url) as app:
        yield app


@pytest.fixture(scope="module")
def _module_shop(fuzz_app) -> Shop:
    """The world, built once per module."""
    return Shop()


@pytest.fixture
def shop(_module_shop) -> Shop:
    """The world exactly as built, and no login attempts counted yet, for this test."""
    _module_shop.restore()
    limiter.reset()  # the login form's fuzzing must not lock the accounts later tests log in as
    return _module_shop


# --- the database snapshot ----------------------------------------------------------------

# Bookkeeping written by logging in or using a token, not by what a request asked for.
VOLATILE = {("user_account", "last_login_at"), ("api_token", "last_used_at")}


def snapshot() -> dict[str, tuple[int, str]]:
    """Row count and a SHA-256 of all rows (ordered by primary key) of every table."""
    state = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
        rows = db.session.execute(db.select(*columns).order_by(*table.primary_key.columns)).all()
        text = repr([tuple(row) for row in rows])
        state[table.name] = (len(rows), hashlib.sha256(text.encode()).hexdigest())
    db.session.rollback()  # a read: end it, so the next request starts from a clean session
    return state


def changed_tables(before: dict, after: dict) -> list[str]:
    """Names of the tables whose rows differ between two snapshots."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


# --- server errors and other findings -----------------------------------------------------


class ServerLog(logging.Handler):
    """Keeps the exceptions the app logs as unhandled (each one is a 500)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the record."""
        self.records.append(record)

    def take(self) -> list[logging.LogRecord]:
        """The records since the last call."""
        records, self.records = self.records, []
        return records


def signature(record: logging.LogRecord | None) -> tuple[str, str, str]:
    """(exception type, deepest portal/ frame, first line of the message) of a logged error."""
    if record is None or not record.exc_info:
        return ("no exception logged", "", "")
    exc_type, exc, tb = record.exc_info
    frames = [fr for fr in traceback.extract_tb(tb) if "/portal/" in fr.filename]
    where = f"{frames[-1].filename.split('/portal/')[-1]}:{frames[-1].lineno}" if frames else "?"
    message = (str(exc).splitlines() or [""])[0][:160]
    return (exc_type.__name__, f"portal/{where}", message)


def _info(exc: BaseException) -> tuple:
    """exc_info of a caught exception."""
    return (type(exc), exc, exc.__traceback__)


class Findings:
    """Distinct problems met by one test, each with the shortest request that showed it."""

    def __init__(self):
        self.problems: dict[tuple, str] = {}

    def add(self, key: tuple, request_text: str, detail: str = "") -> None:
        """Record a problem; keep the shortest reproducing request per distinct kind."""
        shown = request_text if len(request_text) <= 600 else request_text[:600] + "…"
        entry = f"{' | '.join(map(str, key))}\n    request: {shown}"
        if detail:
            entry += f"\n    {detail}"
        if key not in self.problems or len(entry) < len(self.problems[key]):
            self.problems[key] = entry

    def check(self) -> None:
        """Fail the test listing every distinct problem, if there were any."""
        if self.problems:
            listing = "\n".join(f"- {p}" for p in self.problems.values())
            pytest.fail(f"{len(self.problems)} distinct problem(s):\n{listing}", pytrace=False)


def send(findings: Findings, server_log: ServerLog, request_text: str, call):
    """Make one request; a 5xx, or an exception escaping the app, is recorded as a finding.

    Returns the response, or None when the app raised instead of answering.
    """
    server_log.take()
    try:
        response = call()
    except Exception as exc:  # anything escaping the app is a 500 in production
        STATS["statuses"]["500 (raised)"] += 1
        record_server_error(findings, server_log, 500, request_text, escaped=exc)
        return None
    STATS["statuses"][str(response.status_code)] += 1
    if response.status_code >= 500:
        record_server_error(findings, server_log, response.status_code, request_text)
    return response


@pytest.fixture
def server_log(fuzz_app):
    """The app's unhandled-exception log for this test."""
    handler = ServerLog()
    fuzz_app.logger.addHandler(handler)
    yield handler
    fuzz_app.logger.removeHandler(handler)


def record_server_error(
    findings: Findings, server_log: ServerLog, status: int, request_text: str, escaped=None
):
    """Count a 5xx and file it under its exception type and the portal line that raised.

    `escaped` is an exception that left the app altogether (raised in an error handler):
    the test client re-raises it, a real server answers 500.
    """
    STATS["server_errors"] += 1
    records = server_log.take()
    if escaped is not None:
        records.append(
            logging.LogRecord("escaped", logging.ERROR, "", 0, "", (), exc_info=_info(escaped))
        )
    key = ("5xx", status, *signature(records[-1] if records else None))
    trace = ""
    if records and records[-1].exc_info:
        lines = traceback.format_exception(*records[-1].exc_info)
        trace = "".join(lines)[-1500:].replace("\n", "\n      ")
    findings.add(key, request_text, f"traceback (tail):\n      {trace}" if trace else "")


# --- hostile values -----------------------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\t\r\n",
    "\x00",
    "a\x00b",
    "\x00\x00\x00",
    "\ud800",
    "x\udfffy",
    "\udbff\udfff",
    "\u202egnp.exe",
    "\ufeff",
    "\u2028",
    "\x1b[31m",
    "\x7f\x85",
    "NaN",
    "nan",
    "Infinity",
    "-Infinity",
    "inf",
    "1e309",
    "1E+2",
    "-1",
    "-0",
    "0",
    "00",
    "+1",
    "1_000",
    "0x10",
    "²",
    "١٫٥",
    "９",
    "¹²",
    "99999999999999999999999999",
    "9" * 5000,
    "2147483648",
    "9223372036854775808",
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "%s%n%x",
    "{0}{SEQ}{",
    "../../etc/passwd",
    "None",
    "null",
    "true",
    "[]",
    "{}",
    "1,5",
    "1:30",
    "24:15",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "💩" * 3,
    "ǅ",
    "Ⅻ",
]

HUGE_TEXT = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["x", "é", "💩", "\x00", "9", " "]),
    st.sampled_from([201, 501, 5_001, 20_001, 100_001]),
)

# The values that most often break something, drawn more often than the rest.
NASTY_TEXT = ["\x00", "a\x00b", "\ud800", "x\udfffy", "²", "9" * 5000, "-1", "NaN", " ", ""]

HOSTILE_TEXT = st.one_of(
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(NASTY_TEXT),
    st.sampled_from(SPECIAL_TEXT),
    st.text(max_size=30),
    # control, format, surrogate, separator, private-use and unassigned characters
    st.text(
        st.characters(categories=["Cc", "Cf", "Cs", "Zl", "Zp", "Co", "Cn"]), min_size=1, max_size=8
    ),
    HUGE_TEXT,
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

# Bytes that are not UTF-8 (forms and query strings carry bytes; the app must cope).
HOSTILE_BYTES = st.one_of(
    st.sampled_from(
        [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xc0\xaf", b"%", b"\x00", b"%zz"]
    ),
    st.binary(min_size=1, max_size=16),
)

HOSTILE_INTS = st.one_of(
    st.integers(-3, 3),
    st.sampled_from(
        [2**31 - 1, 2**31, -(2**31) - 1, 2**53 + 1, 2**63, 2**64, -(2**63) - 1, 10**30, 10**400]
    ),
    st.integers(),
)

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    HOSTILE_INTS,
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)

JSON_ANY = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=5,
)

# Ids that are not the world's: zero, unknown, beyond 32 and 64 bits, and more digits than
# Python turns into an int by default.
HOSTILE_IDS = st.sampled_from([0, 999_999, 2**31 - 1, 2**31, 2**63, 10**25, "9" * 5000])


def draw_arg(data, conv: str, name: str, world, int_args: dict, str_args: dict):
    """A URL argument: mostly one of the world's rows, sometimes an unknown or huge id.

    `int_args` names the world's rows an id argument may take, `str_args` gives the
    plausible values of a text argument (each test file has its own tables).
    """
    if conv == "int":
        if data.draw(st.integers(0, 6)) == 0:
            return data.draw(HOSTILE_IDS)
        return world.ids[data.draw(st.sampled_from(int_args[name]))]
    if data.draw(st.integers(0, 4)) == 0:
        return data.draw(HOSTILE_TEXT.filter(lambda s: s.strip("/.") != ""))
    return data.draw(st.sampled_from(str_args[name](world)))


@dataclass
class Mix:
    """How one example mixes plausible and hostile values over the fields of a form or body."""

    share: int  # percentage of the fields that get hostile values
    nasty: int | None = None  # the one field that gets one of NASTY_TEXT, the rest plausible

    def pick(self, data, index: int) -> str:
        """For the field at `index`: "nasty", "hostile" or "plausible"."""
        if self.nasty is not None:
            return "nasty" if index == self.nasty else "plausible"
        return "hostile" if data.draw(st.integers(0, 99)) < self.share else "plausible"


def draw_mix(data, fields: int) -> Mix:
    """A quarter of the examples are all plausible but one field with a NASTY_TEXT value; the
    rest make a share of the fields hostile (often just one or two, so the input gets past
    the first checks and reaches the rules and the database)."""
    if fields and data.draw(st.integers(0, 3)) == 0:
        return Mix(0, data.draw(st.integers(0, fields - 1)))
    return Mix(data.draw(st.sampled_from([0, 10, 15, 20, 30, 60, 100])))


def dates_around() -> list[str]:
    """Work and start dates worth trying: today, last month, this month, the future, edges."""
    now = today()
    return [
        now.isoformat(),
        last_month_day().isoformat(),
        this_month_start().isoformat(),
        (now - timedelta(days=400)).isoformat(),
        (now + timedelta(days=1)).isoformat(),
        (now + timedelta(days=400)).isoformat(),
        date(now.year, 2, 28).isoformat(),
        "2024-02-29",
        "2026-02-29",
        "2026-02-30",
        "0001-01-01",
        "9999-12-31",
        "2026-13-01",
        "2026-1-1",
        "20261101",
        now.strftime("%d/%m/%Y"),
    ]


def periods_around(world: World) -> list[str]:
    """Periods to try: the world's closed, open past, current and next months, and bad ones."""
    return [
        *world.periods.values(),
        "1999-12",
        "2000-01",
        "2026-13",
        "2026-00",
        "0000-01",
        "9999-12",
        "10000-01",
        "2026-1",
        "2026-011",
        "２０２６-１０",
        "2026-10\x00",
    ]


# Values that each kind of documented field accepts (or nearly accepts), so some inputs get
# past the first checks and reach the rules behind them.
def valid_values(kind: str, world: World) -> list:
    """Plausible values of a field kind."""
    values = {
        "text": ["Printer on fire", "ACME Two", "a", "Zażółć gęślą jaźń"],
        "email": ["new@example.com", "NEW.Person@Example.com", *world.emails.values(), "nope"],
        "password": [factories.PASSWORD, "short", "a much longer passphrase 2026"],
        "code": ["EUR", "USD", "GBP", "eur", "JPY", "XX", "EURO"],
        "int": [0, 2, 4, 14, 365, 366, 5],
        "bool": [True, False],
        "timezone": [
            "Europe/Warsaw",
            "UTC",
            "America/New_York",
            "Mars/Base",
            "localtime",
            "Factory",
        ],
        "format": ["{YYYY}/{MM}/{SEQ}", "INV-{SEQ}", "{YYYY}", "{FOO}{SEQ}", "{0}{SEQ}", "{SEQ!r}"],
        "model": ["package", "hourly", "block", "weekly"],
        "months": [0, 1, 3, 12, 13, 36, 37, -1],
        "when_used_up": ["overtime", "refuse", "bill", ""],
        "time_format": ["hm", "decimal", "roman", ""],
        "role": ["admin", "operator", "client", "root"],
        "hours": ["1.5", "1:30", "0.25", "24", "10", "744", "745", "0.1", "2:20", "1,5"],
        "money": ["200.00", "60", "0", "0.001", "999999999", "1000000000", "1.005"],
        "percent": ["23", "23.000", "7,5", "0", "100", "100.0001", "-1", "abc", "8.1234"],
        "date": dates_around(),
        "period": periods_around(world),
        "department": list(DEPARTMENTS),
        "priority": list(Priority.values()),
        "status": list(TicketStatus.values()),
        "plan_id": [world.ids["plan"], world.ids["hourly"], world.ids["blocks"]],
        "country": ["DE", "PL", "US", "GB", "de", "pl", "XK", "XX", "EU", "ZZ", "DEU", "POL", ""],
        "tax_id": ["DE136695976", "DE136695977", "de 136 695 976", "PL5260250274", "5260250274"],
        "iban": ["PL61109010140000071219812874", "DE89 3704 0044 0532 0130 00", "DE00123", ""],
        "bic": ["WBKPPLPP", "DEUTDEFF500", "DEUT", "12345678"],
        "phone": ["+48 22 123 45 67", "(030) 1234-567", "call me", ""],
        "client_id": [world.ids["acme"], world.ids["bare"]],
        "treatment": ["standard", "exempt", "reverse_charge", "zero", ""],
        "tax_rate_id": [world.ids["vat"], world.ids["reduced"], 999999],
        "method": ["bank_transfer", "card", "cash", "other", "cheque", ""],
        "quantity": ["1", "2.00", "1,5", "0", "1.234", "-1", "99999.99", "100000"],
        "invoice_kind": ["invoice", "credit_note", "quote"],
        "mail_kind": ["ticket_reply", "ticket_new", "invoice_issued", "usage_100", "spam", ""],
        "mail_status": ["queued", "held", "sent", "failed", "bounced", ""],
        # who may own a ticket: staff, a client user (refused), nobody, no such user
        "assignee": [
            world.ids["operator"],
            world.ids["admin"],
            world.ids["client_user"],
            None,
            999999,
        ],
        "assignee_query": ["none", world.ids["operator"], world.ids["client_user"], "nobody", 0],
    }
    return values[kind]


# --- forms in rendered pages --------------------------------------------------------------


@dataclass
class FormField:
    """One named control of a form."""

    name: str
    kind: str  # input type, "select" or "textarea"
    options: list[str] = field(default_factory=list)


@dataclass
class PageForm:
    """A form on a page: where it posts, its CSRF token and its fields."""

    method: str
    action: str
    csrf: str | None
    fields: dict[str, FormField] = field(default_factory=dict)


class FormParser(HTMLParser):
    """Collects every form of a page with its named controls."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[PageForm] = []
        self._form: PageForm | None = None
        self._select: FormField | None = None

    def handle_starttag(self, tag, attrs):
        """Open a form, add a control, or an option to the open select."""
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._form = PageForm(a.get("method", "get").lower(), a.get("action", ""), None)
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
        elif tag in ("input", "select", "textarea") and a.get("name"):
            kind = a.get("type", "text").lower() if tag == "input" else tag
            if a["name"] == "csrf_token":
                self._form.csrf = a.get("value")
            elif kind not in ("submit", "button", "reset", "image"):
                control = self._form.fields.setdefault(a["name"], FormField(a["name"], kind))
                self._select = control if tag == "select" else None

    def handle_endtag(self, tag):
        """Close the open form or select."""
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def page_forms(html: str) -> list[PageForm]:
    """The forms of a page."""
    parser = FormParser()
    parser.feed(html)
    return parser.forms


def json_text(value) -> str:
    """JSON as a client would send it (NaN/Infinity allowed; lone surrogates escaped)."""
    return json.dumps(value, allow_nan=True)
