"""Admin pages for tax rates: list, create, edit."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.config_forms import TaxRateForm
from portal.extensions import db
from portal.guards import admin_required
from portal.models import TaxRate
from portal.services.catalog.tax_rates import TaxRateInput, save_tax_rate
from portal.services.countries import country_names
from portal.services.lookups import tax_rate_for
from portal.web import options, run_or_errors


@bp.route("/tax-rates")
@admin_required
def tax_rates():
    """Every tax rate, the default first."""
    rows = db.session.scalars(
        db.select(TaxRate).order_by(TaxRate.is_default.desc(), TaxRate.name)
    ).all()
    return render_template("admin/tax_rates/index.html", rates=rows, countries=country_names())


@bp.route("/tax-rates/new", methods=["GET", "POST"])
@admin_required
def tax_rate_new():
    """Add a tax rate."""
    return _tax_rate_form(None)


@bp.route("/tax-rates/<int:tax_rate_id>/edit", methods=["GET", "POST"])
@admin_required
def tax_rate_edit(tax_rate_id: int):
    """Change a tax rate (issued invoices keep what they were issued with)."""
    return _tax_rate_form(tax_rate_for(current_user, tax_rate_id))


def _tax_rate_form(rate: TaxRate | None):
    """Show the form; on a valid submit save it, and go back to the list."""
    form = TaxRateForm(obj=rate)
    form.country.choices = options([("", _("None")), *country_names().items()])
    if rate is not None and not form.is_submitted():
        form.percent.data = f"{rate.percent:f}"
        form.country.data = rate.country or ""
    if form.validate_on_submit():
        data = TaxRateInput(
            name=form.name.data or "",
            percent=form.percent.data or "",
            country=form.country.data or None,
            is_default=form.is_default.data,
        )
        saved = run_or_errors(form, lambda: save_tax_rate(rate, data, current_user))
        if saved is not None:
            flash(_("Tax rate %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.tax_rates"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/tax_rates/form.html", form=form, rate=rate), status
