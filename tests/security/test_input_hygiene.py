"""Input hygiene at every door: control and invisible characters in names and messages, work
dates before 2000, currency codes that are not ISO 4217, and ids in other scripts' digits.
Each rule lives in a service or a shared helper, so the forms and the API refuse alike."""

import re
from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import ApiToken, Client, Currency, Plan, Ticket, TicketMessage, TimeEntry, User
from portal.services.text import text_problem
from tests.helpers import count, field_error, submit, today

ESC = "Alert \x1b[31mred"
BOM_ONLY = "\ufeff"
ZERO_WIDTH_ONLY = "\u200b\u200b"
BIDI_OVERRIDE = "invoice\u202efdp.exe"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    ("text", "multiline", "message"),
    [
        (ESC, False, "control character U+001B"),
        (ESC, True, "control character U+001B"),
        ("a\x85b", True, "control character U+0085"),  # C1 NEXT LINE
        ("tab\there", False, "control character U+0009"),
        ("two\nlines", False, "one line"),
        ("two\u2028lines", False, "one line"),
        (BOM_ONLY, False, "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ("ACME\ufeff", False, "U+FEFF"),
        (BIDI_OVERRIDE, False, "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        (BOM_ONLY, True, "only invisible"),
        (ZERO_WIDTH_ONLY, True, "only invisible"),
        ("\u3164", False, "only invisible"),  # HANGUL FILLER, a letter that draws nothing
        ("\u0301", False, "only invisible"),  # a combining accent with no letter
        (" \u200b ", True, "only invisible"),
        ("x\ud800", True, "U+D800"),  # a lone surrogate, as JSON's "\ud800" gives
    ],
)
def test_text_problem_refuses_controls_and_invisible_only_text(text, multiline, message):
    assert message in text_problem(text, multiline=multiline)


@pytest.mark.parametrize(
    ("text", "multiline"),
    [
        ("Zażółć gęślą jaźń", False),
        ("Łukasz O'Brien-Smith", False),
        ("می‌خواهم", False),  # Persian: the zero-width non-joiner spells the word
        ("👩‍💻 Dev team", False),  # an emoji joined by ZWJ
        ("שלום world", False),
        ("Line one\r\n\tindented\nline three", True),
        ("soft\u00adhyphen and \u200bzero width inside", True),
        ("", False),
        ("  \u00a0 ", False),  # blank: the field's own "enter a name" rule answers
    ],
)
def test_text_problem_keeps_real_text(text, multiline):
    assert text_problem(text, multiline=multiline) is None


@pytest.fixture
def acme(f):
    """A EUR client with a Standard plan from the start of last month, and an open ticket."""
    client_row = f.client("ACME GmbH")
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    f.subscription(client_row, plan, today().replace(day=1) - timedelta(days=40))
    return {"client": client_row, "plan": plan, "ticket": f.ticket(client_row)}


def _client_ticket(f, auth, acme, values):
    """A client user of ACME opens a ticket through the form."""
    auth.login(f.user("client", client=acme["client"]).email)
    data = {"subject": "Mail", "department": "Support", "priority": "Medium", "message": "Hi"}
    return "/client/tickets/new", None, data | values, lambda: count(Ticket)


def _client_reply(f, auth, acme, values):
    """A client user of ACME replies on their ticket."""
    auth.login(f.user("client", client=acme["client"]).email)
    url = f"/client/tickets/{acme['ticket'].id}"
    return url, None, {"message": "Hi"} | values, lambda: count(TicketMessage)


def _staff_update(f, auth, acme, values):
    """An operator replies and logs time on the ticket page."""
    auth.login(f.user("operator").email)
    url = f"/admin/tickets/{acme['ticket'].id}"
    data = {"reply": "Done", "hours": "1", "work_date": today().isoformat(), "billable": "y"}
    return url, None, data | values, lambda: (count(TicketMessage), count(TimeEntry))


def _admin(f, auth):
    """Log in as an admin."""
    auth.login(f.user("admin").email)


def _new_client(f, auth, acme, values):
    """An admin adds a client account."""
    _admin(f, auth)
    currency = str(acme["client"].currency_id)
    data = {"name": "Globex", "email": "billing@globex.example.com", "currency": currency}
    return "/admin/clients/new", None, data | {"active": "y"} | values, lambda: count(Client)


def _new_client_user(f, auth, acme, values):
    """An admin gives ACME a user."""
    _admin(f, auth)
    page = f"/admin/clients/{acme['client'].id}"
    data = {"name": "Carla", "email": "carla@acme.example.com"}
    return page, f"{page}/users", data | values, lambda: count(User)


def _new_plan(f, auth, acme, values):
    """An admin adds a plan."""
    _admin(f, auth)
    data = {
        "name": "Premium",
        "description": "20 hours",
        "model": "package",
        "included_hours": "20",
        "prorate": "y",
        "active": "y",
        "price-EUR-fee": "400.00",
        "price-EUR-rate": "60",
    }
    return "/admin/plans/new", None, data | values, lambda: count(Plan)


def _new_currency(f, auth, acme, values):
    """An admin adds a currency."""
    _admin(f, auth)
    data = {"code": "USD", "decimals": "2", "prefix": "$", "suffix": ""}
    return "/admin/currencies/new", None, data | values, lambda: count(Currency)


def _new_token(f, auth, acme, values):
    """An admin issues an API token."""
    _admin(f, auth)
    data = {"user": str(f.user("operator").id), "name": "helpdesk"}
    return "/admin/api-tokens", None, data | values, lambda: count(ApiToken)


FORM_CASES = [
    (_client_ticket, "subject", ESC, "control character U+001B"),
    (_client_ticket, "subject", BOM_ONLY, "U+FEFF"),
    (_client_ticket, "subject", BIDI_OVERRIDE, "U+202E"),
    (_client_ticket, "message", "Hi \x1b[2J", "control character U+001B"),
    (_client_ticket, "message", ZERO_WIDTH_ONLY, "only invisible"),
    (_client_reply, "message", "ok\x07", "control character U+0007"),
    (_staff_update, "reply", "Fixed\x1b", "control character U+001B"),
    (_staff_update, "note", "Restart\x1b", "control character U+001B"),
    (_staff_update, "note", ZERO_WIDTH_ONLY, "only invisible"),
    (_new_client, "name", ESC, "control character U+001B"),
    (_new_client, "name", BOM_ONLY, "U+FEFF"),
    (_new_client_user, "name", "Carla\u200b", "U+200B"),
    (_new_plan, "name", ZERO_WIDTH_ONLY, "U+200B"),
    (_new_plan, "description", "20 hours\x1b", "control character U+001B"),
    (_new_currency, "prefix", "\x1b$", "control character U+001B"),
    (_new_currency, "suffix", "\u200b", "U+200B"),
    (_new_token, "name", "help\x1bdesk", "control character U+001B"),
]


@pytest.mark.parametrize(
    ("door", "field", "value", "message"),
    FORM_CASES,
    ids=[f"{door.__name__}-{field}-{value!r}" for door, field, value, _m in FORM_CASES],
)
def test_forms_refuse_control_and_invisible_text_with_a_field_message(
    client, auth, f, acme, door, field, value, message
):
    page, post_url, data, saved = door(f, auth, acme, {field: value})
    before = saved()

    response = submit(client, page, data, post_url=post_url)

    assert response.status_code == 422, response.status_code
    assert message in field_error(response.text, field)
    assert saved() == before


def test_multi_line_texts_keep_their_line_breaks_and_tabs(client, auth, f, acme):
    page, _post, data, _saved = _client_ticket(f, auth, acme, {"message": "One\r\n\tTwo"})
    assert submit(client, page, data).status_code == 302
    newest = db.select(TicketMessage.body).order_by(TicketMessage.id.desc()).limit(1)
    assert db.session.scalar(newest) == "One\r\n\tTwo"


def bearer(f, role: str) -> dict:
    """The Authorization header of a fresh user of this role."""
    return {"Authorization": f"Bearer {f.api_token(f.user(role))}"}


def api_cases(acme) -> list[tuple[str, str, dict, str, str]]:
    """(url, role, body, field, message) of API requests that must be refused."""
    ticket = f"/api/v1/tickets/{acme['ticket'].id}"
    prices = [{"currency": "EUR", "fee": "400.00", "rate": "60.00"}]
    plan = {"model": "package", "included_hours": "20", "prices": prices}
    new_ticket = {"client_id": acme["client"].id, "message": "Hi"}
    return [
        ("/api/v1/tickets", "admin", new_ticket | {"subject": ESC}, "subject", "U+001B"),
        ("/api/v1/tickets", "admin", new_ticket | {"subject": BOM_ONLY}, "subject", "U+FEFF"),
        (f"{ticket}/replies", "operator", {"message": "Hi\x1b"}, "message", "U+001B"),
        (f"{ticket}/replies", "operator", {"message": "\u200b"}, "message", "only invisible"),
        ("/api/v1/clients", "admin", {"name": ESC, "email": "b@globex.example.com",
                                      "currency": "EUR"}, "name", "U+001B"),
        ("/api/v1/plans", "admin", plan | {"name": "\ufeffPremium"}, "name", "U+FEFF"),
        ("/api/v1/plans", "admin", plan | {"name": "Premium", "description": "\x1b"},
         "description", "U+001B"),
        ("/api/v1/currencies", "admin", {"code": "USD", "prefix": "\x1b"}, "prefix", "U+001B"),
        (f"{ticket}/time-entries", "operator", {"hours": "1", "note": "x\x1b"}, "note", "U+001B"),
        (f"{ticket}/time-entries", "operator", {"hours": "1", "work_date": "0001-01-01"},
         "work_date", "2000-01-01"),
        ("/api/v1/currencies", "admin", {"code": "ZZZ"}, "code", "ISO 4217"),
    ]  # fmt: skip


def test_the_api_refuses_the_same_text_dates_and_codes_with_400_fields(client, f, acme):
    tokens = {role: bearer(f, role) for role in ("admin", "operator")}
    for url, role, body, field, message in api_cases(acme):
        before = [count(m) for m in (Ticket, TicketMessage, Client, Plan, Currency, TimeEntry)]
        response = client.post(url, json=body, headers=tokens[role])
        assert response.status_code == 400, (url, body, response.json)
        assert response.json["error"] == "validation"
        assert message in response.json["fields"][field], (url, response.json)
        assert [count(m) for m in (Ticket, TicketMessage, Client, Plan, Currency, TimeEntry)] == (
            before
        )


@pytest.mark.parametrize("day", [date(1, 1, 1), date(999, 12, 31), date(1999, 12, 31)])
def test_work_dates_before_2000_are_refused_with_an_iso_date(client, login_as, acme, day):
    login_as("operator")
    url = f"/admin/tickets/{acme['ticket'].id}"
    data = {"hours": "1", "work_date": day.isoformat(), "billable": "y"}

    response = submit(client, url, data)

    assert response.status_code == 422
    message = field_error(response.text, "work_date")
    assert "2000-01-01" in message and day.isoformat() in message
    assert count(TimeEntry) == 0


def test_the_first_day_of_2000_takes_time(client, login_as, acme):
    login_as("operator")
    url = f"/admin/tickets/{acme['ticket'].id}"
    response = submit(client, url, {"hours": "1", "work_date": "2000-01-01"})  # not billable
    assert response.status_code == 302
    assert db.session.scalar(db.select(TimeEntry.work_date)) == date(2000, 1, 1)


@pytest.mark.parametrize("code", ["ZZZ", "XXX", "XTS", "DEM"])
def test_only_current_iso_4217_currencies_can_be_added(client, auth, f, code):
    _admin(f, auth)
    data = {"code": code, "decimals": "2", "prefix": "", "suffix": ""}
    response = submit(client, "/admin/currencies/new", data)
    assert response.status_code == 422
    assert f"{code} is not an ISO 4217 currency in use" in field_error(response.text, "code")
    assert count(Currency) == 0
    assert submit(client, "/admin/currencies/new", data | {"code": "CHF"}).status_code == 302


def test_ids_in_other_scripts_digits_are_no_route(client, login_as, f, acme):
    ticket_id = acme["ticket"].id
    arabic = str(ticket_id).translate(ARABIC_INDIC)
    api = bearer(f, "admin")
    assert client.get(f"/api/v1/tickets/{ticket_id}", headers=api).status_code == 200
    assert client.get(f"/api/v1/tickets/{arabic}", headers=api).status_code == 404
    assert client.patch(f"/api/v1/tickets/{arabic}", json={}, headers=api).status_code == 404
    login_as("operator")
    assert client.get(f"/admin/tickets/{ticket_id}").status_code == 200
    assert client.get(f"/admin/tickets/{arabic}").status_code == 404


def test_query_string_ids_and_pages_take_ascii_digits_only(client, login_as, f, acme):
    globex = f.client("Globex")
    f.ticket(globex, subject="Globex printer")
    login_as("admin")
    acme_id = acme["client"].id
    assert "Globex printer" not in client.get(f"/admin/?client_id={acme_id}").text
    for odd in (str(acme_id).translate(ARABIC_INDIC), f"{acme_id}\u0660", f" {acme_id}"):
        assert "Globex printer" in client.get(f"/admin/?client_id={odd}").text  # no filter
    for n in range(60):
        f.user("operator", email=f"op{n:02d}@example.com")

    def emails(url: str) -> list[str]:
        """The email cells of a users page."""
        return re.findall(r"<td[^>]*>([^<@]+@[^<]+)</td>", client.get(url).text)

    first = emails("/admin/users")
    assert emails("/admin/users?page=2") != first
    assert emails("/admin/users?page=٢") == emails("/admin/users?page=2%20") == first


def test_a_choice_sent_in_other_scripts_digits_is_not_a_choice(client, auth, f):
    _admin(f, auth)
    operator = f.user("operator")
    arabic = str(operator.id).translate(ARABIC_INDIC)
    response = submit(client, "/admin/api-tokens", {"user": arabic, "name": "x"})
    assert response.status_code == 422
    assert count(ApiToken) == 0


def test_the_cli_refuses_a_control_character_in_a_name_or_label(runner, f):
    args = ["create-user", "ops@example.com", "--role", "operator", "--password", "long-enough-pw"]
    result = runner.invoke(args=[*args, "--name", "Ops\x1b[0m"])
    assert result.exit_code == 2 and "name: Remove the control character U+001B" in result.output
    assert count(User) == 0
    user = f.user("operator", email="op@example.com")
    result = runner.invoke(args=["create-api-token", user.email, "--name", "\ufeff"])
    assert result.exit_code == 2 and "name: Remove the invisible character U+FEFF" in result.output
    assert count(ApiToken) == 0
