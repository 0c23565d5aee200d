"""API endpoints."""

from functools import wraps

from flask import g, jsonify

from portal.api import bp
from portal.errors import api_error
from portal.services.settings import get_settings


def roles(*allowed: str):
    """Only tokens of these roles may call the endpoint; others get 403 JSON."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.api_user.role not in allowed:
                return api_error(403, "Your role may not do this.", "forbidden")
            return view(*args, **kwargs)

        return wrapped

    return decorate


@bp.get("/me")
def me():
    """Who the token acts as."""
    user = g.api_user
    return jsonify(id=user.id, email=user.email, role=user.role, client_id=user.client_id)


@bp.get("/settings")
@roles("admin")
def settings():
    """Business settings (admin)."""
    return jsonify(get_settings())
