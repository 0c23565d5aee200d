"""Staff reports: hours by client, operator and month, on a page and as CSV."""

from flask import Response, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField

from portal.admin import bp
from portal.services.errors import ValidationFailed
from portal.services.reports.hours import HOURS_HEADER, default_range, hours_csv_rows, hours_report
from portal.web import apply_errors, csv_response

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


@bp.route("/reports/hours")
def hours_report_page():
    """Hours per month, client and operator for a range of months, with totals."""
    form = HoursRangeForm(request.args)
    try:
        report = hours_report(form.start.data, form.end.data)
    except ValidationFailed as exc:
        apply_errors(form, exc, FIELD_ALIASES)
        return render_template("admin/reports/hours.html", form=form, report=None), 400
    csv_url = url_for("admin.hours_report_csv", **{"from": report.start, "to": report.end})
    return render_template("admin/reports/hours.html", form=form, report=report, csv_url=csv_url)


@bp.route("/reports/hours.csv")
def hours_report_csv():
    """The same report as CSV; a bad range answers 400 with the reason."""
    try:
        report = hours_report(request.args.get("from"), request.args.get("to"))
    except ValidationFailed as exc:
        return Response(" ".join(exc.fields.values()), 400, mimetype="text/plain")
    filename = f"hours-{report.start}-to-{report.end}.csv"
    return csv_response(filename, HOURS_HEADER, hours_csv_rows(report))
