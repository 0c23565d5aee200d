"""CSV exports: safe cells, CSV lines, and the rows of the client exports (the streamed
download itself is portal.web.csv_response)."""

import csv
import io
import re
from collections.abc import Iterable, Iterator

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Client, Ticket, TimeEntry, User
from portal.money import format_hours, round_money
from portal.services.clients.overview import usage_rows

# A cell starting with one of these is read as a formula by spreadsheets (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Where a spreadsheet may start a cell inside our text: at its start; after a line break;
# and after "," or ";", the list separators of English and of Polish or German locales,
# which honour quotes only at the start of a cell (quotes right after the separator are
# read away). Such a start followed by a formula character gets a leading quote.
_FORMULA_START = re.compile(r'(^|[\r\n,;]"*)(?=[' + re.escape("".join(FORMULA_PREFIXES)) + "])")
# The column names people read, in their language (lazy: a download writes them in its
# request's language); the values below them stay machine-readable ("1.50", "2026-11-30").
TIME_ENTRY_HEADER = [
    _l("date"),
    _l("ticket"),
    _l("subject"),
    _l("hours"),
    _l("billable"),
    _l("note"),
    _l("operator"),
]
USAGE_HEADER = [
    _l("period"),
    _l("plan"),
    _l("included_hours"),
    _l("used_hours"),
    _l("overtime_hours"),
    _l("amount"),
    _l("currency"),
    _l("invoice"),
    _l("status"),
    # Rollover and prepaid blocks (0 for plans without them), after the original columns
    # so readers of the first nine keep working.
    _l("carried_in_hours"),
    _l("carry_used_hours"),
    _l("carried_out_hours"),
    _l("block_used_hours"),
    _l("block_left_hours"),
]


def safe_cell(value: object) -> str:
    """A cell as text, with a quote before every place a spreadsheet would start a formula:
    the start, and after a line break, "," or ";" (where other locales split cells)."""
    text = "" if value is None else str(value)
    return _FORMULA_START.sub(r"\1'", text)


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text line by line (RFC 4180, CRLF), every cell made safe and quoted, so a
    separator inside a cell never splits it for a reader that splits at commas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)

    def line(cells: list) -> str:
        """One row as CSV text."""
        buffer.seek(0)
        buffer.truncate(0)
        writer.writerow([safe_cell(cell) for cell in cells])
        return buffer.getvalue()

    yield line(header)
    for row in rows:
        yield line(row)


def time_entry_rows(client_id: int) -> Iterator[list]:
    """Every time entry on the client's tickets, oldest first, fetched in batches.

    "billable" says whether the entry counts towards the bill: a billable entry on a
    ticket with tracking off is never charged, so it is exported as "no".
    """
    query = (
        db.select(
            TimeEntry.work_date,
            Ticket.number,
            Ticket.subject,
            TimeEntry.minutes,
            TimeEntry.billable,
            Ticket.time_tracking,
            TimeEntry.note,
            User.name,
        )
        .join(Ticket, Ticket.id == TimeEntry.ticket_id)
        .join(User, User.id == TimeEntry.operator_id)
        .where(Ticket.client_id == client_id)
        .order_by(TimeEntry.work_date, TimeEntry.id)
        .execution_options(yield_per=500)
    )
    for day, number, subject, minutes, billable, tracked, note, operator in db.session.execute(
        query
    ):
        yield [
            day.isoformat(),
            f"#{number}",
            subject,
            format_hours(minutes),
            "yes" if billable and tracked else "no",
            note,
            operator,
        ]


def usage_csv_rows(client: Client) -> list[list]:
    """The usage history page's rows as CSV rows with plain amounts (read before streaming)."""
    code, places = client.currency.code, client.currency.decimals
    return [
        [
            month.period,
            month.plan or "",
            format_hours(month.included_minutes),
            format_hours(month.used_minutes),
            format_hours(month.overtime_minutes),
            str(round_money(month.total, places)),
            code,
            month.invoice_number or "",
            status,
            format_hours(month.carried_in_minutes),
            format_hours(month.carry_used_minutes),
            format_hours(month.carried_out_minutes),
            format_hours(month.block_used_minutes),
            format_hours(month.block_left_minutes),
        ]
        for month, status in usage_rows(client)
    ]
