"""The account page's language choice: the browser's default or English, Polish, German;
saved on the user (audited), bad input refused with the field's message."""

import re

import pytest

from portal.extensions import db
from portal.models import User
from tests.helpers import audit_rows, field_error, submit


def stored_language(user_id: int) -> str | None:
    """The user's language, fresh from the database."""
    db.session.expire_all()
    return db.session.get(User, user_id).language


def choose(client, language: str):
    """The account page's language form, posted with `language`."""
    return submit(client, "/account/password", {"language": language}, "/account/language")


def selected(html: str) -> str | None:
    """The value of the language select's chosen option."""
    select = re.search(r'<select[^>]*name="language"[^>]*>(.*?)</select>', html, re.S)
    assert select, "no language select on the page"
    chosen = re.search(
        r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select[1]
    )
    return next(value for value in chosen.groups() if value is not None) if chosen else None


def test_the_account_page_offers_the_browser_default_and_each_language(client, operator):
    page = client.get("/account/password").text
    assert 'action="/account/language"' in page
    for value, name in (
        ("", "Browser default"),
        ("en", "English"),
        ("pl", "Polski"),
        ("de", "Deutsch"),
    ):
        assert (
            f'<option{" selected" if value == "" else ""} value="{value}">{name}</option>' in page
        )
    assert selected(page) == ""


def test_choosing_polish_saves_it_audits_it_and_the_pages_follow(client, acme_user):
    response = choose(client, "pl")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/password")
    assert stored_language(acme_user.id) == "pl"
    [row] = audit_rows("user.language")
    assert row.before == {"language": None} and row.after == {"language": "pl"}
    page = client.get("/account/password")
    assert page.status_code == 200
    assert "Polski" in page.text  # the confirmation names the language, in itself
    assert selected(page.text) == "pl"


def test_browser_default_stores_none(client, operator):
    assert choose(client, "de").status_code == 302
    assert stored_language(operator.id) == "de"
    response = choose(client, "")
    assert response.status_code == 302
    assert stored_language(operator.id) is None
    rows = audit_rows("user.language")
    assert [r.after["language"] for r in rows] == ["de", None]
    # No language of its own and none asked for by the browser: English.
    assert (
        "Saved: pages follow your browser&#39;s language." in client.get("/account/password").text
    )


def test_the_same_choice_again_changes_nothing(client, operator):
    assert choose(client, "en").status_code == 302
    assert choose(client, "en").status_code == 302
    assert len(audit_rows("user.language")) == 1


@pytest.mark.parametrize("value", ["fr", "PL", "pl ", "x" * 300])
def test_an_unknown_language_is_refused_with_the_fields_message(client, operator, value):
    response = choose(client, value)
    assert response.status_code == 422
    assert field_error(response.text, "language") == "Choose English, Polish or German."
    assert stored_language(operator.id) is None
    assert audit_rows("user.language") == []


def test_a_post_without_its_token_changes_nothing(client, operator):
    response = client.post("/account/language", data={"language": "pl"})
    assert response.status_code == 400  # the app's CSRF check refuses it before the view
    assert stored_language(operator.id) is None


def test_wtforms_own_messages_follow_the_language(client):
    """Flask-WTF translates WTForms' built-in messages once Flask-Babel is active."""
    page = client.get("/login", headers={"Accept-Language": "pl"})
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)[1]
    response = client.post("/login", data={"csrf_token": token}, headers={"Accept-Language": "pl"})
    assert field_error(response.text, "email") == "To pole jest wymagane."
    english = client.post("/login", data={"csrf_token": token})
    assert field_error(english.text, "email") == "This field is required."
