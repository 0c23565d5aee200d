"""The invoice PDF: A4, fonts embedded, PDF/A-3 with the Factur-X XML, rendered offline.

Pure: no app, no database. One small HTML invoice is rendered once for the module.
"""

import io
import logging
import socket
from html import escape

import pytest
from pypdf import PdfReader
from pypdf.generic import IndirectObject

from portal.documents.facturx import cii_xml
from portal.documents.pdf import STATIC_DIR, LocalOnlyFetcher, extract_xml, render_pdf
from tests.documents import examples

POLISH = "Zażółć gęślą jaźń"


def invoice_html(doc) -> str:
    """A minimal one-page invoice: number, parties, totals, the note, Polish text and €."""
    notes = "".join(f"<p class=note>{escape(note)}</p>" for note in doc.notes)
    return f"""<!doctype html>
<html lang=en><head><meta charset=utf-8><title>{doc.number}</title>
<style>body {{ font-family: "DejaVu Sans", sans-serif; font-size: 10pt }}</style></head>
<body>
<h1>Invoice {doc.number}</h1>
<p>Seller: {escape(doc.seller.name)}, VAT {doc.seller.tax_id}</p>
<p>Buyer: {escape(doc.buyer.name)}, VAT {doc.buyer.tax_id}</p>
<p>{POLISH} €</p>
<p><b>Net</b> {doc.net_total} {doc.currency}</p>
<p><b>Tax</b> {doc.tax_total} {doc.currency}</p>
<p><b>Total</b> {doc.total} {doc.currency}</p>
{notes}
<img src="http://example.com/x.png" alt="">
</body></html>"""


@pytest.fixture(scope="module")
def rendered():
    """The reverse-charge invoice's XML and PDF, rendered with the network cut off."""
    doc = examples.reverse_charge()
    xml = cii_xml(doc)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", _no_network)
        pdf = render_pdf(invoice_html(doc), xml)
    return doc, xml, pdf


def _no_network(*args, **kwargs):
    """Stand-in for socket.connect: rendering must never reach this."""
    raise AssertionError("rendering tried to use the network")


def test_text_says_number_totals_parties_and_note(rendered):
    doc, _, pdf = rendered
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for expected in (doc.number, "193.33", "0.00", doc.seller.name, doc.buyer.name, "DE136695976"):
        assert expected in text
    assert " ".join(examples.REVERSE_CHARGE_NOTE.split()) in text
    assert f"{POLISH} €" in text


def test_page_is_a4(rendered):
    reader = PdfReader(io.BytesIO(rendered[2]))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595) < 1 and abs(float(box.height) - 842) < 1


def test_any_html_comes_out_a4():
    xml = cii_xml(examples.worked_example())
    page = PdfReader(io.BytesIO(render_pdf("<p>no page size</p>", xml))).pages[0]
    assert abs(float(page.mediabox.width) - 595) < 1


def _fonts(resources):
    """Every font dict used by a resource dict, following form XObjects."""
    resources = resources.get_object() if isinstance(resources, IndirectObject) else resources
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        yield font
        for descendant in font.get("/DescendantFonts", ()):
            yield descendant.get_object()
    for xobject in (resources.get("/XObject") or {}).values():
        xobject = xobject.get_object()
        if "/Resources" in xobject:
            yield from _fonts(xobject["/Resources"])


def test_every_font_is_embedded(rendered):
    page = PdfReader(io.BytesIO(rendered[2])).pages[0]
    fonts = list(_fonts(page["/Resources"]))
    assert fonts
    for font in fonts:
        if font["/Subtype"] == "/Type0":
            continue  # its descendant carries the descriptor and is checked itself
        descriptor = font["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]
    assert any("DejaVu-Sans" in font["/BaseFont"] for font in fonts)


def test_declares_pdf_a_3(rendered):
    reader = PdfReader(io.BytesIO(rendered[2]))
    xmp = reader.xmp_metadata.stream.get_data().decode()
    assert "<pdfaid:part>3</pdfaid:part>" in xmp
    assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_carries_the_xml_as_factur_x(rendered):
    _, xml, pdf = rendered
    assert extract_xml(pdf) == xml
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments["factur-x.xml"] == [xml]
    (filespec,) = [spec.get_object() for spec in reader.trailer["/Root"]["/AF"]]
    assert filespec["/F"] == "factur-x.xml"
    assert filespec["/AFRelationship"] == "/Alternative"


def test_pdf_without_xml_has_nothing_to_extract(rendered):
    from weasyprint import HTML

    with pytest.raises(ValueError, match="no Factur-X"):
        extract_xml(HTML(string="<p>plain</p>").write_pdf())


def test_remote_image_was_refused_not_fetched(rendered, caplog):
    """The module fixture cut the network; here the refusal itself is checked."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_pdf('<img src="http://example.com/x.png">', rendered[1])
    assert "refused: http://example.com/x.png" in caplog.text


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        "file:///etc/passwd",
        f"file://{STATIC_DIR}/../pyproject.toml",
    ],
)
def test_fetcher_refuses_anything_but_data_and_static(url):
    with pytest.raises(ValueError, match="refused"):
        LocalOnlyFetcher().fetch(url)


def test_fetcher_serves_data_and_static_files():
    fetcher = LocalOnlyFetcher()
    assert fetcher.fetch("data:text/plain,hi").read() == b"hi"
    response = fetcher.fetch((STATIC_DIR / "favicon.svg").as_uri())
    assert response.read() == (STATIC_DIR / "favicon.svg").read_bytes()
    response.close()


def test_renders_share_one_font_configuration_and_fetcher_per_thread(monkeypatch):
    """WeasyPrint's default, a font configuration per document, is never freed (about
    230 KB a PDF, bench/mail.py), and making a fetcher builds urllib's opener: every render
    of a thread passes the same ones, another thread its own (Pango's font maps are not
    shared safely, and a fetcher keeps the request it is opening)."""
    import threading

    from weasyprint import HTML

    seen = []
    made = {}
    original_init, original_write = HTML.__init__, HTML.write_pdf

    def spy_init(self, *args, **kwargs):
        made[id(self)] = kwargs.get("url_fetcher")
        return original_init(self, *args, **kwargs)

    def spy_write(self, *args, **kwargs):
        seen.append((threading.get_ident(), kwargs.get("font_config"), made[id(self)]))
        return original_write(self, *args, **kwargs)

    monkeypatch.setattr(HTML, "__init__", spy_init)
    monkeypatch.setattr(HTML, "write_pdf", spy_write)
    page = "<p>One page</p>"
    render_pdf(page, None)
    render_pdf(page, None)
    other = threading.Thread(target=render_pdf, args=(page, None))
    other.start()
    other.join(60)
    (main, first, fetcher1), (_, second, fetcher2), (thread, third, fetcher3) = seen
    assert first is not None and first is second  # kept within a thread
    assert thread != main and third is not None and third is not first  # not shared across
    assert isinstance(fetcher1, LocalOnlyFetcher) and fetcher1 is fetcher2
    assert isinstance(fetcher3, LocalOnlyFetcher) and fetcher3 is not fetcher1
