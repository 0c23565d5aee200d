"""Admin billing page: periods, preview, close, invoicing of waiting items."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmedForm, ConfirmForm
from portal.guards import admin_required
from portal.services.billing.close import close_period, ensure_past, preview_period
from portal.services.billing.invoices import invoice_uninvoiced
from portal.services.billing.periods import is_period_closed, month_name, parse_period
from portal.services.billing.queries import (
    billing_periods,
    client_names,
    close_scope,
    currencies_by_code,
    currencies_by_id,
)
from portal.services.errors import DomainError
from portal.services.settings import get_settings
from portal.transaction import discard
from portal.web import confirmation_page, flash_refusal


@bp.get("/billing")
@admin_required
def billing():
    """Months with their state, counts and totals; preview and close buttons."""
    return render_template(
        "admin/billing/index.html",
        periods=billing_periods(),
        currencies=currencies_by_code(),
        form=ConfirmForm(),
        month_name=month_name,
    )


@bp.post("/billing/<period>/preview")
@admin_required
def billing_preview(period: str):
    """What closing the month would create (or did create); nothing is written."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
        return redirect(url_for("admin.billing"))
    discard()  # a preview never writes
    try:
        already, rows = preview_period(period)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("admin.billing"))
    return render_template(
        "admin/billing/preview.html",
        period=period,
        month=month_name(period),
        already=already,
        rows=rows,
        clients=client_names(r["client_id"] for r in rows),
        currencies=currencies_by_id(),
        form=ConfirmForm(),
    )


@bp.post("/billing/<period>/close")
@admin_required
def billing_close(period: str):
    """Close a past month once confirmed; a second click finds it closed and changes nothing."""
    form = ConfirmedForm()
    if not form.validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
        return redirect(url_for("admin.billing"))
    if not form.is_confirmed():
        return _confirm_close(form, period)
    try:
        result = close_period(period, current_user)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        if result.already_closed:
            flash(_("%(period)s was already closed; nothing changed.", period=period), "info")
        else:
            flash(
                _(
                    "%(period)s closed: %(items)s items, %(invoices)s invoices.",
                    period=period,
                    items=result.item_count,
                    invoices=result.invoice_count,
                ),
                "success",
            )
    return redirect(url_for("admin.billing"))


def _confirm_close(form: ConfirmedForm, period: str):
    """Ask before closing: which month, how many subscriptions and clients it bills."""
    try:
        period = parse_period(period)
        ensure_past(period)
    except DomainError as exc:
        flash_refusal(exc)
        return redirect(url_for("admin.billing"))
    month = month_name(period)
    if is_period_closed(period):
        consequence = _(
            "%(month)s is already closed: closing it again changes nothing.", month=month
        )
    else:
        subscriptions, clients = close_scope(period)
        values = {"subscriptions": subscriptions, "clients": clients, "month": month}
        if get_settings()["invoice_on_close"]:
            consequence = _(
                "It bills %(subscriptions)s subscription(s) of %(clients)s client(s): their "
                "fees and overtime become billable items and each of those clients gets an "
                "invoice with the next number. After the close, time in %(month)s can no "
                "longer be added, edited or deleted.",
                **values,
            )
        else:
            consequence = _(
                "It bills %(subscriptions)s subscription(s) of %(clients)s client(s): their "
                "fees and overtime become billable items; they wait on this page to be "
                "invoiced. After the close, time in %(month)s can no longer be added, edited "
                "or deleted.",
                **values,
            )
    return confirmation_page(
        form,
        _("Close %(month)s?", month=month),
        consequence,
        yes=_("Yes, close %(period)s", period=period),
        keep_url=url_for("admin.billing"),
        keep=_("Keep it open"),
    )


@bp.post("/billing/invoice-waiting")
@admin_required
def billing_invoice_waiting():
    """Invoice the items that waited because "invoice on close" was off."""
    if ConfirmForm().validate_on_submit():
        invoices = invoice_uninvoiced(current_user)
        flash(_("%(count)s invoice(s) issued.", count=len(invoices)), "success")
    return redirect(url_for("admin.billing"))
