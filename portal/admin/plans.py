"""Admin pages for plans and their price per currency: list, create, edit."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.admin import bp
from portal.admin.config_forms import plan_form_class, price_field_names
from portal.extensions import db
from portal.guards import admin_required
from portal.models import Currency, Plan
from portal.money import format_hours, local_number
from portal.services.catalog.input import PlanInput
from portal.services.catalog.rules import save_plan
from portal.services.lookups import plan_for
from portal.web import run_or_errors


@bp.route("/plans")
@admin_required
def plans():
    """Every plan with its prices; inactive ones last."""
    rows = db.session.scalars(db.select(Plan).order_by(Plan.active.desc(), Plan.name)).all()
    return render_template("admin/plans/index.html", plans=rows, plan_terms=plan_terms)


def plan_terms(plan: Plan) -> str:
    """A plan's rollover or block terms in a few words, for the plan list."""
    if plan.model == "block":
        hours = local_number(format_hours(plan.block_minutes))
        if plan.when_used_up == "refuse":
            return ngettext(
                "%(hours)s h blocks, valid %(num)d month; refuses time beyond them",
                "%(hours)s h blocks, valid %(num)d months; refuses time beyond them",
                plan.validity_months,
                hours=hours,
            )
        return ngettext(
            "%(hours)s h blocks, valid %(num)d month; overtime beyond",
            "%(hours)s h blocks, valid %(num)d months; overtime beyond",
            plan.validity_months,
            hours=hours,
        )
    if plan.model != "package":
        return "—"
    if not plan.rollover_months:
        return _("no rollover")
    cap = plan.rollover_cap_minutes
    if cap is None:
        return ngettext(
            "rolls over %(num)d month, no cap",
            "rolls over %(num)d months, no cap",
            plan.rollover_months,
        )
    return ngettext(
        "rolls over %(num)d month, cap %(cap)s h",
        "rolls over %(num)d months, cap %(cap)s h",
        plan.rollover_months,
        cap=local_number(format_hours(cap)),
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@admin_required
def plan_new():
    """Add a plan."""
    return _plan_form(None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@admin_required
def plan_edit(plan_id: int):
    """Change a plan; existing subscriptions keep the price they were given."""
    return _plan_form(plan_for(current_user, plan_id))


def _initial(plan: Plan | None, currencies) -> dict | None:
    """What the form shows before a submit: the plan's values and prices."""
    if plan is None:
        return None
    data = {
        "name": plan.name,
        "description": plan.description,
        "model": plan.model,
        "included_hours": format_hours(plan.included_minutes) if plan.model == "package" else "",
        "prorate": plan.prorate,
        "active": plan.active,
        **_terms_initial(plan),
    }
    for currency in currencies:
        price = plan.price_for(currency.id)
        if price is not None:
            fee, rate = price_field_names(currency.code)
            places = currency.decimals
            data[fee] = f"{price.fee:.{places}f}" if plan.model != "hourly" else ""
            data[rate] = f"{price.rate:.{places}f}"
    return data


def _terms_initial(plan: Plan) -> dict:
    """The plan's rollover and block terms as the form shows them (blank where none)."""
    block = plan.model == "block"
    cap = plan.rollover_cap_minutes
    return {
        "rollover_months": str(plan.rollover_months),
        "rollover_cap_hours": format_hours(cap) if cap is not None else "",
        "block_hours": format_hours(plan.block_minutes) if block else "",
        "validity_months": str(plan.validity_months) if block else "",
        "when_used_up": plan.when_used_up,
    }


def _plan_form(plan: Plan | None):
    """Show the form; on a valid submit save the plan and prices, commit, back to the list."""
    currencies = db.session.scalars(db.select(Currency).order_by(Currency.code)).all()
    form = plan_form_class(currencies)(data=_initial(plan, currencies))
    if form.validate_on_submit():
        prices = {}
        for currency in currencies:
            fee, rate = (form[name].data or "" for name in price_field_names(currency.code))
            prices[currency.code] = (fee, rate)
        data = PlanInput(
            name=form.name.data or "",
            description=form.description.data or "",
            model=form.model.data,
            included_hours=form.included_hours.data or "",
            prorate=form.prorate.data,
            active=form.active.data,
            prices=prices,
            rollover_months=form.rollover_months.data or "",
            rollover_cap_hours=form.rollover_cap_hours.data or "",
            block_hours=form.block_hours.data or "",
            validity_months=form.validity_months.data or "",
            when_used_up=form.when_used_up.data,
        )
        saved = run_or_errors(form, lambda: save_plan(plan, data, current_user))
        if saved is not None:
            flash(_("Plan “%(name)s” saved.", name=saved.name), "success")
            return redirect(url_for("admin.plans"))
    status = 422 if form.is_submitted() else 200
    page = render_template("admin/plans/form.html", form=form, plan=plan, currencies=currencies)
    return page, status
