"""API endpoints about the caller and the business settings."""

from portal.api import bp
from portal.api.common import roles, user
from portal.api.schemas import MeOut, SettingsIn, SettingsOut
from portal.services.settings import change_settings, get_settings


@bp.get("/me")
@bp.response(200, MeOut)
def me():
    """Who the token acts as."""
    current = user()
    return {
        "id": current.id,
        "email": current.email,
        "role": current.role,
        "client_id": current.client_id,
    }


@bp.get("/settings")
@roles("admin")
@bp.response(200, SettingsOut)
def settings():
    """Business settings (admin)."""
    return get_settings()


@bp.put("/settings")
@roles("admin")
@bp.arguments(SettingsIn)
@bp.response(200, SettingsOut)
def settings_put(data: dict):
    """Change business settings; keys left out keep their value."""
    saved = change_settings({**get_settings(), **data}, user())
    return saved
