"""Admin page for the business settings."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.admin import bp
from portal.admin.config_forms import SettingsForm
from portal.guards import admin_required
from portal.services.settings import change_settings, get_settings, timezone_names
from portal.web import run_or_errors


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings():
    """Business time zone, invoicing, numbering and billing mail."""
    saved = get_settings()
    form = SettingsForm(data=saved)
    if saved["business_timezone"] not in timezone_names():  # saved before the list narrowed
        zone = saved["business_timezone"]
        form.business_timezone.choices = [*form.business_timezone.choices, SelectChoice(zone, zone)]
    if form.validate_on_submit():
        values = {
            "business_timezone": form.business_timezone.data,
            "invoice_on_close": form.invoice_on_close.data,
            "due_days": form.due_days.data,
            "invoice_number_format": form.invoice_number_format.data,
            "credit_note_number_format": form.credit_note_number_format.data,
            "send_invoices_automatically": form.send_invoices_automatically.data,
            "reminder_days_before_due": form.reminder_days_before_due.data,
            "overdue_reminder_days": form.overdue_reminder_days.data,
            "payment_received_mail": form.payment_received_mail.data,
        }
        if run_or_errors(form, lambda: change_settings(values, current_user)) is not None:
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.settings"))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/settings/edit.html", form=form), status
