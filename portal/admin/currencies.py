"""Admin pages for currencies: list, create, edit."""

from decimal import Decimal

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.config_forms import CurrencyForm
from portal.extensions import db
from portal.guards import admin_required
from portal.models import Currency
from portal.services.catalog.input import CurrencyInput
from portal.services.catalog.rules import currency_in_use, save_currency
from portal.services.lookups import currency_for
from portal.web import run_or_errors


@bp.route("/currencies")
@admin_required
def currencies():
    """Every currency, the default first."""
    rows = db.session.scalars(
        db.select(Currency).order_by(Currency.is_default.desc(), Currency.code)
    ).all()
    example = Decimal("1234.5")
    return render_template("admin/currencies/index.html", currencies=rows, example_amount=example)


@bp.route("/currencies/new", methods=["GET", "POST"])
@admin_required
def currency_new():
    """Add a currency."""
    return _currency_form(None)


@bp.route("/currencies/<int:currency_id>/edit", methods=["GET", "POST"])
@admin_required
def currency_edit(currency_id: int):
    """Change a currency's display, decimals (while unused) or default flag."""
    return _currency_form(currency_for(current_user, currency_id))


def _currency_form(currency: Currency | None):
    """Show the form; on a valid submit save it, commit and go back to the list."""
    form = CurrencyForm(obj=currency)
    if form.validate_on_submit():
        data = CurrencyInput(
            code=form.code.data or "",
            decimals=form.decimals.data,
            prefix=form.prefix.data or "",
            suffix=form.suffix.data or "",
            is_default=form.is_default.data,
        )
        saved = run_or_errors(form, lambda: save_currency(currency, data, current_user))
        if saved is not None:
            flash(_("Currency %(code)s saved.", code=saved.code), "success")
            return redirect(url_for("admin.currencies"))
    status = 422 if form.is_submitted() else 200
    in_use = currency is not None and currency_in_use(currency)
    page = render_template(
        "admin/currencies/form.html", form=form, currency=currency, in_use=in_use
    )
    return page, status
