"""JSON API v1 (/api/v1): bearer tokens, no cookies, no CSRF."""

from flask import Blueprint, g, request

from portal.api.common import domain_error_response
from portal.errors import api_error
from portal.extensions import csrf, db
from portal.services.errors import DomainError
from portal.services.tokens import find_token_user

bp = Blueprint("api", __name__)
csrf.exempt(bp)


@bp.before_request
def authenticate_token():
    """Resolve `Authorization: Bearer <token>` to its user, or answer 401."""
    if request.endpoint == "api.openapi":
        return None  # the description of the API is public
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = find_token_user(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = api_error(401, "A valid API token is required.", "unauthorized")
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    g.api_user = user
    return None


@bp.errorhandler(DomainError)
def refused(exc: DomainError):
    """A rule refused the request: nothing of it is kept; 400 with fields, or 404/409."""
    db.session.rollback()
    return domain_error_response(exc)


from portal.api import billing, catalog, openapi, tickets, views  # noqa: E402,F401
