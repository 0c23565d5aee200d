"""Staff reports: hours by month, client and operator, on pages and as CSV."""

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from portal.admin import bp
from portal.services.errors import ValidationFailed
from portal.services.reports.hours import (
    DEFAULT_PER_PAGE,
    GROUPINGS,
    HOURS_HEADER,
    HoursFilters,
    default_range,
    hours_csv_rows,
    hours_page,
    parse_range,
    report_operators,
)
from portal.web import apply_errors, csv_response, id_arg, page_args, text_arg

FIELD_ALIASES = {"from": "start", "to": "end"}


class HoursRangeForm(FlaskForm):
    """The report's month range, read from the query string (?from=YYYY-MM&to=YYYY-MM)."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    start = StringField(
        _l("From month"),
        name="from",
        default=lambda: default_range()[0],
        render_kw={"type": "month", "placeholder": _l("YYYY-MM")},
    )
    end = StringField(
        _l("To month"),
        name="to",
        default=lambda: default_range()[1],
        render_kw={"type": "month", "placeholder": _l("YYYY-MM")},
    )


def _filters(start: str | None, end: str | None) -> HoursFilters:
    """The checked range (ValidationFailed names the bad fields) and the other filters:
    ?client= part of a name, ?operator= an id."""
    start, end = parse_range(start, end)
    return HoursFilters(start, end, text_arg("client"), id_arg("operator"))


def _link_args(filters: HoursFilters) -> dict[str, str | int]:
    """The filters as query-string arguments (the CSV link, the groupings' links)."""
    args = {"from": filters.start, "to": filters.end}
    if filters.client_name:
        args["client"] = filters.client_name
    if filters.operator_id is not None:
        args["operator"] = filters.operator_id
    return args


@bp.route("/reports/hours")
def hours_report_page():
    """Hours per month, client and operator for a range of months, paged, with the total of
    the whole range; or the range's totals by client or by operator (?by=)."""
    form = HoursRangeForm(request.args)
    grouping = request.args.get("by") if request.args.get("by") in GROUPINGS else "month"
    try:
        filters = _filters(form.start.data, form.end.data)
    except ValidationFailed as exc:
        # The client and operator asked for stay on the form while the months are mended.
        apply_errors(form, exc, FIELD_ALIASES)
        asked = HoursFilters("", "", text_arg("client"), id_arg("operator"))
        operators = report_operators(None, asked.operator_id)
        return render_template(
            "admin/reports/hours.html",
            form=form,
            filters=None,
            asked=asked,
            grouping=grouping,
            operators=operators,
        ), 400
    page, per_page = page_args(DEFAULT_PER_PAGE)
    link_args = _link_args(filters)
    pagination, total = hours_page(filters, grouping, page, per_page)
    return render_template(
        "admin/reports/hours.html",
        form=form,
        filters=filters,
        asked=filters,
        grouping=grouping,
        link_args=link_args,
        pagination=pagination,
        total=total,
        operators=report_operators(filters, filters.operator_id),
        csv_url=url_for("admin.hours_report_csv", **link_args),
    )


@bp.route("/reports/hours.csv")
def hours_report_csv():
    """Every row of the report as CSV, streamed; a bad range answers 400 with the reason."""
    try:
        filters = _filters(request.args.get("from"), request.args.get("to"))
    except ValidationFailed as exc:
        return Response(" ".join(exc.fields.values()), 400, mimetype="text/plain")
    filename = f"hours-{filters.start}-to-{filters.end}.csv"
    return csv_response(filename, HOURS_HEADER, hours_csv_rows(filters))
