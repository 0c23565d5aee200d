"""One request, one transaction, committed in one place: when the request ends well.

Views and API endpoints never commit. They call services, which flush, and answer. When
the request ends, `end_request` commits a request that may write (POST, PUT, PATCH, DELETE)
and answered below 400; it rolls back a GET or HEAD (which so never writes, whatever it
touched), an error status, a request a view `discard`ed (a refused form, a preview), and an
exception. A commit that fails answers for the request: 409 when another write took what
this one needed meanwhile, 503 when the database was busy; never a success page for what
was not saved. The CLI and the scheduled jobs use `unit_of_work`, the same rule as a block.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, g, make_response, render_template, request, session
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.database import SAFE_METHODS, write_intent
from portal.errors import api_error, busy_response, wants_json
from portal.extensions import db
from portal.i18n import N_

CONFLICT = N_(
    "Someone else changed the same thing at the same moment; nothing was saved. Try again."
)


def discard() -> None:
    """Keep nothing this request changed: a rule or a form refused it, or it only looked."""
    g._portal_discard = True
    db.session.rollback()


@contextmanager
def unit_of_work() -> Iterator[None]:
    """A CLI command's or a job's transaction: committed when the block ends, rolled back
    when it raises (SystemExit included), begun as a writer on SQLite."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("unit_of_work() after changes it would throw away")
    session.rollback()  # end a read begun before, so this transaction begins as a writer
    with write_intent():
        try:
            yield
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()


def end_request(response):
    """Commit the request's transaction if it ended well, else roll it back."""
    keep = (
        request.method not in SAFE_METHODS
        and response.status_code < 400
        and not g.pop("_portal_discard", False)
    )
    if not keep:
        db.session.rollback()
        return response
    try:
        db.session.commit()
    except (IntegrityError, OperationalError) as exc:
        db.session.rollback()
        return _failed_commit(exc)
    return response


def _failed_commit(exc: Exception):
    """The answer to a request whose commit failed: nothing of it was saved."""
    session.pop("_flashes", None)  # a "Saved." flash must not show on the next page
    # make_response: an after_request function must return a Response, not a tuple.
    if isinstance(exc, OperationalError):  # busy, a serialisation failure: try again
        return make_response(*busy_response())
    if wants_json():
        return make_response(*api_error(409, _(CONFLICT), "conflict"))
    return make_response(render_template("errors/409.html", message=_(CONFLICT)), 409)


def init_app(app: Flask) -> None:
    """Install the request boundary. Registered after the other after_request functions, it
    runs before them, so a failed commit's answer still gets the security headers."""
    app.after_request(end_request)
