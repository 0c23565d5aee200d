"""Hypothesis sends random and hostile requests to every endpoint of the JSON API.

The endpoints come from app.url_map (everything under /api/v1), so a new one is fuzzed as
soon as it exists (and this module fails until its body fields are described here). Bodies
mix the fields API.md documents with hostile values and wrong JSON types, leave fields out,
add unknown ones, or are not JSON objects at all (other JSON, bytes, nothing, another
Content-Type); GETs get random query strings; tokens are the admin's, the operator's, the
client user's, or no valid token. Expected: never a 5xx; every 4xx is the JSON error of
API.md; a refused request, a GET and a preview leave every table exactly as it was.
"""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import (
    HOSTILE_BYTES,
    HOSTILE_TEXT,
    JSON_ANY,
    JSON_SCALARS,
    NASTY_TEXT,
    STATS,
    Findings,
    Route,
    all_routes,
    changed_tables,
    draw_arg,
    draw_mix,
    fill_path,
    fuzz_settings,
    json_text,
    periods_around,
    send,
    snapshot,
    urlencode_pairs,
    valid_values,
)

API_ROUTES = [r for r in all_routes() if r.blueprint == "api"]
BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

PLAN_FIELDS = {
    "name": "text",
    "description": "text",
    "model": "model",
    "included_hours": "hours",
    "prorate": "bool",
    "active": "bool",
    "prices": "prices",
    "rollover_months": "months",
    "rollover_cap_hours": "hours",
    "block_hours": "hours",
    "validity_months": "months",
    "when_used_up": "when_used_up",
}
SETTINGS_FIELDS = {
    "business_timezone": "timezone",
    "invoice_on_close": "bool",
    "due_days": "int",
    "invoice_number_format": "format",
    "send_invoices_automatically": "bool",
    "reminder_days_before_due": "int",
    "payment_received_mail": "bool",
}
TAX_RATE_FIELDS = {"name": "text", "percent": "percent", "country": "country", "is_default": "bool"}
ADDRESS_FIELDS = {
    "legal_name": "text",
    "address_lines": "lines",
    "postal_code": "text",
    "city": "text",
    "country": "country",
    "tax_id": "tax_id",
}
BILLING_FIELDS = {
    **ADDRESS_FIELDS,
    "billing_emails": "emails",
    "po_reference": "text",
    "tax_treatment": "treatment",
    "tax_rate_id": "tax_rate_id",
    "tax_exemption_reason": "text",
}
ENTRY_FIELDS = {"hours": "hours", "work_date": "date", "note": "text", "billable": "bool"}
# The body fields API.md documents per endpoint, by kind ({} = the endpoint takes no body).
BODY_FIELDS = {
    "api.me_patch": {
        "time_format": "time_format",
        "notify_replies": "bool",
        "notify_alerts": "bool",
        "notify_new_tickets": "bool",
    },
    "api.users_create": {
        "email": "email",
        "name": "text",
        "role": "role",
        "client_id": "client_id",
    },
    "api.users_patch": {"role": "role", "active": "bool"},
    "api.settings_put": SETTINGS_FIELDS,
    "api.settings_patch": SETTINGS_FIELDS,
    "api.currencies_create": {
        "code": "code",
        "decimals": "int",
        "prefix": "text",
        "suffix": "text",
        "is_default": "bool",
    },
    "api.tax_rates_create": TAX_RATE_FIELDS,
    "api.tax_rates_patch": TAX_RATE_FIELDS,
    "api.plans_create": PLAN_FIELDS,
    "api.plans_patch": PLAN_FIELDS,
    "api.clients_create": {
        "name": "text",
        "email": "email",
        "currency": "code",
        **BILLING_FIELDS,
    },
    "api.clients_patch": {"name": "text", "email": "email", **BILLING_FIELDS},
    "api.business_profile_put": {
        **ADDRESS_FIELDS,
        "email": "email",
        "phone": "phone",
        "bank_account_holder": "text",
        "iban": "iban",
        "bic": "bic",
        "payment_terms": "text",
        "invoice_footer": "text",
    },
    "api.subscriptions_create": {"plan_id": "plan_id", "start_date": "date"},
    "api.subscriptions_cancel": {},
    "api.subscriptions_top_up": {"date": "date"},
    "api.tickets_create": {
        "client_id": "client_id",
        "subject": "text",
        "message": "text",
        "department": "department",
        "priority": "priority",
        "time_tracking": "bool",
    },
    "api.tickets_patch": {
        "status": "status",
        "time_tracking": "bool",
        "assignee_id": "assignee",
        "priority": "priority",
    },
    "api.tickets_reply": {"message": "text", "status": "status", "internal": "bool"},
    "api.entries_create": {**ENTRY_FIELDS, "assign_plan_id": "plan_id"},
    "api.entries_patch": ENTRY_FIELDS,
    "api.entries_delete": {},
    "api.periods_preview": {},
    "api.periods_close": {},
    "api.invoices_mark_paid": {},
    "api.invoices_cancel": {},
    "api.invoices_pay": {
        "date": "date",
        "amount": "money",
        "method": "method",
        "reference": "text",
    },
    "api.emails_retry": {},
    "api.emails_release_held": {},
    "api.clients_add_item": {
        "description": "text",
        "quantity": "quantity",
        "unit_price": "money",
        "date": "date",
        "invoice_now": "bool",
    },
}
# Query parameters API.md documents, beyond ?page= and ?per_page= (sent to every GET).
QUERY_FIELDS = {
    "api.items_list": {"client_id": "client_id", "period": "period"},
    "api.invoices_list": {"client_id": "client_id", "period": "period", "kind": "invoice_kind"},
    "api.clients_usage": {"period": "period"},
    "api.emails_list": {"client_id": "client_id", "kind": "mail_kind", "status": "mail_status"},
    "api.tickets_list": {
        "assignee_id": "assignee_query",
        "priority": "priority",
        "status": "status",
    },
}
PAGING = {"page": "page", "per_page": "page"}
# URL arguments: the world's rows they may name (World.ids keys), or strings to try.
INT_ARGS = {
    "plan_id": ["plan", "hourly", "blocks"],
    "client_id": ["acme", "bare"],
    "subscription_id": ["subscription", "block_subscription"],
    "ticket_id": ["acme_ticket", "bare_ticket"],
    "entry_id": ["open_entry", "closed_entry"],
    "invoice_id": ["invoice"],
    "tax_rate_id": ["vat", "reduced"],
    "user_id": ["operator", "client_user"],
    "attachment_id": ["acme_file"],
    "email_id": ["acme_email"],
}
STR_ARGS = {"period": periods_around}
WRITES_NOTHING = {"api.periods_preview"}

# Authorization headers that name no valid token (None: no header at all).
BAD_AUTH = [
    None,
    "",
    "Bearer",
    "Bearer ",
    "Basic YWRtaW46YWRtaW4=",
    "Bearer shp_" + "A" * 43,
    "Token shp_abc",
    "Bearer " + "x" * 300,
    "Bearer \x7f\x01",
    "bearer  ",
]
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
    None,
]
RAW_BODIES = [
    b"",
    b" ",
    b"null",
    b"{",
    b"}",
    b"[]",
    b'""',
    b"0",
    b"NaN",
    b"-Infinity",
    b"{'hours': '1.5'}",
    b'{"hours": "1.5",}',
    b'{"hours": "1.5"} {"hours": "2"}',
    b'{"hours": "1.5", "hours": "2:00"}',
    b"\xff\xfe{\x00}\x00",
    b"\xef\xbb\xbf{}",
    b'{"note": "\xff\xfe"}',
    b'{"note": "\xed\xa0\x80"}',
    b'{"note": "\\ud800"}',
    b'{"subject": "a\\u0000b", "message": "x"}',
    b"[" * 100_000,
    b'{"a":' * 50_000,
    b"9" * 5_000,
    b'{"due_days": ' + b"9" * 5_000 + b"}",
    b'{"due_days": 1e999999}',
    b'{"client_id": 1.0}',
    b"hours=1.5&work_date=2026-01-01",
    b'--x\r\nContent-Disposition: form-data; name="hours"\r\n\r\n1\r\n--x--\r\n',
]


# The sweep: before the random requests, each documented field of a valid body gets each of
# these in turn (the rest of the body stays valid, so the value reaches the rules and the
# database), each query parameter each of CLASSIC_QUERY, and each body endpoint these bodies.
CLASSIC_VALUES = ["a\x00b", "\ud800", None, [], 10**25, 2**31]
CLASSIC_QUERY = ["²", "9" * 5000, "-1", "a\x00b", "2147483648"]
CLASSIC_BODIES = [b"[" * 100_000, b'{"a":' * 50_000, b"\xff\xfe", b"", b"null"]
# The rows the sweep's URLs name: ones where its valid bodies are accepted.
SWEEP_ARGS = {
    "plan_id": "plan",
    "client_id": "bare",
    "subscription_id": "subscription",
    "ticket_id": "acme_ticket",
    "entry_id": "open_entry",
    "invoice_id": "invoice",
    "tax_rate_id": "reduced",
    "user_id": "operator",
    "attachment_id": "acme_file",
    "email_id": "acme_email",
}
# ... except where an endpoint's valid body needs another row: a top-up, a block subscription.
SWEEP_OVERRIDES = {"api.subscriptions_top_up": {"subscription_id": "block_subscription"}}


SETTINGS_BODY = {
    "business_timezone": "UTC",
    "invoice_on_close": True,
    "due_days": 14,
    "invoice_number_format": "{YYYY}/{MM}/{SEQ}",
    "send_invoices_automatically": True,
    "reminder_days_before_due": 3,
    "overdue_reminder_days": [1, 7, 14],
    "payment_received_mail": True,
}


def valid_body(endpoint: str, world) -> dict | None:
    """A body API.md's examples would accept for the endpoint, or None when it takes none."""
    plan = {
        "name": "Premium",
        "description": "More hours",
        "model": "package",
        "included_hours": "20",
        "prorate": True,
        "active": True,
        "prices": [{"currency": "EUR", "fee": "400.00", "rate": "55.00"}],
        "rollover_months": 2,
        "rollover_cap_hours": "10",
    }
    today = world.today
    bodies = {
        "api.settings_put": SETTINGS_BODY,
        "api.settings_patch": SETTINGS_BODY,
        "api.currencies_create": {
            "code": "GBP",
            "decimals": 2,
            "prefix": "£",
            "suffix": "",
            "is_default": False,
        },
        "api.tax_rates_create": {
            "name": "VAT 5%",
            "percent": "5.000",
            "country": "PL",
            "is_default": False,
        },
        "api.tax_rates_patch": {
            "name": "VAT 8% (reduced)",
            "percent": "8.000",
            "country": "PL",
            "is_default": False,
        },
        "api.plans_create": plan,
        "api.plans_patch": plan,
        "api.clients_create": {"name": "Initech", "email": "ap@example.com", "currency": "EUR"},
        "api.clients_patch": {
            "name": "Bare Two",
            "legal_name": "Bare Holdings GmbH",
            "address_lines": ["Friedrichstraße 123"],
            "postal_code": "10117",
            "city": "Berlin",
            "country": "DE",
            "tax_id": "DE136695976",
            "billing_emails": ["ap@example.com"],
            "po_reference": "PO-7",
        },
        "api.business_profile_put": {
            "legal_name": "Support Hours Sp. z o.o.",
            "address_lines": ["ul. Prosta 20"],
            "postal_code": "00-850",
            "city": "Warszawa",
            "country": "PL",
            "tax_id": "PL5260250274",
            "email": "invoices@example.com",
            "phone": "+48 22 123 45 67",
            "bank_account_holder": "Support Hours Sp. z o.o.",
            "iban": "PL61109010140000071219812874",
            "bic": "WBKPPLPP",
            "payment_terms": "14 days, bank transfer.",
            "invoice_footer": "Thank you.",
        },
        "api.subscriptions_create": {"plan_id": world.ids["plan"], "start_date": today},
        "api.subscriptions_top_up": {"date": today},
        "api.tickets_create": {
            "client_id": world.ids["acme"],
            "subject": "VPN down",
            "message": "Since this morning.",
            "department": "Network",
            "priority": "High",
            "time_tracking": True,
        },
        "api.tickets_patch": {"status": "On Hold", "time_tracking": True},
        "api.tickets_reply": {"message": "On it.", "status": "Answered"},
        "api.entries_create": {
            "hours": "1:30",
            "work_date": today,
            "note": "Restarted the VPN",
            "billable": True,
        },
        "api.entries_patch": {
            "hours": "2",
            "work_date": today,
            "note": "Longer",
            "billable": False,
        },
        "api.invoices_pay": {
            "date": today,
            "amount": "10.00",
            "method": "bank_transfer",
            "reference": "Transfer 42",
        },
        "api.clients_add_item": {
            "description": "On-site visit",
            "quantity": "2.00",
            "unit_price": "45.00",
            "date": today,
            "invoice_now": True,
        },
    }
    return bodies.get(endpoint)


def check_route_known(route: Route) -> None:
    """Fail loudly on an endpoint whose body or URL arguments the fuzzer does not know."""
    if route.method in BODY_METHODS and route.endpoint not in BODY_FIELDS:
        pytest.fail(
            f"{route} ({route.endpoint}) takes a body the fuzzer does not know: describe its "
            "fields (from API.md) in BODY_FIELDS in tests/fuzz/test_fuzz_api.py"
        )
    for conv, name in route.args:
        if name not in (INT_ARGS if conv == "int" else STR_ARGS):
            pytest.fail(
                f"{route} has URL argument <{conv}:{name}> the fuzzer cannot map: add it to "
                "INT_ARGS or STR_ARGS in tests/fuzz/test_fuzz_api.py"
            )


def plausible_json(kind: str, world) -> st.SearchStrategy:
    """Values a careful integration would send for a field of this kind."""
    if kind == "prices":
        money = st.sampled_from(valid_values("money", world))
        row = st.fixed_dictionaries(
            {"currency": st.sampled_from(valid_values("code", world))},
            optional={"fee": money, "rate": money},
        )
        return st.lists(row, max_size=3)
    if kind in ("lines", "emails"):
        entry = st.sampled_from(valid_values("email" if kind == "emails" else "text", world))
        return st.lists(entry | HOSTILE_TEXT, max_size=4)
    if kind == "page":
        return st.sampled_from(["1", "2", "200", "201", "0", "1000000", "1000001"])
    return st.sampled_from(valid_values(kind, world))


def draw_object(data, fields: dict, world) -> dict:
    """A JSON object with the documented fields (a few missing), plausible, nasty, or any JSON
    at all (wrong types, hostile text, NaN), and sometimes unknown extra keys."""
    mix = draw_mix(data, len(fields))
    obj = {}
    for index, (name, kind) in enumerate(fields.items()):
        pick = mix.pick(data, index)
        if pick == "nasty":
            obj[name] = data.draw(st.sampled_from(NASTY_TEXT))
        elif data.draw(st.integers(0, 9)) == 0:
            continue  # left out
        elif pick == "plausible":
            obj[name] = data.draw(plausible_json(kind, world))
        else:  # a hostile string half the time (most fields are strings), else any JSON
            obj[name] = data.draw(HOSTILE_TEXT if data.draw(st.booleans()) else JSON_ANY)
    if not fields or data.draw(st.integers(0, 4)) == 0:
        names = st.sampled_from(["id", "number", "role", "client", "plan", "user_id"])
        obj.update(
            data.draw(st.dictionaries(names | st.text(max_size=10), JSON_SCALARS, max_size=2))
        )
    return obj


def draw_body(data, route: Route, world) -> tuple[bytes, str | None]:
    """(body, Content-Type): mostly a JSON object, else other JSON, raw bytes or nothing."""
    mode = data.draw(st.integers(0, 9))
    if mode <= 5:
        body = json_text(draw_object(data, BODY_FIELDS[route.endpoint], world)).encode()
        return body, data.draw(st.sampled_from(CONTENT_TYPES[:2] * 3 + CONTENT_TYPES))
    if mode == 6:
        not_object = JSON_ANY.filter(lambda v: not isinstance(v, dict))
        return json_text(data.draw(not_object)).encode(), "application/json"
    if mode == 7:
        raw = data.draw(st.sampled_from(RAW_BODIES) | st.binary(max_size=64))
        return raw, data.draw(st.sampled_from(CONTENT_TYPES))
    if mode == 8:
        return b"", data.draw(st.sampled_from(CONTENT_TYPES))
    # A documented object, its text not escaped: lone surrogates become bytes that are not UTF-8.
    obj = draw_object(data, BODY_FIELDS[route.endpoint], world)
    text = json.dumps(obj, ensure_ascii=False, allow_nan=True)
    return text.encode("utf-8", "surrogatepass"), "application/json"


def draw_query(data, route: Route, world) -> str:
    """A query string: documented parameters with plausible or hostile values, extras."""
    fields = {**PAGING, **QUERY_FIELDS.get(route.endpoint, {})}
    pairs = []
    for name, kind in fields.items():
        times = data.draw(st.sampled_from([0, 0, 1, 1, 1, 2]))
        for _ in range(times):
            pick = data.draw(st.integers(0, 9))
            if pick < 5:
                value = str(data.draw(plausible_json(kind, world)))
            elif pick < 9:
                value = data.draw(HOSTILE_TEXT)
            else:
                value = data.draw(HOSTILE_BYTES)
            pairs.append((name, value))
    if data.draw(st.integers(0, 3)) == 0:
        extra = st.tuples(
            st.sampled_from(["status", "q", "sort", "from"]) | HOSTILE_TEXT, HOSTILE_TEXT
        )
        pairs += data.draw(st.lists(extra, max_size=2))
    return urlencode_pairs(pairs)


def draw_auth(data, world) -> tuple[str, str | None]:
    """(who, Authorization header): mostly the admin, else the operator, the client, nobody."""
    who = data.draw(st.sampled_from(["admin"] * 6 + ["operator", "client", "nobody"]))
    if who == "nobody":
        return who, data.draw(st.sampled_from(BAD_AUTH))
    return who, f"Bearer {world.tokens[who]}"


def error_shape_problem(response) -> str | None:
    """Why a 4xx answer is not the JSON error of API.md, or None when it is."""
    if response.mimetype != "application/json":
        return f"Content-Type {response.mimetype!r}, not application/json"
    try:
        body = json.loads(response.get_data())
    except ValueError:
        return "body is not JSON"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str):
        return "no string `error`"
    if body["error"] != "validation":
        return None if isinstance(body.get("message"), str) else "no string `message`"
    fields = body.get("fields")
    if response.status_code != 400:
        return "a validation error that is not 400"
    if not isinstance(fields, dict) or not fields:
        return "a validation error without `fields`"
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in fields.items()):
        return "`fields` is not {name: message}"
    return None


def describe(method: str, url: str, who: str, auth, content_type, body: bytes | None) -> str:
    """A reproducible description of an API request (tokens named by role)."""
    text = f"{method} {url} as {who}"
    if who == "nobody":
        text += f" (Authorization: {auth!r})"
    if body is not None:
        shown = body if len(body) <= 400 else body[:400] + b"..."
        text += f", Content-Type: {content_type!r}, body ({len(body)} bytes): {shown!r}"
    return text


def test_every_api_route_is_described():
    """Every API endpoint's body and URL arguments are known to the fuzzer."""
    assert API_ROUTES
    for route in API_ROUTES:
        check_route_known(route)


class Exchanger:
    """Sends one endpoint's requests and checks each answer: no 5xx, the JSON error shape on
    a 4xx, no change after a refusal, a GET or a preview; puts the world back after a change."""

    def __init__(self, route: Route, client, shop, server_log):
        self.route = route
        self.client = client
        self.shop = shop
        self.server_log = server_log
        self.findings = Findings()

    def __call__(self, url, who, auth, body=None, content_type=None):
        """Send one request, check it, and return its status (500 when the app raised)."""
        headers = {"Authorization": auth} if auth is not None else {}
        if content_type is not None:
            headers["Content-Type"] = content_type
        method = self.route.method
        request_text = describe(method, url, who, auth, content_type, body)
        before = snapshot()
        response = send(
            self.findings,
            self.server_log,
            request_text,
            lambda: self.client.open(url, method=method, data=body, headers=headers),
        )
        STATS["api_requests"] += 1
        status = response.status_code if response else 500
        if 400 <= status < 500 and (problem := error_shape_problem(response)):
            self.findings.add(("error body", status, problem), request_text)
        changed = changed_tables(before, snapshot())
        writes_nothing = method == "GET" or self.route.endpoint in WRITES_NOTHING
        if changed and (status >= 400 or writes_nothing):
            self.findings.add(("refused yet changed", status, ", ".join(changed)), request_text)
        if changed:
            self.shop.restore()
        return status


def sweep(route: Route, world, exchange: Exchanger) -> None:
    """The classic bad values, one at a time, in an otherwise valid admin request."""
    auth = f"Bearer {world.tokens['admin']}"
    url = fill_path(route.rule, sweep_args(route, world))
    if route.method == "GET":
        for name in {**PAGING, **QUERY_FIELDS.get(route.endpoint, {})}:
            for value in CLASSIC_QUERY:
                exchange(f"{url}?{urlencode_pairs([(name, value)])}", "admin", auth)
        return
    valid = valid_body(route.endpoint, world)
    if valid is None:
        return
    status = exchange(url, "admin", auth, json_text(valid).encode(), "application/json")
    if not 200 <= status < 300:
        pytest.fail(f"the sweep's valid body for {route} was refused ({status}): fix valid_body()")
    for name in BODY_FIELDS[route.endpoint]:  # also the optional ones the valid body leaves out
        for value in CLASSIC_VALUES:
            body = json_text({**valid, name: value}).encode()
            exchange(url, "admin", auth, body, "application/json")
    for raw in CLASSIC_BODIES:
        exchange(url, "admin", auth, raw, "application/json")


def sweep_args(route: Route, world) -> dict:
    """URL arguments naming the rows where the sweep's valid bodies are accepted."""
    rows = SWEEP_ARGS | SWEEP_OVERRIDES.get(route.endpoint, {})
    return {
        name: world.ids[rows[name]] if conv == "int" else world.periods["open_past"]
        for conv, name in route.args
    }


@pytest.mark.parametrize("route", API_ROUTES, ids=str)
def test_endpoint_survives_hostile_requests(route, fuzz_app, shop, server_log):
    """Classic bad values, then Hypothesis's random requests, to one endpoint: never a 5xx;
    a 4xx is API.md's JSON error; a refusal, a GET or a preview changes no table."""
    check_route_known(route)
    exchange = Exchanger(route, fuzz_app.test_client(), shop, server_log)
    STATS["endpoints"].add(str(route))
    sweep(route, shop.world, exchange)

    @fuzz_settings("api")
    @given(st.data())
    def one_request(data):
        world = shop.world
        who, auth = draw_auth(data, world)
        args = {
            name: draw_arg(data, conv, name, world, INT_ARGS, STR_ARGS) for conv, name in route.args
        }
        url = fill_path(route.rule, args)
        body, content_type = None, None
        if route.method == "GET":
            query = draw_query(data, route, world)
            url += f"?{query}" if query else ""
        elif route.method in BODY_METHODS:
            body, content_type = draw_body(data, route, world)
        exchange(url, who, auth, body, content_type)

    one_request()
    exchange.findings.check()
