"""What every API endpoint shares: roles, strict JSON input, string money/hours, lists."""

import json
from decimal import Decimal
from functools import wraps

from flask import g, jsonify
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from marshmallow import RAISE, missing
from webargs.flaskparser import FlaskParser

from portal.errors import api_error
from portal.extensions import db
from portal.money import format_hours, round_money
from portal.services.errors import DomainError, ValidationFailed


class BadRequest(ValidationFailed):
    """Input refused before any service runs; answered as 400 with the fields."""


def roles(*allowed: str):
    """Only tokens of these roles may call the endpoint; others get 403 JSON."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.api_user.role not in allowed:
                return api_error(403, _("Your role may not do this."), "forbidden")
            return view(*args, **kwargs)

        return wrapped

    return decorate


STAFF = ("admin", "operator")


def found(loader):
    """Look the URL's object up before the body is read: an unknown id (or another
    client's) is a 404 whatever the body holds. `loader` (portal.services.lookups) takes
    the token's user and the URL's arguments."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            loader(user(), *kwargs.values())
            return view(*args, **kwargs)

        return wrapped

    return decorate


def user():
    """The user the token acts as."""
    return g.api_user


def money(amount: Decimal | None, currency) -> str | None:
    """Money as a string with the currency's decimals: "133.33"."""
    if amount is None:
        return None
    return f"{round_money(amount, currency.decimals):f}"


def hours(minutes: int | None) -> str:
    """Hours as a string with two decimals: "4.25"."""
    return format_hours(minutes)


def domain_error_response(exc: DomainError, aliases: dict | None = None):
    """A service's refusal as the API answers it."""
    if isinstance(exc, ValidationFailed):
        aliases = aliases or {}
        fields = {aliases.get(k, k): v for k, v in exc.fields.items()}
        return jsonify(error="validation", fields=fields), 400
    if exc.field and exc.code == DomainError.code:  # a plain rule about one field
        field = (aliases or {}).get(exc.field, exc.field)
        return jsonify(error="validation", fields={field: exc.message}), 400
    return api_error(exc.status, exc.message, exc.code)


def client_rows(query, column, args: dict):
    """Client tokens see their own rows only; staff may narrow to one client (?client_id=)."""
    if user().role == "client":
        return query.where(column == user().client_id)
    if "client_id" in args:
        query = query.where(column == args["client_id"])
    return query


def paged(query, serialize, args: dict):
    """Answer a select as a page in the list envelope; `serialize` turns the page's rows
    into JSON all at once (so it can load what they share in one query)."""
    page, per_page = args["page"], args["per_page"]
    pagination = db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)
    return listing(serialize(pagination.items), pagination.total, page, per_page)


def listing(rows, total: int, page: int, per_page: int) -> dict:
    """The list envelope of API.md."""
    return {"items": rows, "page": page, "per_page": per_page, "total": total}


def page_of_list(rows: list, args: dict) -> dict:
    """A page of a list already in memory (a handful of rows, e.g. currencies)."""
    page, per_page = args["page"], args["per_page"]
    start = (page - 1) * per_page
    return listing(rows[start : start + per_page], len(rows), page, per_page)


class StrictParser(FlaskParser):
    """webargs reading API.md's way: strict JSON (no NaN, Decimal for fractions), and every
    refusal a 400 with one message per field."""

    DEFAULT_VALIDATION_STATUS = 400
    # A query parameter the endpoint does not know is refused, as an unknown body key is:
    # a misspelt ?client_ld=7 must not silently list every client's rows.
    DEFAULT_UNKNOWN_BY_LOCATION = {**FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": RAISE}

    def _raw_load_json(self, req):
        raw = req.get_data(cache=True)
        if not raw:
            return missing
        try:
            return json.loads(raw, parse_float=Decimal, parse_constant=_no_constant)
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: too deep
            raise BadRequest(
                {"body": _("Send a JSON object (Content-Type: application/json).")}
            ) from None

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise BadRequest(flatten(error.messages))


def flatten(messages, prefix: str = "") -> dict[str, str]:
    """marshmallow's nested messages as API.md's flat {"field": "message"} (the fields'
    messages, lazy until now, in the request's language as plain strings)."""
    flat: dict[str, str] = {}
    if isinstance(messages, LazyString):
        messages = [str(messages)]
    if isinstance(messages, list | tuple):
        texts = [str(m) for m in messages if isinstance(m, str | LazyString)]
        if texts:
            flat[prefix or "body"] = " ".join(texts)
        return flat
    for key, value in messages.items():
        if key in ("json", "form", "query", "querystring") and not prefix:
            name = ""
        elif key == "_schema":
            name = prefix
        elif isinstance(key, int):
            name = f"{prefix}[{key}]"
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten(value, name))
    if flat.get("body") == "Invalid input type.":
        flat["body"] = _("Send a JSON object.")
    return flat


def _no_constant(name: str):
    """Refuse NaN and Infinity, which JSON does not have."""
    raise ValueError(name)
