"""Login and logout, the account page, and choosing a password through a mailed link."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import recovery, views  # noqa: E402,F401
