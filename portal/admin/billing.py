"""Admin billing page: periods, preview, close, invoicing of waiting items."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmForm
from portal.guards import admin_required
from portal.services.billing.close import close_period, preview_period
from portal.services.billing.invoices import invoice_uninvoiced
from portal.services.billing.periods import month_name
from portal.services.billing.queries import (
    billing_periods,
    client_names,
    currencies_by_code,
    currencies_by_id,
)
from portal.services.errors import DomainError
from portal.transaction import discard
from portal.web import flash_refusal


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
        flash("The form expired; please try again.", "danger")
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
    """Close a past month; a second click finds it closed and changes nothing."""
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; please try again.", "danger")
        return redirect(url_for("admin.billing"))
    try:
        result = close_period(period, current_user)
    except DomainError as exc:
        flash_refusal(exc)
    else:
        if result.already_closed:
            flash(f"{period} was already closed; nothing changed.", "info")
        else:
            flash(
                f"{period} closed: {result.item_count} items, {result.invoice_count} invoices.",
                "success",
            )
    return redirect(url_for("admin.billing"))


@bp.post("/billing/invoice-waiting")
@admin_required
def billing_invoice_waiting():
    """Invoice the items that waited because "invoice on close" was off."""
    if ConfirmForm().validate_on_submit():
        invoices = invoice_uninvoiced(current_user)
        flash(f"{len(invoices)} invoice(s) issued.", "success")
    return redirect(url_for("admin.billing"))
