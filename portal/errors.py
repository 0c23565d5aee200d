"""Error pages for people, JSON errors for the API."""

from flask import jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from portal.extensions import db

_API_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    500: "server_error",
}


def wants_json() -> bool:
    """True for API requests."""
    return request.path.startswith("/api/")


def api_error(status: int, message: str, code: str | None = None):
    """A JSON error body as API.md describes it."""
    body = {"error": code or _API_CODES.get(status, "error"), "message": message}
    return jsonify(body), status


def register(app) -> None:
    """Install the handlers on the app."""

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        """403/404/405 and friends."""
        if wants_json():
            return api_error(exc.code or 500, exc.description or exc.name)
        template = f"errors/{exc.code}.html" if exc.code in (403, 404) else "errors/generic.html"
        return render_template(template, error=exc), exc.code

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        """Anything unforeseen: roll back, log, and answer 500 without details."""
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            return handle_http(exc)
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if wants_json():
            return api_error(500, "Internal server error.")
        return render_template("errors/500.html"), 500
