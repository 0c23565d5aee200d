"""What every API endpoint shares: roles, strict JSON input, string money/hours, lists."""

import json
import re
from datetime import date
from decimal import Decimal
from functools import wraps

from flask import g, jsonify, request

from portal.errors import api_error
from portal.extensions import db
from portal.money import format_hours, round_money
from portal.services.errors import DomainError, ValidationFailed
from portal.web import MAX_ID

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class BadRequest(ValidationFailed):
    """Input refused before any service runs; answered as 400 with the fields."""


def roles(*allowed: str):
    """Only tokens of these roles may call the endpoint; others get 403 JSON."""

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if g.api_user.role not in allowed:
                return api_error(403, "Your role may not do this.", "forbidden")
            return view(*args, **kwargs)

        return wrapped

    return decorate


STAFF = ("admin", "operator")


def user():
    """The user the token acts as."""
    return g.api_user


def body(allowed: set[str]) -> dict:
    """The request's JSON object; unknown keys, non-JSON and non-objects are refused."""
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw or b"null", parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
        raise BadRequest({"body": "Send a JSON object (Content-Type: application/json)."}) from None
    if not isinstance(data, dict):
        raise BadRequest({"body": "Send a JSON object."})
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise BadRequest({key: "Unknown field." for key in unknown})
    return data


def _no_constant(name: str):
    """Refuse NaN and Infinity, which JSON does not have."""
    raise ValueError(name)


def text(data: dict, key: str, errors: dict, *, required=False, max_len=None, default=""):
    """A string field."""
    if key not in data or data[key] is None:
        if required:
            errors[key] = "This field is required."
        return default
    value = data[key]
    if not isinstance(value, str):
        errors[key] = "Must be a string."
        return default
    if required and not value.strip():
        errors[key] = "Must not be empty."
    if "\x00" in value:
        errors[key] = "Must not contain NUL characters."
    elif not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate ("\ud800") is no character at all
            errors[key] = "Must be valid Unicode text."
    if max_len is not None and len(value) > max_len:
        errors[key] = f"At most {max_len} characters."
    return value


def boolean(data: dict, key: str, errors: dict, default=None):
    """A true/false field."""
    value = data.get(key, default)
    if (key in data and value is None) or (value is not None and not isinstance(value, bool)):
        errors[key] = "Must be true or false."
        return default
    return value


def integer(data: dict, key: str, errors: dict, *, required=False, minimum=None, maximum=None):
    """An integer field (booleans are not integers here)."""
    if key not in data or data[key] is None:
        if required:
            errors[key] = "This field is required."
        return None
    value = data[key]
    if isinstance(value, bool) or not isinstance(value, int):
        errors[key] = "Must be an integer."
        return None
    if abs(value) > MAX_ID:  # beyond what a database integer holds
        errors[key] = "Out of range."
        return None
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        errors[key] = f"Must be between {minimum} and {maximum}."
        return None
    return value


def day(data: dict, key: str, errors: dict, *, required=False):
    """A "YYYY-MM-DD" date field."""
    raw = text(data, key, errors, required=required, default=None)
    if raw is None or key in errors:
        return None
    try:
        if not _DATE.fullmatch(raw):
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = "Must be a date as YYYY-MM-DD."
        return None


def check(errors: dict) -> None:
    """Raise the collected field errors, if any."""
    if errors:
        raise BadRequest(errors)


def money(amount: Decimal | None, currency) -> str | None:
    """Money as a string with the currency's decimals: "133.33"."""
    if amount is None:
        return None
    return f"{round_money(amount, currency.decimals):f}"


def hours(minutes: int | None) -> str:
    """Hours as a string with two decimals: "4.25"."""
    return format_hours(minutes)


def listing(rows, total: int, page: int, per_page: int):
    """The list envelope of API.md."""
    return jsonify(items=rows, page=page, per_page=per_page, total=total)


_WHOLE = re.compile(r"[0-9]{1,10}")


def whole_number(raw: str, top: int = MAX_ID) -> int | None:
    """A query-string number from 1 to `top` (ASCII digits only), or None."""
    if not _WHOLE.fullmatch(raw):
        return None
    value = int(raw)
    return value if 1 <= value <= top else None


def page_params() -> tuple[int, int]:
    """?page= and ?per_page= (1..200); bad values are a 400."""
    errors: dict[str, str] = {}
    values = []
    for key, default, top in (("page", 1, 10**6), ("per_page", 50, 200)):
        raw = request.args.get(key)
        if raw is None:
            values.append(default)
        elif (value := whole_number(raw, top)) is not None:
            values.append(value)
        else:
            errors[key] = f"Must be a whole number from 1 to {top}."
    check(errors)
    return values[0], values[1]


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


def paged(query, serialize):
    """Answer a select as a page in the list envelope; `serialize` turns the page's rows
    into JSON all at once (so it can load what they share in one query)."""
    page, per_page = page_params()
    pagination = db.paginate(query, page=page, per_page=per_page, max_per_page=200, error_out=False)
    return listing(serialize(pagination.items), pagination.total, page, per_page)
