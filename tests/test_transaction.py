"""One request, one transaction, committed in one place (portal/transaction.py): a request
that ends well keeps its writes; a GET, an error status, a refused form, an exception and a
failed commit keep nothing, and a failed commit answers 409 or 503 instead of a success."""

import pytest
from flask import abort, flash, get_flashed_messages, has_request_context, jsonify, redirect
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.extensions import db
from portal.models import Currency
from portal.transaction import discard, unit_of_work
from tests.helpers import count


class Boom(Exception):
    """An error no handler expects."""


def add_currency(code: str) -> None:
    """A write through the session, flushed as a service would."""
    db.session.add(Currency(code=code, decimals=2, prefix="", suffix="", is_default=False))
    db.session.flush()


@pytest.fixture
def probe(app, make_app):
    """An app with routes that write one currency and then end in each possible way."""
    app = make_app(WTF_CSRF_ENABLED=False)  # on the database the `app` fixture emptied

    def route(rule, methods=("POST",)):
        return app.route(rule, methods=list(methods))

    @route("/t/redirect")
    def ends_well():
        add_currency("USD")
        flash("Saved.", "success")
        return redirect("/t/flashes")

    @route("/t/api", methods=("POST",))
    def api_ends_well():
        add_currency("CHF")
        return jsonify(ok=True), 201

    @route("/api/v1/t/api-busy")
    def api_busy():
        add_currency("USD")
        return jsonify(ok=True), 201

    @route("/t/get", methods=("GET",))
    def get_writes():
        add_currency("USD")
        return "looked"

    @route("/t/refused")
    def refused_form():
        add_currency("USD")
        discard()  # what apply_errors does for a form a rule refused
        add_currency("CHF")  # even what comes after the refusal
        return "form with errors", 200

    @route("/t/422")
    def error_status():
        add_currency("USD")
        return "form with errors", 422

    @route("/t/abort")
    def aborted():
        add_currency("USD")
        abort(404)

    @route("/t/raise")
    def raises():
        add_currency("USD")
        raise Boom("unexpected")

    @app.route("/t/flashes")
    def flashes():
        return ",".join(get_flashed_messages())

    with app.app_context():
        yield app


def currencies(app) -> int:
    """Currencies in the database, seen from a fresh session."""
    with app.app_context():
        return count(Currency)


def test_a_write_request_that_ends_well_is_committed(probe):
    client = probe.test_client()
    assert client.post("/t/redirect").status_code == 302
    assert currencies(probe) == 1
    assert client.get("/t/flashes").text == "Saved."
    assert client.post("/t/api").status_code == 201
    assert currencies(probe) == 2


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/t/get", 200),
        ("post", "/t/refused", 200),
        ("post", "/t/422", 422),
        ("post", "/t/abort", 404),
        ("post", "/t/raise", 500),
    ],
    ids=["get", "refused-form", "error-status", "abort", "exception"],
)
def test_requests_that_do_not_end_well_keep_nothing(probe, method, path, status):
    client = probe.test_client()
    assert getattr(client, method)(path).status_code == status
    assert currencies(probe) == 0


def test_a_failed_commit_on_a_page_is_409_and_its_flash_never_shows(probe):
    client = probe.test_client()
    response = _with_commit_failing(probe, client, "/t/redirect", IntegrityError)
    assert response.status_code == 409 and "nothing was saved" in response.text
    assert client.get("/t/flashes").text == ""
    assert currencies(probe) == 0


def test_a_busy_database_at_commit_is_503_with_retry_after(probe):
    client = probe.test_client()
    response = _with_commit_failing(probe, client, "/api/v1/t/api-busy", OperationalError)
    assert response.status_code == 503 and response.headers["Retry-After"] == "1"
    assert response.json["error"] == "busy"
    assert currencies(probe) == 0


def _with_commit_failing(_app, client, path: str, error: type):
    """POST `path` while every commit fails with `error`."""
    from sqlalchemy.orm import Session

    def fail(_session):
        if not has_request_context():  # the test's own session commits before each request
            return
        if error is IntegrityError:
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    event.listen(Session, "before_commit", fail)
    try:
        return client.post(path)
    finally:
        event.remove(Session, "before_commit", fail)


def test_unit_of_work_commits_at_the_end_and_keeps_nothing_when_it_raises(app):
    with unit_of_work():
        add_currency("USD")
    with pytest.raises(SystemExit), unit_of_work():
        add_currency("CHF")
        raise SystemExit(2)
    db.session.rollback()
    assert [c.code for c in db.session.scalars(db.select(Currency))] == ["USD"]


def test_unit_of_work_refuses_to_swallow_changes_made_before_it(app):
    db.session.add(Currency(code="USD", decimals=2, prefix="", suffix="", is_default=False))
    with pytest.raises(RuntimeError), unit_of_work():
        pass
    db.session.rollback()
