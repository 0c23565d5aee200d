"""Admin billing page: periods, preview, close, invoicing of waiting items."""

from flask import flash, redirect, render_template, url_for
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
    """Close a past month once confirmed; a second click finds it closed and changes nothing."""
    form = ConfirmedForm()
    if not form.validate_on_submit():
        flash("The form expired; please try again.", "danger")
        return redirect(url_for("admin.billing"))
    if not form.is_confirmed():
        return _confirm_close(form, period)
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
        consequence = f"{month} is already closed: closing it again changes nothing."
    else:
        subscriptions, clients = close_scope(period)
        invoices = (
            " and each of those clients gets an invoice with the next number"
            if get_settings()["invoice_on_close"]
            else "; they wait on this page to be invoiced"
        )
        consequence = (
            f"It bills {subscriptions} subscription(s) of {clients} client(s): their fees and "
            f"overtime become billable items{invoices}. After the close, time in {month} "
            "can no longer be added, edited or deleted."
        )
    return confirmation_page(
        form,
        f"Close {month}?",
        consequence,
        yes=f"Yes, close {period}",
        keep_url=url_for("admin.billing"),
        keep="Keep it open",
    )


@bp.post("/billing/invoice-waiting")
@admin_required
def billing_invoice_waiting():
    """Invoice the items that waited because "invoice on close" was off."""
    if ConfirmForm().validate_on_submit():
        invoices = invoice_uninvoiced(current_user)
        flash(f"{len(invoices)} invoice(s) issued.", "success")
    return redirect(url_for("admin.billing"))
