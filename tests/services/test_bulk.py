"""Bulk writes: ids reserved ahead of the rows, and rows written with them."""

import gc
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import AuditLogEntry, Currency, TaxRate
from portal.services.bulk import bulk_insert, collector_paused, reserve_ids
from tests.helpers import count


def test_reserved_ids_follow_existing_rows_and_a_later_insert_takes_the_next(app, f):
    f.client("Existing", currency_code="EUR")
    existing = max(db.session.scalars(db.select(Currency.id)))
    ids = reserve_ids(Currency, 3)
    assert ids == sorted(set(ids)) and len(ids) == 3 and ids[0] > existing
    rows = list(zip(ids, ("AAA", "BBB", "CCC"), strict=True))
    codes = [code for _id, code in rows]
    bulk_insert(Currency, [{"id": i, "code": c, "decimals": 2} for i, c in rows])
    later = Currency(code="DDD", decimals=0)
    db.session.add(later)
    db.session.commit()
    assert later.id > ids[-1]
    stored = db.session.execute(
        db.select(Currency.id, Currency.code, Currency.prefix).where(Currency.code.in_(codes))
    )
    # The Python-side default (prefix "") is filled in on COPY as on INSERT.
    assert sorted(stored) == [(i, c, "") for i, c in rows]


def test_nothing_to_reserve_or_insert_costs_nothing(app):
    assert reserve_ids(Currency, 0) == []
    before = count(Currency)
    bulk_insert(Currency, [])
    assert count(Currency) == before


def test_the_collector_is_paused_for_a_batch_and_back_after_it_even_on_error():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("the batch failed")
    assert gc.isenabled()


def test_a_collector_off_before_the_batch_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_close_runs_with_the_collector_paused(app, monkeypatch):
    from portal.services.billing import close

    seen = []
    original = close.bills_for
    monkeypatch.setattr(close, "bills_for", lambda *a: seen.append(gc.isenabled()) or original(*a))
    close.close_period("2020-01")
    assert seen == [False]
    assert gc.isenabled()


def test_a_float_after_an_equal_decimal_is_still_refused(app):
    """A column remembers converted values with their type: 1.0 == Decimal(1), yet the
    float must reach the type's refusal, not the Decimal's stored value."""
    rows = [
        {"name": "Twenty-three", "percent": Decimal("23")},
        {"name": "Float", "percent": 23.0},
    ]
    with pytest.raises(TypeError, match="Decimal"):
        bulk_insert(TaxRate, rows)


def test_rows_of_one_column_and_shared_or_own_snapshots_are_written_as_given(app, f):
    bulk_insert(Currency, [{"code": "QQQ"}, {"code": "QQR"}])
    stored = db.session.execute(
        db.select(Currency.code, Currency.decimals, Currency.prefix).where(
            Currency.code.in_(["QQQ", "QQR"])
        )
    )
    assert sorted(stored) == [("QQQ", 2, ""), ("QQR", 2, "")]
    shared = {"total": "10.00"}
    afters = [shared, shared, {"total": "11.00"}, shared, None]
    bulk_insert(
        AuditLogEntry,
        [
            {"action": "bulk.test", "object_type": "x", "object_id": i, "after": after}
            for i, after in enumerate(afters)
        ],
    )
    written = db.session.execute(
        db.select(AuditLogEntry.object_id, AuditLogEntry.after)
        .where(AuditLogEntry.action == "bulk.test")
        .order_by(AuditLogEntry.object_id)
    )
    assert [after for _id, after in written] == afters


def test_skipping_rows_that_repeat_a_key_writes_the_others_and_keeps_the_transaction(app):
    """On PostgreSQL the rows go by a plain COPY under a savepoint first, and only when one
    repeats a key by the temporary table and ON CONFLICT: both give the same rows."""
    bulk_insert(Currency, [{"code": "KKA", "decimals": 2}], skip_existing=("code",))
    offered = bulk_insert(
        Currency,
        [{"code": "KKA", "decimals": 0}, {"code": "KKB", "decimals": 3}],
        skip_existing=("code",),
    )
    bulk_insert(Currency, [{"code": "KKC", "decimals": 1}], skip_existing=("code",))
    db.session.commit()
    stored = db.session.execute(
        db.select(Currency.code, Currency.decimals).where(Currency.code.like("KK%"))
    )
    assert offered == 2
    assert sorted(stored) == [("KKA", 2), ("KKB", 3), ("KKC", 1)]
