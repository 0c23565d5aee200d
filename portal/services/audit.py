"""Write audit log rows inside the caller's transaction."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal.extensions import db
from portal.models import AuditLogEntry


def _jsonable(value: Any) -> Any:
    """Make dates and Decimals JSON-friendly, recursively."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def record(
    actor,
    action: str,
    obj_type: str,
    obj_id: int | None,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditLogEntry:
    """Add an audit row for `action` by `actor` (a User or None for the system)."""
    entry = AuditLogEntry(
        user_id=getattr(actor, "id", None),
        action=action,
        object_type=obj_type,
        object_id=obj_id,
        before=_jsonable(before),
        after=_jsonable(after),
    )
    db.session.add(entry)
    return entry
