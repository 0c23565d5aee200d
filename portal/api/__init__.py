"""JSON API v1 (/api/v1): bearer tokens, no cookies, no CSRF; described by its own schemas."""

from flask import g, request
from flask_babel import gettext as _
from flask_babel import refresh
from flask_smorest import Blueprint

from portal.api.common import StrictParser, domain_error_response
from portal.errors import api_error
from portal.extensions import csrf
from portal.services.accounts.tokens import find_token_user
from portal.services.errors import DomainError

bp = Blueprint("api", __name__, description="Support Hours Portal API v1")
bp.ARGUMENTS_PARSER = StrictParser()  # before the views: it sets the documented 400
csrf.exempt(bp)

# Bodies are JSON; a body under any other type is refused rather than guessed at.
JSON_TYPES = frozenset({"application/json"})
PUBLIC_ENDPOINTS = frozenset({"api.openapi"})
# ... except where files come too: these also take multipart/form-data.
MULTIPART_ENDPOINTS = frozenset({"api.tickets_reply"})


@bp.before_request
def authenticate_token():
    """Resolve `Authorization: Bearer <token>` to its user, or answer 401."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None  # the description of the API is public
    header = request.headers.get("Authorization", "")
    scheme, _space, token = header.partition(" ")
    user = find_token_user(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = api_error(401, _("A valid API token is required."), "unauthorized")
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    g.api_user = user
    refresh()  # from here on the request speaks its token user's language
    return None


@bp.before_request
def refuse_other_bodies():
    """415 for a body that is not JSON (an empty body needs no type)."""
    if request.method in ("GET", "HEAD", "OPTIONS", "DELETE"):
        return None
    if not request.content_length and not request.get_data(cache=True):
        return None
    multipart = (
        request.endpoint in MULTIPART_ENDPOINTS and request.mimetype == "multipart/form-data"
    )
    if request.mimetype not in JSON_TYPES and not multipart:
        return api_error(
            415,
            _("Send the body as JSON (Content-Type: application/json)."),
            "unsupported_media_type",
        )
    return None


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    """A rule refused the request: 400 with fields, or 404/409 (nothing of it is kept: the
    request's end rolls back every error status)."""
    return domain_error_response(exc)


from portal.api import (  # noqa: E402,F401
    billing,
    catalog,
    documents,
    emails,
    openapi,
    tax_rates,
    tickets,
    views,
)
