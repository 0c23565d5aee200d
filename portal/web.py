"""Helpers shared by the page blueprints: service errors onto forms or the 404 page, paging
arguments, the confirmation page of irreversible buttons."""

import re
from collections.abc import Iterable

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter
from wtforms import SelectChoice

from portal.services import errors
from portal.services.billing import documents
from portal.services.errors import DomainError, ValidationFailed
from portal.services.reports.exports import csv_lines
from portal.transaction import discard


def apply_errors(form: FlaskForm, exc: DomainError, aliases: dict | None = None) -> None:
    """A rule refused the form: keep nothing of the request, and put the service's messages
    under the form fields they concern (the rest on the form)."""
    discard()
    fields = exc.fields if isinstance(exc, ValidationFailed) else {exc.field: exc.message}
    aliases = aliases or {}
    for name, message in fields.items():
        field = getattr(form, aliases.get(name, name) or "", None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message] if isinstance(field.errors, list) else [message]
        else:
            form.form_errors.append(message)


def not_found_page(_exc: errors.NotFound):
    """The 404 page, as abort(404) gives it, for an object a loader refused."""
    return current_app.handle_http_exception(NotFound())


def answer_not_found_with_page(blueprint) -> None:
    """Have the blueprint's pages answer the loaders' NotFound with the 404 page."""
    # On the blueprint, not the app: Flask then picks it before any DomainError handler.
    blueprint.register_error_handler(errors.NotFound, not_found_page)


# Larger ids and page numbers than any row or page can have; beyond them SQL integers overflow.
MAX_ID = 2**31 - 1
MAX_PAGE = 100_000


class IdConverter(IntegerConverter):
    """`<int:…>` in URLs: ids from 1 to MAX_ID in ASCII digits.

    Anything else under such a path is 404, whatever the method: werkzeug would otherwise
    skip the rule, find the path's GET rule, and answer 405 for `PATCH /tickets/0`. And
    `\\d` would take "١" (an Arabic-Indic one) for 1.
    """

    regex = r"[0-9]{1,10}"  # longer is beyond MAX_ID anyway: no rule matches, 404

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        """The id, or 404 for one no row can have."""
        number = int(value)
        if not self.min <= number <= self.max:
            raise NotFound()
        return number


def possible_id(value: object) -> int | None:
    """`value` when it is an int a row's id could be (1 to MAX_ID), else None."""
    return value if isinstance(value, int) and 1 <= value <= MAX_ID else None


_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def int_arg(name: str, default: int | None = None) -> int | None:
    """?name= as a number when it is ASCII digits only, else `default`: int() would also
    take " 7", "+7", "7_0" and other scripts' digits ("٧")."""
    value = request.args.get(name, "")
    if not _DIGITS.fullmatch(value):
        return default
    try:
        return int(value)
    except ValueError:  # more digits than int() converts
        return default


def id_arg(name: str) -> int | None:
    """An id from the query string (?client_id=7), or None when absent or not a possible id."""
    return possible_id(int_arg(name))


def text_arg(name: str, max_length: int = 100) -> str | None:
    """A short free-text filter from the query string, trimmed; None when empty or unusable."""
    value = (request.args.get(name) or "").strip()[:max_length]
    return value if value and "\x00" not in value else None


def page_args(default_per_page: int = 25, max_per_page: int = 200) -> tuple[int, int]:
    """?page= and ?per_page= from the query string, clamped to sane values."""
    page = int_arg("page") or 1
    per_page = int_arg("per_page") or default_per_page
    return min(max(page, 1), MAX_PAGE), min(max(per_page, 1), max_per_page)


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def run_or_errors(form: FlaskForm, action, aliases: dict | None = None):
    """Run the view's one service call; when a rule refuses, the messages go on the form and
    nothing of the request is kept (None is returned). The request's end commits the rest.
    `aliases` maps a service's field names to the form's (see apply_errors)."""
    try:
        return action()
    except DomainError as exc:
        apply_errors(form, exc, aliases)
        return None


def flash_refusal(exc: DomainError) -> None:
    """A rule refused a button's request: keep nothing of it and say why on the next page."""
    discard()
    message = " ".join(exc.fields.values()) if isinstance(exc, ValidationFailed) else exc.message
    flash(message, "danger")


def invoice_download(invoice, kind: str, back: str) -> Response:
    """An invoice's PDF or XML as a download (never shown inline, never cached publicly).

    An invoice whose snapshot has no e-invoice goes back to `back` with the reason.
    """
    try:
        return download(*documents.invoice_file(invoice, kind))
    except documents.DocumentIncomplete as exc:
        flash_refusal(exc)
        return redirect(back)


def download(body, mimetype: str, filename: str) -> Response:
    """A file to save, never shown inline or cached publicly; `filename` is plain ASCII."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def confirmation_page(
    form: FlaskForm,
    question: str,
    consequence: str,
    yes: str,
    keep_url: str,
    details: Iterable[tuple[str, str]] = (),
    keep: str | None = None,
):
    """The second step of an irreversible button, no JavaScript needed: says what will
    happen and posts the same form back with `confirmed=1`. Nothing of this request is kept."""
    discard()
    return render_template(
        "confirm.html",
        form=form,
        action=request.path,
        question=question,
        details=list(details),
        consequence=consequence,
        yes=yes,
        keep_url=keep_url,
        keep=keep or _("Keep it"),
    )


def csv_response(filename: str, header: list[str], rows: Iterable[list]) -> Response:
    """A streamed CSV download; the rows are produced while the response is sent.

    The language is chosen now, while the request's user can be read: the body is written
    after the request's transaction has ended, when the user is no longer loaded (Flask-Babel
    keeps the choice for the rest of the request)."""
    get_locale()
    return download(stream_with_context(csv_lines(header, rows)), "text/csv", filename)
