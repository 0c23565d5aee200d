"""One guard per area: who may enter the admin and client blueprints, and admin-only pages."""

from functools import wraps

from flask import abort
from flask_login import current_user

from portal.extensions import login_manager


def require_staff():
    """before_request of /admin: admins and operators only."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)
    return None


def require_client_user():
    """before_request of /client: client users only."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.role != "client":
        abort(403)
    return None


def admin_required(view):
    """Mark a staff page as admin-only: operators get 403."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    wrapped.admin_only = True
    return wrapped
