"""Invoice document benchmark: the Factur-X XML and the PDF/A-3 of SPEC's worked example.

    python bench/documents.py [--runs 200]

No database and no app: it builds the worked-example InvoiceDocument (tests/documents/
examples.py) and a one-page inline HTML invoice, renders once to warm up (fonts, schema),
then times `cii_xml`, `render_pdf` and both together, each --runs times. Ends with one line:
`documents: xml p50 X ms p95 X ms, pdf p50 X ms p95 X ms, both p50 X ms p95 X ms`.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# WeasyPrint warns when the system lacks libharfbuzz-subset0 (it subsets with fontTools).
warnings.filterwarnings("ignore", "HarfBuzz-Subset", DeprecationWarning)

from portal.documents.facturx import cii_xml  # noqa: E402
from portal.documents.pdf import render_pdf  # noqa: E402
from tests.documents.examples import worked_example  # noqa: E402


def page_html(doc) -> str:
    """A simple one-page invoice; to be replaced by the real invoice template."""
    rows = "".join(
        f"<tr><td>{line.description}</td><td>{line.quantity}</td>"
        f"<td>{line.unit_price}</td><td>{line.net}</td></tr>"
        for line in doc.lines
    )
    return f"""<!doctype html><html lang=en><head><meta charset=utf-8>
<style>@page {{ size: A4; margin: 2cm }} body {{ font-family: "DejaVu Sans", sans-serif }}
table {{ width: 100%; border-collapse: collapse }} td {{ border-bottom: 1px solid #ccc }}</style>
</head><body><h1>Invoice {doc.number}</h1>
<p>{doc.seller.name}, {doc.seller.tax_id}<br>{doc.buyer.name}, {doc.buyer.tax_id}</p>
<table>{rows}</table>
<p>Net {doc.net_total} · VAT {doc.tax_total} · <b>Total {doc.total} {doc.currency}</b></p>
</body></html>"""


def timed(function, runs: int) -> list[float]:
    """Milliseconds of each of `runs` calls."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p50_p95(times: list[float]) -> str:
    """'p50 X ms p95 Y ms' of a list of milliseconds."""
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
    return f"p50 {statistics.median(times):.1f} ms p95 {p95:.1f} ms"


def main(argv=None) -> None:
    """Time the XML, the PDF and both, and print the summary line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="timed runs of each step")
    args = parser.parse_args(argv)
    doc = worked_example()
    html = page_html(doc)
    xml = cii_xml(doc)
    render_pdf(html, xml)  # warm-up: fontconfig, the XSD, WeasyPrint's user agent CSS
    xml_ms = timed(lambda: cii_xml(doc), args.runs)
    pdf_ms = timed(lambda: render_pdf(html, xml), args.runs)
    both_ms = timed(lambda: render_pdf(html, cii_xml(doc)), args.runs)
    print(
        f"documents: xml {p50_p95(xml_ms)}, pdf {p50_p95(pdf_ms)}, both {p50_p95(both_ms)}"
        f" ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
