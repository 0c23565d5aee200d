"""Checks on the raw bytes of a CSV download: every cell quoted, and no cell that a
spreadsheet would run as a formula, whether it splits lines at commas (English locales) or
at semicolons (Polish, German and other locales whose decimal mark is a comma)."""

import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel with ";" as list separator splits this into "x" and a cell that runs calc.exe.
INJECTION = "x;=cmd|' /C calc'!A0"


def download_raw(client, url: str) -> bytes:
    """GET a CSV export and return its bytes."""
    with client.get(url) as response:
        assert response.status_code == 200, response.status_code
        assert response.mimetype == "text/csv"
        return response.get_data()


def rows_with_every_cell_quoted(raw: bytes) -> list[list[str]]:
    """The rows read at commas, after checking that writing them back with every cell
    quoted gives the very same bytes (so no cell of the download was left unquoted)."""
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    again = io.StringIO()
    csv.writer(again, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    assert again.getvalue().encode("utf-8") == raw, "a cell is not quoted"
    return rows


def cells_read_at_semicolons(raw: bytes) -> list[str]:
    """Every cell a spreadsheet splitting at semicolons would make of the download."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), delimiter=";")
    return [cell for row in reader for cell in row]


def assert_safe_in_every_locale(raw: bytes, hostile: str = INJECTION) -> list[list[str]]:
    """Every cell quoted; no cell starts like a formula read at commas or at semicolons; the
    hostile text is one cell (its formula start disarmed). Returns the rows."""
    rows = rows_with_every_cell_quoted(raw)
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert not [cell for cell in cells_read_at_semicolons(raw) if cell.startswith(FORMULA_STARTS)]
    head, _, tail = hostile.partition(";")
    assert any(cell.startswith(f"{head};'{tail}") for cell in cells), "hostile text split up"
    return rows
