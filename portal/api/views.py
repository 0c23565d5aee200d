"""API endpoints about the caller, the business settings and the business profile."""

from portal.api import bp
from portal.api.common import STAFF, found, roles, user
from portal.api.schemas import (
    BusinessProfileIn,
    BusinessProfileOut,
    MeOut,
    MePatch,
    SettingsIn,
    SettingsOut,
    UserIn,
    UserOut,
    UserPatch,
)
from portal.services.accounts.users import (
    add_user,
    change_role,
    set_language,
    set_notifications,
    set_time_format,
    set_user_active,
)
from portal.services.billing.profiles import business_values, save_business_profile
from portal.services.lookups import user_for
from portal.services.settings import change_settings, get_settings


@bp.get("/me")
@bp.response(200, MeOut)
def me():
    """Who the token acts as."""
    return _me_json(user())


def _me_json(current) -> dict:
    """The caller as GET /me shows them."""
    return {
        "id": current.id,
        "email": current.email,
        "role": current.role,
        "client_id": current.client_id,
        "language": current.language,
        "time_format": current.time_format,
        "notify_replies": current.notify_replies,
        "notify_alerts": current.notify_alerts,
        "notify_new_tickets": current.notify_new_tickets,
    }


@bp.patch("/me")
@bp.arguments(MePatch)
@bp.response(200, MeOut)
def me_patch(data: dict):
    """Change one's own preferences: the language of pages and mail ("en", "pl", "de", or
    null for the browser's), how pages show time ("hm" 1:30 or "decimal" 1.50) and which
    optional mail comes; keys left out keep their value."""
    current = user()
    if "language" in data:
        set_language(current, data["language"])
    if "time_format" in data:
        set_time_format(current, data["time_format"])
    if NOTIFY_KEYS & set(data):
        set_notifications(
            current,
            replies=data.get("notify_replies", current.notify_replies),
            alerts=data.get("notify_alerts", current.notify_alerts),
            new_tickets=data.get("notify_new_tickets"),
        )
    return _me_json(current)


NOTIFY_KEYS = {"notify_replies", "notify_alerts", "notify_new_tickets"}


def _user_json(account) -> dict:
    """A user as the API shows them."""
    return {
        "id": account.id,
        "email": account.email,
        "name": account.name,
        "role": account.role,
        "client_id": account.client_id,
        "active": account.active,
        "must_change_password": account.must_change_password,
        "invitation_pending": account.awaiting_password,
    }


@bp.post("/users")
@roles("admin")
@bp.arguments(UserIn)
@bp.response(201, UserOut)
def users_create(data: dict):
    """Add a user; an invitation to choose their password is mailed to them."""
    account = add_user(
        user(),
        email=data["email"],
        name=data["name"],
        role=data["role"],
        client_id=data.get("client_id"),
    )
    return _user_json(account)


@bp.patch("/users/<int:user_id>")
@roles("admin")
@found(user_for)
@bp.arguments(UserPatch)
@bp.response(200, UserOut)
def users_patch(data: dict, user_id: int):
    """Change a staff member's role, or disable / enable a user."""
    account = user_for(user(), user_id)
    if "role" in data:
        change_role(user(), account, data["role"])
    if "active" in data:
        set_user_active(user(), account, data["active"])
    return _user_json(account)


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


@bp.patch("/settings")
@roles("admin")
@bp.arguments(SettingsIn)
@bp.response(200, SettingsOut)
def settings_patch(data: dict):
    """Change some business settings (PUT already keeps what is left out: the same)."""
    return change_settings({**get_settings(), **data}, user())


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
