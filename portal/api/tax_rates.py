"""Tax rates over the API (the same service as the admin page)."""

from portal.api import bp
from portal.api.common import STAFF, found, paged, roles, user
from portal.api.schemas import PageQuery, TaxRateIn, TaxRateOut, TaxRatePatch, page_of
from portal.api.serializers import tax_rate_json
from portal.extensions import db
from portal.models import TaxRate
from portal.services.catalog.tax_rates import TaxRateInput, format_percent, save_tax_rate
from portal.services.lookups import tax_rate_for


@bp.get("/tax-rates")
@roles(*STAFF)
@bp.arguments(PageQuery, location="query")
@bp.response(200, page_of(TaxRateOut))
def tax_rates_list(args: dict):
    """Tax rates by name."""
    query = db.select(TaxRate).order_by(TaxRate.name, TaxRate.id)
    return paged(query, lambda rates: [tax_rate_json(r) for r in rates], args)


@bp.post("/tax-rates")
@roles("admin")
@bp.arguments(TaxRateIn)
@bp.response(201, TaxRateOut)
def tax_rates_create(data: dict):
    """Add a tax rate."""
    return tax_rate_json(save_tax_rate(None, TaxRateInput(**data), user()))


@bp.patch("/tax-rates/<int:tax_rate_id>")
@roles("admin")
@found(tax_rate_for)
@bp.arguments(TaxRatePatch(partial=True))
@bp.response(200, TaxRateOut)
def tax_rates_patch(data: dict, tax_rate_id: int):
    """Change a tax rate; keys left out keep their value ("country": "" removes it)."""
    rate = tax_rate_for(user(), tax_rate_id)
    current = {
        "name": rate.name,
        "percent": format_percent(rate.percent),
        "country": rate.country,
        "is_default": rate.is_default,
    }
    return tax_rate_json(save_tax_rate(rate, TaxRateInput(**(current | data)), user()))
