"""JSON API v1 (/api/v1): bearer tokens, no cookies, no CSRF."""

from flask import Blueprint, g, request

from portal.errors import api_error
from portal.extensions import csrf
from portal.services.tokens import find_token_user

bp = Blueprint("api", __name__)
csrf.exempt(bp)


@bp.before_request
def authenticate_token():
    """Resolve `Authorization: Bearer <token>` to its user, or answer 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = find_token_user(token.strip()) if scheme.lower() == "bearer" else None
    if user is None:
        response = api_error(401, "A valid API token is required.", "unauthorized")
        response[0].headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    g.api_user = user
    return None


from portal.api import views  # noqa: E402,F401
