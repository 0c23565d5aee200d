"""API endpoints about the caller and the business settings."""

from flask import jsonify

from portal.api import bp
from portal.api.common import roles, user
from portal.services.settings import get_settings


@bp.get("/me")
def me():
    """Who the token acts as."""
    current = user()
    return jsonify(
        id=current.id, email=current.email, role=current.role, client_id=current.client_id
    )


@bp.get("/settings")
@roles("admin")
def settings():
    """Business settings (admin)."""
    return jsonify(get_settings())
