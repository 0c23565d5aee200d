"""API endpoints about the caller, the business settings and the business profile."""

from portal.api import bp
from portal.api.common import STAFF, roles, user
from portal.api.schemas import BusinessProfileIn, BusinessProfileOut, MeOut, SettingsIn, SettingsOut
from portal.services.billing.profiles import business_values, save_business_profile
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


@bp.get("/business-profile")
@roles(*STAFF)
@bp.response(200, BusinessProfileOut)
def business_profile():
    """The seller on every invoice (staff)."""
    return business_values()


@bp.put("/business-profile")
@roles("admin")
@bp.arguments(BusinessProfileIn)
@bp.response(200, BusinessProfileOut)
def business_profile_put(data: dict):
    """Change the business profile; keys left out keep their value."""
    profile = save_business_profile({**business_values(), **data}, user())
    return business_values(profile)
