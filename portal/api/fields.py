"""Strict marshmallow fields for the API: each one validates a request and documents itself.

JSON has one number type and Python's bool is an int, so the stock fields let `true`, `1.0`
and `"1"` through as the integer 1; these do not. Money and hours travel as strings (API.md)
and are read by the same parsers the pages use, so their rules live in one place.
"""

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from marshmallow import ValidationError, fields, validate

from portal.web import MAX_ID

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}", re.ASCII)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
PERIOD_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
MONEY_PATTERN = r"^-?[0-9]+(\.[0-9]+)?$"
HOURS_PATTERN = r"^[0-9]+\.[0-9]{2}$"


# Messages every field shares, in the words the pages use (in the request's language).
COMMON_MESSAGES = {"required": _l("This field is required."), "null": _l("Must not be null.")}


class Translated:
    """A field whose messages are lazy: each refusal is a plain string in the language of
    the request that made it (the API answers with JSON)."""

    def make_error(self, key: str, **kwargs) -> ValidationError:
        message = self.error_messages[key]
        if isinstance(message, LazyString):
            return ValidationError(str(message))
        return super().make_error(key, **kwargs)


def optional(kwargs: dict) -> dict:
    """An optional field takes null as "not given" (and says so in the document)."""
    kwargs.setdefault("allow_none", not kwargs.get("required", False))
    return kwargs


class Integer(Translated, fields.Integer):
    """A JSON integer: not a boolean, not a float like 1.0, not a string like "1"."""

    default_error_messages = {**COMMON_MESSAGES, "invalid": _l("Must be an integer.")}

    def __init__(self, *, minimum: int | None = None, maximum: int | None = None, **kwargs):
        if minimum is not None or maximum is not None:
            kwargs.setdefault(
                "validate", validate.Range(minimum, maximum, error=_range(minimum, maximum))
            )
        super().__init__(strict=True, **optional(kwargs))

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return value


def _range(minimum: int | None, maximum: int | None) -> LazyString:
    """The message of a range check."""
    if maximum is None:
        return _l("Must be at least %(minimum)s.", minimum=minimum)
    return _l("Must be between %(minimum)s and %(maximum)s.", minimum=minimum, maximum=maximum)


class Id(Integer):
    """A row id in a body: an integer from 1 to the largest a database integer holds."""

    def __init__(self, **kwargs):
        super().__init__(minimum=1, maximum=MAX_ID, **kwargs)


class QueryNumber(Translated, fields.Integer):
    """A whole number in the query string (page, per_page) from 1 to `top`, in ASCII digits
    only: int() would also take " 7", "+7" and other scripts' digits ("٧")."""

    def __init__(self, top: int, **kwargs):
        message = _l("Must be a whole number from 1 to %(top)s.", top=top)
        super().__init__(validate=validate.Range(1, top, error=message), **kwargs)
        self.error_messages["invalid"] = message

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _ASCII_DIGITS.fullmatch(value):
            raise self.make_error("invalid")
        return int(value)


class QueryId(QueryNumber):
    """A row id in the query string (?client_id=7): 1 to MAX_ID."""

    def __init__(self, **kwargs):
        super().__init__(MAX_ID, **kwargs)


class Boolean(Translated, fields.Boolean):
    """A JSON true or false: not 1, not "true"."""

    default_error_messages = {**COMMON_MESSAGES, "invalid": _l("Must be true or false.")}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Text(Translated, fields.String):
    """A JSON string that a database can store: no NUL, no lone surrogate; `required`
    strings must not be blank. `max_length` is checked and documented."""

    default_error_messages = {
        **COMMON_MESSAGES,
        "invalid": _l("Must be a string."),
        "blank": _l("Must not be empty."),
        "nul": _l("Must not contain NUL characters."),
        "unicode": _l("Must be valid Unicode text."),
    }

    def __init__(self, *, max_length: int | None = None, **kwargs):
        given = kwargs.pop("validate", None)
        validators = [given] if callable(given) else list(given or [])
        if max_length is not None:
            validators.append(
                validate.Length(
                    max=max_length, error=_l("At most %(num)s characters.", num=max_length)
                )
            )
        super().__init__(validate=validators, **optional(kwargs))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if "\x00" in value:
            raise self.make_error("nul")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate ("\ud800") is no character at all
                raise self.make_error("unicode") from None
        if self.required and not value.strip():
            raise self.make_error("blank")
        return value


class Day(Translated, fields.Date):
    """A "YYYY-MM-DD" date (and nothing else Python's parser would also take)."""

    default_error_messages = {**COMMON_MESSAGES, "invalid": _l("Must be a date as YYYY-MM-DD.")}

    def __init__(self, **kwargs):
        super().__init__(**optional(kwargs))

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not _DATE.fullmatch(value):
            raise self.make_error("invalid")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise self.make_error("invalid") from None


def _described(metadata: dict, kwargs: dict) -> fields.String:
    """A response string field with its pattern and example, plus any metadata given."""
    return fields.String(metadata=metadata | kwargs.pop("metadata", {}), **kwargs)


def money(**kwargs) -> fields.String:
    """Money in a response: a string with the currency's decimals, "133.33"."""
    return _described({"pattern": MONEY_PATTERN, "example": "133.33"}, kwargs)


def hours(**kwargs) -> fields.String:
    """Hours in a response: a string with two decimals, "4.25"."""
    return _described({"pattern": HOURS_PATTERN, "example": "4.25"}, kwargs)


def period(**kwargs) -> fields.String:
    """A month in a response, "2026-09"."""
    return _described({"pattern": PERIOD_PATTERN, "example": "2026-09"}, kwargs)


def iso_date(**kwargs) -> fields.String:
    """A date in a response, "2026-09-11" (the serializers write it)."""
    return _described({"format": "date", "example": "2026-09-11"}, kwargs)


def timestamp(**kwargs) -> fields.String:
    """A date and time in a response (ISO 8601, in UTC)."""
    return _described({"example": "2026-10-01T09:30:00"}, kwargs)
