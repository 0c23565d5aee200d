"""Error pages for people, JSON errors for the API."""

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from portal.extensions import db
from portal.i18n import N_

_API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
    503: "busy",
    500: "server_error",
}


# What the API says for werkzeug's own refusals, whose descriptions are English; a
# description the code gave (abort(404, "…")) is passed on as given.
_API_MESSAGES = {
    400: N_("The request could not be understood."),
    401: N_("A valid API token is required."),
    403: N_("You may not do this."),
    404: N_("Not found."),
    405: N_("This method is not allowed here."),
    409: N_("The request clashes with the current state."),
    413: N_("The request is too large."),
    415: N_("This type of body is not accepted."),
    429: N_("Too many requests; try again in a moment."),
}


def api_message(exc: HTTPException) -> str:
    """The `message` of an HTTP error, in the token user's language."""
    # Flask-Limiter's 429 describes the limit ("5 per 1 minute"), not what to do.
    if exc.code != 429 and exc.description and exc.description != type(exc).description:
        return exc.description
    default = _API_MESSAGES.get(exc.code or 500)
    return _(default) if default else (exc.description or exc.name)


def wants_json() -> bool:
    """True for API requests."""
    return request.path.startswith("/api/")


def api_error(status: int, message: str, code: str | None = None):
    """A JSON error body as API.md describes it."""
    body = {"error": code or _API_CODES.get(status, "error"), "message": message}
    return jsonify(body), status


def is_database_busy(exc: Exception) -> bool:
    """True for SQLite's "database is locked" after the busy timeout."""
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


def busy_response():
    """503 with Retry-After: the request changed nothing and may be sent again."""
    message = _("The database is busy; nothing was saved. Try again in a moment.")
    if wants_json():
        response, status = api_error(503, message)
    else:
        response, status = render_template("errors/503.html", message=message), 503
    return response, status, {"Retry-After": "1"}


def register(app) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        """403/404/405 and friends, with the exception's own headers (405's Allow)."""
        headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
        if wants_json():
            response, status = api_error(exc.code or 500, api_message(exc))
            return response, status, headers
        template = (
            f"errors/{exc.code}.html" if exc.code in (403, 404, 429) else "errors/generic.html"
        )
        return render_template(template, error=exc), exc.code, headers

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        """Anything unforeseen: roll back, log, and answer 500 without details."""
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return handle_http(exc)
        db.session.rollback()
        if is_database_busy(exc):
            # SQLite's single writer was taken for longer than the busy timeout: nothing was
            # saved, and trying again shortly will work.
            app.logger.warning("database busy on %s %s", request.method, request.path)
            return busy_response()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return api_error(500, _("Internal server error."))
        return render_template("errors/500.html"), 500
