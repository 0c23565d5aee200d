"""The invoice PDF: WeasyPrint renders the page's HTML as PDF/A-3b, factur-x embeds the XML.

PDF/A-3 is what lets a PDF carry a file: the Factur-X XML goes in as `factur-x.xml` with
AFRelationship "Alternative" (Factur-X 1.07 asks for it from the BASIC profile up: the XML
says the same as the page, it is not mere data about it), and factur-x writes the XMP that
declares PDF/A-3 B and the Factur-X EN 16931 conformance level.

Rendering never touches the network: the fetcher only serves `data:` URLs and files under
the app's static folder. Fonts come from fontconfig (DejaVu Sans on Debian) and WeasyPrint
embeds the subsets it uses, as PDF/A requires.
"""

import threading
import warnings
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from facturx import generate_from_binary, get_xml_from_pdf
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

from portal.documents import text_features

text_features.install()  # before any layout: WeasyPrint's own leaks 13 KB a PDF (see there)

# The same folder create_app gives Flask as static_folder.
STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
A4 = "@page { size: A4 }"


class LocalOnlyFetcher(URLFetcher):
    """Serve `data:` URLs and files under the static folder; refuse everything else.

    A refused URL raises ValueError, which WeasyPrint logs and renders without (a missing
    logo must not stop an invoice from being made), and nothing is ever fetched remotely.
    """

    def __init__(self, static_dir: Path = STATIC_DIR):
        super().__init__(allowed_protocols=("data", "file"))
        self.static_dir = static_dir.resolve()

    def fetch(self, url, headers=None):
        """Fetch `url` when it is local and allowed, else raise ValueError."""
        parts = urlsplit(url)
        if parts.scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if not path.is_relative_to(self.static_dir):
                raise ValueError(f"refused: {url} is outside the static folder")
        elif parts.scheme != "data":
            raise ValueError(f"refused: {url} (only data: and static files are fetched)")
        return super().fetch(url, headers)


_per_thread = threading.local()  # what a thread's renders share


def _font_config():
    """One WeasyPrint font configuration per thread, kept: a new one per document (the
    default) is never freed, about 230 KB a PDF, so a sender rendering 1,800 invoice PDFs grew
    by 400 MB (bench/mail.py). Per thread, because Pango's font maps are not shared safely."""
    if getattr(_per_thread, "config", None) is None:
        from weasyprint.text.fonts import FontConfiguration

        _per_thread.config = FontConfiguration()
    return _per_thread.config


def _fetcher() -> LocalOnlyFetcher:
    """One fetcher per thread, kept: making one builds urllib's opener with its eight
    handlers (HTTPS among them), about half a millisecond of every PDF. Per thread, because a
    fetcher keeps the request it is opening."""
    if getattr(_per_thread, "fetcher", None) is None:
        _per_thread.fetcher = LocalOnlyFetcher()
    return _per_thread.fetcher


@lru_cache(maxsize=16)
def _sheet(text: str) -> CSS:
    """A parsed stylesheet, kept: the same few sheets serve every invoice."""
    return CSS(string=text, url_fetcher=LocalOnlyFetcher())


def render_pdf(
    html: str,
    xml: bytes | None,
    *,
    base_url: str | None = None,
    stylesheets=None,
    metadata: dict | None = None,
    language: str = "en",
) -> bytes:
    """The Factur-X PDF of an invoice page: A4 (unless the page says otherwise), PDF/A-3b,
    fonts embedded, `xml` (made and XSD-checked by `cii_xml`) attached as factur-x.xml.
    Without `xml` (a snapshot EN 16931 cannot express), a plain PDF/A-3b.

    The XML is not checked again here: `cii_xml` checked it against the XSD as it made it.
    `base_url` resolves relative links (pass the static folder's file URL for images and
    CSS); `stylesheets` are extra weasyprint.CSS objects or CSS strings. `metadata` (title,
    subject, author, keywords) and `language` describe the document in its own language
    (without them the factur-x library writes its own, in English).
    """
    fetcher = _fetcher()
    sheets = [_sheet(A4)]
    for sheet in stylesheets or ():
        sheets.append(_sheet(sheet) if isinstance(sheet, str) else sheet)
    page = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    with warnings.catch_warnings():
        # WeasyPrint 70 opens its sRGB profile for the PDF/A output intent and never closes
        # it; CPython closes it at once, the warning is only noise (and an error in tests).
        warnings.filterwarnings("ignore", r"unclosed file .*sRGB2014\.icc", ResourceWarning)
        pdf = page.write_pdf(stylesheets=sheets, pdf_variant="pdf/a-3b", font_config=_font_config())
    if xml is None:
        return pdf
    return generate_from_binary(
        pdf,
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
        afrelationship="alternative",
        pdf_metadata=metadata,
        lang=language,
    )


def extract_xml(pdf: bytes) -> bytes:
    """The Factur-X XML embedded in `pdf`; ValueError when there is none."""
    filename, xml = get_xml_from_pdf(pdf, check_xsd=False)
    if not xml:
        raise ValueError("no Factur-X XML in this PDF")
    return xml
