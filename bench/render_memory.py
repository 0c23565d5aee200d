"""Memory of rendering one invoice's PDF again and again in one process (issue 20, item 2).

    python bench/render_memory.py [--renders 600] [--warmup 50] [--step pdf]
        [--db sqlite|postgresql] [--trace]

SPEC.md's worked example (bench/documents.py) on a scratch database; `--warmup` renders
first (fonts, schema, caches), then `--renders` more, reading the process's RSS (VmRSS)
before and after. `--step` renders only a part, to see which one keeps memory:
`pdf` (what a mail's attachment is: `invoice_pdf`), `weasyprint` (the page's HTML to PDF
alone), `facturx` (factur-x embedding the XML in a PDF made once), `xml` (the CII XML
alone). `--trace` adds tracemalloc's twenty largest growths between a fifth of the renders
and the end (Python's allocations only). Ends with one line:
`render memory: N renders (step), RSS A → B MB, X KB a render`.
"""

import argparse
import gc
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.documents import worked_example_database  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import Invoice  # noqa: E402


def rss_kb() -> int:
    """The process's resident set size (VmRSS), in KB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def step_function(step: str, invoice_id: int):
    """The function that renders `step` of the invoice once."""
    from portal.documents.pdf import STATIC_DIR, render_pdf
    from portal.services.billing.documents import invoice_document, invoice_pdf, invoice_xml

    def invoice():
        db.session.expire_all()  # each run reads the invoice, as a message does
        return db.session.get(Invoice, invoice_id)

    if step == "pdf":
        return lambda: invoice_pdf(invoice())
    if step == "xml":
        return lambda: invoice_xml(invoice())
    pdf = invoice_pdf(invoice())
    if step == "weasyprint":
        from flask import render_template

        from portal.services.billing.documents import _stylesheet

        item = invoice()
        html = render_template("documents/invoice.html", invoice=item, doc=invoice_document(item))
        css = _stylesheet(STATIC_DIR / "css" / "document.css")
        base = STATIC_DIR.as_uri() + "/"
        return lambda: render_pdf(html, None, base_url=base, stylesheets=[css])
    if step == "facturx":
        from facturx import generate_from_binary

        xml = invoice_xml(invoice())
        return lambda: generate_from_binary(
            pdf, xml, flavor="factur-x", level="en16931", check_xsd=False
        )
    raise ValueError(f"unknown step {step!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--renders", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--step", choices=("pdf", "weasyprint", "facturx", "xml"), default="pdf")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    with worked_example_database(args.db) as (app, invoice_id), app.test_request_context():
        render = step_function(args.step, invoice_id)
        for _ in range(args.warmup):
            render()
        gc.collect()
        before = rss_kb()
        if args.trace:
            tracemalloc.start(10)
        first = None
        for number in range(args.renders):
            render()
            if args.trace and number == args.renders // 5:
                gc.collect()
                first = tracemalloc.take_snapshot()
        gc.collect()
        after = rss_kb()
        if args.trace:
            last = tracemalloc.take_snapshot()
            for stat in last.compare_to(first, "lineno")[:20]:
                print(stat)
            print("-- by traceback:")
            for stat in last.compare_to(first, "traceback")[:5]:
                print(stat)
                for line in stat.traceback.format()[-12:]:
                    print("   ", line)
        db.session.remove()
        db.engine.dispose()
    print(
        f"render memory: {args.renders} renders ({args.step}), RSS {before / 1024:.1f} → "
        f"{after / 1024:.1f} MB, {(after - before) / args.renders:.1f} KB a render"
    )


if __name__ == "__main__":
    main()
