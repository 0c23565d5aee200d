"""A tax rate's percent stays exact on both databases: three places, never a float."""

from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models import TaxRate


@pytest.mark.parametrize("percent", ["0", "0.001", "7.125", "23", "99.999", "100"])
def test_percent_round_trips_exactly(app, percent):
    db.session.add(TaxRate(name="Exact", percent=Decimal(percent)))
    db.session.commit()
    db.session.expire_all()
    stored = db.session.scalar(db.select(TaxRate.percent))
    assert isinstance(stored, Decimal)
    assert stored == Decimal(percent) and stored.as_tuple().exponent == -3


@pytest.mark.parametrize(("value", "error"), [(0.1, "float"), (Decimal("23.0001"), "places")])
def test_percent_refuses_floats_and_a_fourth_place(app, value, error):
    db.session.add(TaxRate(name="Loose", percent=value))
    with pytest.raises(Exception, match=error):
        db.session.flush()
    db.session.rollback()


def test_a_negative_percent_is_refused_by_the_database(app):
    db.session.add(TaxRate(name="Negative", percent=Decimal("-1")))
    with pytest.raises(Exception, match="percent_not_negative"):
        db.session.flush()
    db.session.rollback()
