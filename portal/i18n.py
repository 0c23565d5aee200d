"""Languages (SPEC "Languages"): English, Polish and German through Flask-Babel.

Which language a page speaks: the user's choice (account page, PATCH /me), else the
browser's Accept-Language, else English. Mail goes out in its reader's language: a
person's own choice, else their client's; billing mail and documents in the client's.
Catalogs live in portal/translations (`make translations` extracts, updates, compiles).
"""

from contextlib import contextmanager

from flask import g, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, gettext
from flask_login import current_user

DEFAULT_LANGUAGE = "en"
# Code -> the language's name in itself (how the choice is offered on forms).
LANGUAGES = {"en": "English", "pl": "Polski", "de": "Deutsch"}

babel = Babel()


def _request_user():
    """The user a request acts for: the API token's user, else the logged-in one."""
    api_user = g.get("api_user")
    if api_user is not None:
        return api_user
    if request.path.startswith("/api/"):
        # An API request refused before its blueprint read the token (an unknown route, a
        # method the route does not take) still answers in its token user's language.
        scheme, _sep, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        from portal.services.accounts.tokens import find_token_user

        try:
            return find_token_user(token.strip())
        except Exception:  # noqa: BLE001 - the database failed: the error page speaks English
            return None
    user = current_user
    return user if getattr(user, "is_authenticated", False) else None


def select_locale() -> str:
    """Flask-Babel's locale selector, asked once per request (outside one: English)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    user = _request_user()
    if user is not None and user.language in LANGUAGES:
        return user.language
    return request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language being spoken now ("en", "pl" or "de")."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def person_language(user) -> str:
    """The language of mail to one person: their choice, else their client's, else English."""
    if user.language in LANGUAGES:
        return user.language
    client = getattr(user, "client", None)
    if client is not None and client.language in LANGUAGES:
        return client.language
    return DEFAULT_LANGUAGE


def document_language(language: str | None) -> str:
    """A stored language (an invoice's buyer, a client) as one we speak."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@contextmanager
def speaking(language: str | None):
    """Render in `language` (mail, documents), then go back to the request's own."""
    with force_locale(document_language(language)):
        yield


def N_(text: str) -> str:
    """Mark a message for the catalog where it is translated later, by gettext at use."""
    return text


def init_app(app) -> None:
    """Bind Flask-Babel; Flask-Login's "please log in" message is translated when flashed."""
    babel.init_app(app, locale_selector=select_locale)
    from portal.extensions import login_manager

    login_manager.localize_callback = gettext
    # <html lang="{{ current_language() }}"> on pages, mail and documents.
    app.add_template_global(current_language)
