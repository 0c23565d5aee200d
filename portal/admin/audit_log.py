"""The audit log (admin only): who changed what and when, filtered, paged, and as CSV."""

from flask import Response, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from portal.admin import bp
from portal.guards import admin_required
from portal.services.errors import ValidationFailed
from portal.services.reports.audit_log import (
    CSV_HEADER,
    SYSTEM,
    action_label,
    audit_csv_rows,
    audit_page,
    changes,
    filter_choices,
    object_label,
    object_refs,
    parse_filters,
)
from portal.services.settings import business_tz
from portal.web import apply_errors, csv_response, options, page_args


class AuditFilterForm(FlaskForm):
    """The log's filters, read from the query string; choices come from the log itself."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    user = SelectField(_l("User"), validate_choice=False)
    action = SelectField(_l("Action"), validate_choice=False)
    object_type = SelectField(_l("Object type"), validate_choice=False)
    date_from = StringField(
        _l("From day"), render_kw={"type": "date", "placeholder": _l("YYYY-MM-DD")}
    )
    date_to = StringField(_l("To day"), render_kw={"type": "date", "placeholder": _l("YYYY-MM-DD")})


def _filter_form(choices) -> AuditFilterForm:
    """The filter form with the log's users, actions and object types as its options."""
    form = AuditFilterForm(request.args)
    form.user.choices = options(
        [("", _("Anyone")), (SYSTEM, _("System (scheduler, CLI)"))]
        + [(str(user_id), f"{name} <{email}>") for user_id, name, email in choices.users]
    )
    form.action.choices = options(
        [("", _("Any action"))] + [(a, action_label(a)) for a in choices.actions]
    )
    form.object_type.choices = options(
        [("", _("Any type"))] + [(t, object_label(t)) for t in choices.object_types]
    )
    return form


@bp.get("/audit")
@admin_required
def audit_log():
    """The audit log, newest first; bad filter values are ignored and explained per field."""
    choices = filter_choices()
    form = _filter_form(choices)
    filters, errors = parse_filters(request.args, choices)
    if errors:
        apply_errors(form, ValidationFailed(errors))
    page, per_page = page_args()
    pagination = audit_page(filters, page, per_page)
    return render_template(
        "admin/audit/index.html",
        form=form,
        pagination=pagination,
        refs=object_refs(pagination.items),
        page_url=page_url,
        changes=changes,
        action_label=action_label,
        csv_url=url_for("admin.audit_log_csv", **filters.query_args()),
        business_timezone=business_tz().key,
    )


# The admin page of each object type an audit row can link to: (endpoint, id argument).
PAGES = {
    "ticket": ("admin.ticket", "ticket_id"),
    "invoice": ("admin.invoice", "invoice_id"),
    "client": ("admin.client", "client_id"),
    "plan": ("admin.plan_edit", "plan_id"),
    "currency": ("admin.currency_edit", "currency_id"),
    "billing_period": ("admin.billing", None),
    "setting": ("admin.settings", None),
    "api_token": ("admin.api_tokens", None),
    "user": ("admin.users", None),
}


def page_url(ref) -> str | None:
    """The URL of the page that shows what an audit row acted on, or None."""
    if ref.page not in PAGES:
        return None
    endpoint, argument = PAGES[ref.page]
    if argument is None:
        return url_for(endpoint)
    return url_for(endpoint, **{argument: ref.page_id}) if ref.page_id is not None else None


@bp.get("/audit.csv")
@admin_required
def audit_log_csv():
    """Every row matching the filters as CSV, streamed; a bad filter answers 400 with why."""
    filters, errors = parse_filters(request.args, filter_choices())
    if errors:
        return Response(" ".join(errors.values()), 400, mimetype="text/plain")
    return csv_response("audit-log.csv", CSV_HEADER, audit_csv_rows(filters))
