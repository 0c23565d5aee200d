"""Defences every request passes through: response headers, session timeouts, proxy headers
and login rate limits (see docs/RELIABILITY.md, "Security")."""

import time

from flask import Flask, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.extensions import limiter

# Everything is served by the app itself: no inline script, no outside host. Bootstrap's CSS
# draws some icons with data: URIs, hence img-src data:.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})

# Session keys: when the user logged in and when the session was last used (epoch seconds).
AUTH_AT = "auth_at"
SEEN_AT = "seen_at"
# The idle clock is written back at most once a twentieth of the idle limit, and at most
# once a minute, so not every response sets a cookie (see seen_resolution).
SEEN_RESOLUTION_SHARE = 20
SEEN_RESOLUTION_MAX_SECONDS = 60


def init_app(app: Flask) -> None:
    """Install the proxy fix, the rate limiter and the per-request hooks."""
    hops = app.config.get("PROXY_FIX_HOPS", 0)
    if hops:
        # Behind N trusted proxies: client address, scheme and host come from X-Forwarded-*.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    limiter.init_app(app)
    app.before_request(refuse_nul_in_forms)
    app.before_request(enforce_session_timeouts)
    app.after_request(add_security_headers)


def refuse_nul_in_forms():
    """No text of this portal may hold a NUL character (PostgreSQL cannot store one, and
    no keyboard types one): a form post carrying one is refused whole, before any view."""
    if (
        request.method == "POST"
        and request.blueprint != "api"
        and request.mimetype
        in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
    ):
        values = (value for _key, values in request.form.lists() for value in values)
        if any("\x00" in value for value in values):
            abort(400, _("Text may not contain NUL characters; nothing was saved."))
    return None


def start_session_clock() -> None:
    """Called right after login: the absolute and idle timeouts count from now."""
    now = int(time.time())
    session[AUTH_AT] = now
    session[SEEN_AT] = now


def seen_resolution(config) -> int:
    """Seconds between writes of the idle clock: 3 s for a 1-minute limit, 60 s from 20 on."""
    idle = config["SESSION_IDLE_MINUTES"] * 60
    return max(1, min(SEEN_RESOLUTION_MAX_SECONDS, idle // SEEN_RESOLUTION_SHARE))


def session_expired(now: int, config) -> bool:
    """True when the session is older than the absolute limit or idle longer than allowed.

    The last request came less than one resolution after the stored `seen_at` (a later one
    would have written it), so the idle limit counts from `seen_at` plus that resolution:
    nobody active within the limit is logged out, and an idle session ends at most one
    resolution late.
    """
    auth_at = session.get(AUTH_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return True
    idle_limit = config["SESSION_IDLE_MINUTES"] * 60 + seen_resolution(config)
    return now - auth_at > config["SESSION_MAX_AGE_MINUTES"] * 60 or now - seen_at >= idle_limit


def enforce_session_timeouts():
    """Log a browser session out once it is idle or old; otherwise note that it was used."""
    if request.endpoint in STATIC_ENDPOINTS or request.blueprint == "api":
        return None
    if not current_user.is_authenticated:
        return None
    now = int(time.time())
    if session_expired(now, current_app.config):
        logout_user()
        session.clear()
        flash(_("Your session has expired. Please log in again."), "info")
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("auth.login", next=target.rstrip("?") if target else None))
    if now - session.get(SEEN_AT, 0) >= seen_resolution(current_app.config):
        session[SEEN_AT] = now
    return None


def add_security_headers(response):
    """CSP, framing, sniffing and referrer rules on every response; HSTS over HTTPS."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure or current_app.config.get("HTTPS"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint not in STATIC_ENDPOINTS and (
        # is_anonymous, not is_authenticated: the request's transaction has ended, and
        # asking whether the user is active would load the user again (one more statement).
        request.path.startswith("/api/") or not current_user.is_anonymous
    ):
        # Tickets, hours and invoices are private: no browser or proxy may keep a copy
        # (a download's "private, no-store" says the same and stays).
        if "no-store" not in headers.get("Cache-Control", ""):
            headers["Cache-Control"] = "no-store"
    return response
