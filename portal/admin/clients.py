"""Client pages: staff see the list and each client and top up prepaid blocks; only admins
change anything else."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup, escape

from portal.admin import bp
from portal.admin.config_forms import AssignPlanForm, ClientForm, ClientUserForm
from portal.admin.forms import ConfirmedForm, ConfirmForm, TopUpForm
from portal.admin.invoice_forms import OneOffItemForm
from portal.admin.profile_forms import TREATMENT_LABELS, joined, tax_rate_choices
from portal.extensions import db
from portal.formatting import format_day, format_hours_for_user
from portal.guards import admin_required
from portal.models import Client, Currency, Subscription
from portal.services.billing.one_off import add_one_off_item, item_invoice
from portal.services.billing.periods import month_name, period_of
from portal.services.billing.profiles import billing_values
from portal.services.catalog.tax_rates import tax_rate_list, tax_rate_of
from portal.services.clients import accounts as service
from portal.services.clients.blocks import top_up
from portal.services.clients.subscriptions import (
    allowed_actions,
    assignable_plans,
    cancel_subscription,
    cancellation_end,
    delete_subscription,
    reprice_subscription,
)
from portal.services.countries import country_name
from portal.services.errors import DomainError
from portal.services.lookups import client_for, subscription_for
from portal.services.settings import business_today
from portal.web import apply_errors, confirmation_page, options, page_args, run_or_errors


@bp.route("/clients")
def clients():
    """Every client with its currency and today's plan (staff; read only for operators)."""
    page, per_page = page_args()
    return render_template(
        "admin/clients/index.html", pagination=service.client_list(page, per_page)
    )


@bp.route("/clients/<int:client_id>")
def client(client_id: int):
    """One client: account, subscriptions, users, recent tickets (staff)."""
    lists = service.client_lists(client_id)  # the client's row too: client_for finds it loaded
    return _render(client_for(current_user, client_id), lists=lists)


def _render(client: Client, status: int = 200, lists=None, **forms):
    """The client page; admins get its forms, a failed one shown with its messages."""
    overview = service.client_overview(client, lists)
    if "assign_form" not in forms:
        start = service.default_start(client, overview["subscriptions"])
        forms["assign_form"] = AssignPlanForm(formdata=None, start_date=start)
    forms.setdefault("user_form", ClientUserForm(formdata=None))
    forms.setdefault("action_form", ConfirmForm(formdata=None))
    if "item_form" not in forms:
        forms["item_form"] = OneOffItemForm(formdata=None, date=business_today())
    if "top_up_form" not in forms:
        forms["top_up_form"] = TopUpForm(formdata=None, date=business_today())
    _plan_choices(client, forms["assign_form"])
    forms["item_form"].unit_price.label.text = _(
        "Unit price (%(currency)s)", currency=client.currency.code
    )
    actions = {s.id: allowed_actions(s) for s in overview["subscriptions"]}
    page = render_template(
        "admin/clients/show.html",
        client=client,
        actions=actions,
        country=country_name(client.country),
        treatment=TREATMENT_LABELS.get(client.tax_treatment, client.tax_treatment),
        tax_rate=tax_rate_of(client),
        **overview,
        **forms,
    )
    return page, status


def _plan_choices(client: Client, form: AssignPlanForm) -> None:
    """Offer the active plans priced in the client's currency."""
    plans = assignable_plans(client)
    form.plan.choices = options([("", _("— choose a plan —"))] + [(p.id, p.name) for p in plans])


@bp.route("/clients/new", methods=["GET", "POST"])
@admin_required
def client_new():
    """Add a client account."""
    return _client_form(None)


@bp.route("/clients/<int:client_id>/edit", methods=["GET", "POST"])
@admin_required
def client_edit(client_id: int):
    """Change a client's name, email, currency (until it has a subscription) or active flag."""
    return _client_form(client_for(current_user, client_id))


def _client_form(client: Client | None):
    """Show the form; on a valid submit save, commit and go to the client page."""
    currencies = db.session.scalars(
        db.select(Currency).order_by(Currency.is_default.desc(), Currency.code)
    ).all()
    default = next((c.id for c in currencies if c.is_default), None)
    initial = (
        {"name": client.name, "email": client.email, "active": client.active} if client else {}
    )
    initial |= joined(billing_values(client))
    form = ClientForm(data=initial | {"currency": client.currency_id if client else default})
    form.currency.choices = options([("", _("— choose —"))] + [(c.id, c.code) for c in currencies])
    form.tax_rate_id.choices = tax_rate_choices(tax_rate_list())
    if form.validate_on_submit():
        data = service.ClientInput(
            form.name.data or "",
            form.email.data or "",
            form.currency.data,
            form.active.data,
            form.billing_values(),
        )
        saved = run_or_errors(form, lambda: service.save_client(client, data, current_user))
        if saved is not None:
            flash(_("Client %(name)s saved.", name=saved.name), "success")
            return redirect(url_for("admin.client", client_id=saved.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/clients/form.html", form=form, client=client), status


@bp.post("/clients/<int:client_id>/users")
@admin_required
def client_user_add(client_id: int):
    """Add a user who logs in to the client area for this account."""
    client = client_for(current_user, client_id)
    form = ClientUserForm()
    if form.validate_on_submit():
        user = run_or_errors(
            form,
            lambda: service.add_client_user(
                client,
                form.name.data,
                form.email.data or "",
                current_user,
            ),
        )
        if user is not None:
            flash(
                _(
                    "User %(email)s added to %(client)s and invited by mail.",
                    email=user.email,
                    client=client.name,
                ),
                "success",
            )
            return redirect(url_for("admin.client", client_id=client.id))
    return _render(client, 422, user_form=form)


@bp.post("/clients/<int:client_id>/subscriptions")
@admin_required
def client_assign_plan(client_id: int):
    """Assign a plan to the client from a start date."""
    client = client_for(current_user, client_id)
    form = AssignPlanForm()
    _plan_choices(client, form)
    if form.validate_on_submit():
        sub = run_or_errors(
            form,
            lambda: service.assign_client_plan(
                client, form.plan.data, form.start_date.data, current_user
            ),
        )
        if sub is not None:
            flash(
                _(
                    "Plan %(plan)s assigned from %(date)s.",
                    plan=sub.plan.name,
                    date=format_day(sub.start_date),
                ),
                "success",
            )
            return redirect(url_for("admin.client", client_id=client.id))
    return _render(client, 422, assign_form=form)


@bp.post("/clients/<int:client_id>/subscriptions/<int:subscription_id>/<action>")
@admin_required
def client_subscription_action(client_id: int, subscription_id: int, action: str):
    """Cancel a subscription at the end of this month (once confirmed), or re-price it from
    its plan."""
    actions = {
        "cancel": cancel_subscription,
        "reprice": reprice_subscription,
        "remove": delete_subscription,
    }
    client = client_for(current_user, client_id)
    if action not in actions:
        abort(404)
    sub = subscription_for(current_user, subscription_id, client)
    form = ConfirmedForm()
    if form.validate_on_submit():
        if action == "cancel" and not form.is_confirmed():
            return _confirm_cancel(form, client, sub)
        if action == "remove" and not form.is_confirmed():
            return _confirm_remove(form, client, sub)
        plan_name = sub.plan.name
        try:
            actions[action](sub, current_user)
        except DomainError as exc:
            apply_errors(form, exc)
        else:
            if action == "remove":
                done = _("Subscription to %(plan)s removed.", plan=plan_name)
            elif action == "cancel":
                done = _(
                    "Subscription to %(plan)s cancelled: it ends on %(date)s.",
                    plan=plan_name,
                    date=format_day(sub.end_date),
                )
            else:
                done = _("Subscription to %(plan)s re-priced.", plan=plan_name)
            flash(done, "success")
            return redirect(url_for("admin.client", client_id=client.id))
    return _render(client, 422, action_form=form)


def _confirm_remove(form: ConfirmedForm, client: Client, sub: Subscription):
    """Ask before removing a subscription created by mistake."""
    return _confirm_subscription(
        form,
        client,
        sub,
        _(
            "Remove %(client)s's subscription to %(plan)s?",
            client=client.name,
            plan=sub.plan.name,
        ),
        _(
            "It disappears as if it had never been assigned; the audit log keeps its values. "
            "This is only possible while no time, usage or billable item refers to it."
        ),
        _("Yes, remove the subscription"),
    )


def _confirm_cancel(form: ConfirmedForm, client: Client, sub: Subscription):
    """Ask before cancelling: whose subscription, which plan, the day it ends."""
    end = cancellation_end()
    return _confirm_subscription(
        form,
        client,
        sub,
        _(
            "Cancel %(client)s's subscription to %(plan)s?",
            client=client.name,
            plan=sub.plan.name,
        ),
        _(
            "It ends on %(date)s, the last day of this month, which is still billed in "
            "full. To go on afterwards, assign a plan again from the next month.",
            date=format_day(end),
        ),
        _("Yes, cancel the subscription"),
        [(_("Ends on"), format_day(end))],
    )


def _confirm_subscription(form, client, sub, question, explanation, yes, more=()):
    """The confirmation page of an action on one subscription: client, plan, start, and
    whatever else the action names."""
    return confirmation_page(
        form,
        question,
        explanation,
        yes=yes,
        keep_url=url_for("admin.client", client_id=client.id),
        details=[
            (_("Client"), client.name),
            (_("Plan"), sub.plan.name),
            (_("Runs"), _("from %(date)s", date=format_day(sub.start_date))),
            *more,
        ],
    )


@bp.post("/clients/<int:client_id>/one-off-items")
@admin_required
def client_one_off_add(client_id: int):
    """Add a one-off item: on the invoice of its month's close, or invoiced at once."""
    client = client_for(current_user, client_id)
    form = OneOffItemForm()
    if form.validate_on_submit():
        invoice_now = bool(form.invoice_now.data)
        item = run_or_errors(
            form,
            lambda: add_one_off_item(client, form.values(), current_user, invoice_now=invoice_now),
        )
        if item is not None:
            flash(_added_message(item), "success")
            return redirect(url_for("admin.client", client_id=client.id))
    return _render(client, 422, item_form=form)


def _invoice_link(invoice) -> Markup:
    """An invoice's number, linked to its page."""
    link = url_for("admin.invoice", invoice_id=invoice.id)
    return Markup('<a href="{}">{}</a>').format(link, invoice.number)


def _added_message(item) -> Markup:
    """Where the new item went: the next invoice of its month, or its own invoice (linked)."""
    invoice = item_invoice(item)
    if invoice is None:
        month = month_name(period_of(item.work_date))
        # The sentence escaped, then the values escaped into it: the flash shows as HTML.
        message = escape(_("Added “%(description)s” to the next invoice of %(month)s."))
        return message % {"description": item.description, "month": month}
    return escape(_("Invoiced as %(invoice)s.")) % {"invoice": _invoice_link(invoice)}


@bp.post("/clients/<int:client_id>/subscriptions/<int:subscription_id>/top-ups")
def client_top_up(client_id: int, subscription_id: int):
    """Buy another prepaid block for a block subscription, invoiced at once (staff: admins and
    operators, as on the ticket page and the API)."""
    client = client_for(current_user, client_id)
    subscription = subscription_for(current_user, subscription_id, client)
    form = TopUpForm()
    if form.validate_on_submit():
        bought = run_or_errors(form, lambda: top_up(subscription, form.date.data, current_user))
        if bought is not None:
            block, invoice = bought
            flash(_bought_message(block, invoice), "success")
            return redirect(url_for("admin.client", client_id=client.id))
    return _render(client, 422, top_up_form=form)


def _bought_message(block, invoice) -> Markup:
    """What the top-up bought, until when, and its invoice (linked)."""
    message = escape(
        _("Another block of %(hours)s h bought, valid until %(date)s: invoiced as %(invoice)s.")
    )
    return message % {
        "hours": format_hours_for_user(block.minutes),
        "date": format_day(block.valid_until),
        "invoice": _invoice_link(invoice),
    }
