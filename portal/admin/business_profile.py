"""Admin page for the business profile: the seller on every invoice."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.profile_forms import BusinessProfileForm, joined
from portal.guards import admin_required
from portal.services.billing.profiles import business_values, save_business_profile
from portal.web import run_or_errors


@bp.route("/settings/business-profile", methods=["GET", "POST"])
@admin_required
def business_profile():
    """Legal name, address, VAT number, contact, bank account, payment terms, footer."""
    form = BusinessProfileForm(data=joined(business_values()))
    if form.validate_on_submit():
        values = form.values()
        if run_or_errors(form, lambda: save_business_profile(values, current_user)) is not None:
            flash(_("Business profile saved."), "success")
            return redirect(url_for("admin.business_profile"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/settings/business_profile.html", form=form), status
