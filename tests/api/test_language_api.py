"""Languages over the API: GET/PATCH /me `language` (null = the browser's), a client's
`language` on GET/PATCH /clients/{id}, and refusals whose `message` texts speak the token
user's language while their `error` codes stay as they are."""

from pathlib import Path

import pytest
from babel.support import Translations

from portal.extensions import db
from portal.models import Client, User
from tests.helpers import audit_rows, bearer

API = "/api/v1"
CATALOGS = Path(__file__).resolve().parents[2] / "portal" / "translations"
NOT_FOUND = "Ticket not found."


def translated(language: str, msgid: str) -> bool:
    """Whether the compiled catalog of `language` translates `msgid` yet."""
    catalog = Translations.load(str(CATALOGS), [language], domain="messages")
    return catalog.gettext(msgid) != msgid


@pytest.fixture
def api(app):
    return app.test_client()


@pytest.fixture
def ola(f):
    """A client user and her token."""
    user = f.user("client", email="ola@acme.example", name="Ola")
    return user, bearer(f.api_token(user))


def test_me_shows_and_changes_the_language(api, ola):
    user, headers = ola
    assert api.get(f"{API}/me", headers=headers).json["language"] is None
    response = api.patch(f"{API}/me", json={"language": "pl"}, headers=headers)
    assert response.status_code == 200 and response.json["language"] == "pl"
    assert api.get(f"{API}/me", headers=headers).json["language"] == "pl"
    assert db.session.get(User, user.id).language == "pl"
    assert audit_rows("user.language")[0].after == {"language": "pl"}
    # Another key alone leaves the language as it is; null goes back to the browser's.
    response = api.patch(f"{API}/me", json={"time_format": "decimal"}, headers=headers)
    assert response.json["language"] == "pl"
    response = api.patch(f"{API}/me", json={"language": None}, headers=headers)
    assert response.status_code == 200 and response.json["language"] is None


@pytest.mark.parametrize("value", ["fr", "PL", "", "pl-PL", 1, True, ["pl"], {"code": "pl"}])
def test_me_refuses_a_language_it_does_not_speak(api, ola, value):
    user, headers = ola
    response = api.patch(f"{API}/me", json={"language": value}, headers=headers)
    assert response.status_code == 400
    assert response.json["error"] == "validation" and set(response.json["fields"]) == {"language"}
    assert db.session.get(User, user.id).language is None


def test_a_client_shows_and_changes_its_language(api, f):
    headers = bearer(f.api_token(f.user("admin")))
    acme = f.client("ACME GmbH")
    url = f"{API}/clients/{acme.id}"
    assert api.get(url, headers=headers).json["language"] == "en"
    response = api.patch(url, json={"language": "de"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["language"] == "de"
    assert db.session.get(Client, acme.id).language == "de"
    assert api.get(url, headers=headers).json["language"] == "de"
    # Other changes keep it.
    response = api.patch(url, json={"po_reference": "PO-7"}, headers=headers)
    assert response.json["language"] == "de"
    for value in ("fr", "", 3):
        response = api.patch(url, json={"language": value}, headers=headers)
        assert response.status_code == 400 and set(response.json["fields"]) == {"language"}
    assert db.session.get(Client, acme.id).language == "de"


def test_a_new_client_may_be_given_its_language(api, f):
    headers = bearer(f.api_token(f.user("admin")))
    f.currency("EUR")
    body = {"name": "Kunde GmbH", "email": "kunde@example.com", "currency": "EUR"}
    response = api.post(f"{API}/clients", json=body | {"language": "de"}, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["language"] == "de"
    response = api.post(f"{API}/clients", json=body | {"name": "Other"}, headers=headers)
    assert response.json["language"] == "en"


@pytest.fixture
def operator(f):
    """An operator, their token, and a ticket to log time on."""
    user = f.user("operator", email="op@example.com", name="Olga")
    ticket = f.ticket(f.client("ACME"))
    return user, bearer(f.api_token(user)), f"{API}/tickets/{ticket.id}/time-entries"


def test_refusals_are_written_in_the_token_users_language(api, f, operator):
    """Babel's dates follow the token user's language even before the catalogs are filled:
    a work date too long ago reads 1999-12-31 in English, 31.12.1999 in Polish and German."""
    user, headers, url = operator
    old = {"hours": "1", "work_date": "1999-12-31", "billable": False}
    dates = {"en": ("1999-12-31", "2000-01-01"), "pl": ("31.12.1999", "01.01.2000")}
    dates["de"] = dates["pl"]
    for language, (day, earliest) in dates.items():
        f.update(db.session.get(User, user.id), language=language)
        response = api.post(url, json=old, headers=headers)
        assert response.status_code == 400 and response.json["error"] == "validation"
        message = response.json["fields"]["work_date"]
        assert day in message and earliest in message, (language, message)


def test_the_browser_language_counts_only_without_the_users_choice(api, f, operator):
    user, headers, url = operator
    old = {"hours": "1", "work_date": "1999-12-31", "billable": False}
    response = api.post(url, json=old, headers=headers | {"Accept-Language": "de"})
    assert "31.12.1999" in response.json["fields"]["work_date"]  # no choice (null): the browser's
    response = api.post(url, json=old, headers=headers)
    assert "1999-12-31" in response.json["fields"]["work_date"]  # and without one, English
    f.update(db.session.get(User, user.id), language="pl")
    response = api.post(url, json=old, headers=headers | {"Accept-Language": "en"})
    assert "31.12.1999" in response.json["fields"]["work_date"]


def test_error_codes_stay_and_english_messages_are_unchanged(api, ola):
    _user, headers = ola
    response = api.get(f"{API}/tickets/999999", headers=headers)
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "message": NOT_FOUND}


@pytest.mark.skipif(
    not (translated("pl", NOT_FOUND) and translated("de", NOT_FOUND)),
    reason="the catalogs are not filled yet",
)
@pytest.mark.parametrize("language", ["pl", "de"])
def test_error_messages_are_translated_and_codes_are_not(api, f, ola, language):
    user, headers = ola
    f.update(db.session.get(User, user.id), language=language)
    response = api.get(f"{API}/tickets/999999", headers=headers)
    assert response.status_code == 404 and response.json["error"] == "not_found"
    assert response.json["message"] not in ("", NOT_FOUND)
    refused = api.patch(f"{API}/me", json={"language": "fr"}, headers=headers)
    assert refused.json["error"] == "validation"
    assert refused.json["fields"]["language"] != "One of: en, pl, de."
    unauthorised = api.get(f"{API}/me")
    assert unauthorised.json["error"] == "unauthorized"


@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Not found."), ("pl", "Nie znaleziono."), ("de", "Nicht gefunden.")],
)
def test_an_unknown_route_answers_in_the_token_users_language(api, f, language, message):
    user = f.user("operator", email=f"{language}@shop.example")
    user.language = language
    db.session.commit()
    response = api.get(f"{API}/no-such-thing", headers=bearer(f.api_token(user)))
    assert response.status_code == 404
    assert response.json == {"error": "not_found", "message": message}


def test_a_method_not_allowed_answers_in_polish_and_keeps_its_code(api, f):
    user = f.user("operator", email="pl405@shop.example")
    user.language = "pl"
    db.session.commit()
    response = api.delete(f"{API}/me", headers=bearer(f.api_token(user)))
    assert response.status_code == 405
    assert response.json == {
        "error": "method_not_allowed",
        "message": "Ta metoda nie jest tu dozwolona.",
    }
