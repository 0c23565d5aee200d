"""WeasyPrint's text layouts with font features: still applied, and their Pango memory freed.

Pure: no app, no database. The leak itself is C memory (bench/render_memory.py measures it);
here every attribute list the layouts make must be handed back, and the features must still
change the text they style.
"""

import io

from pypdf import PdfReader
from weasyprint.text import line_break

from portal.documents import text_features
from portal.documents.pdf import _font_config, render_pdf

PAGE = """<!doctype html><html lang=en><head><meta charset=utf-8></head>
<body style="font-family: 'DejaVu Sans'">
<p style="{style}">AVAVAV WAVE To 1,111.10</p></body></html>"""


def page_content(style: str) -> bytes:
    """The drawing commands of the one page a paragraph styled `style` makes."""
    pdf = render_pdf(PAGE.format(style=style), None)
    return PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data()


class CountingPango:
    """The Pango library, counting the attribute lists made and released through it."""

    def __init__(self, lib):
        self.lib = lib
        self.made = self.released = 0

    def pango_attr_list_new(self):
        """Make a list, counted."""
        self.made += 1
        return self.lib.pango_attr_list_new()

    def pango_attr_list_unref(self, attributes):
        """Release a list, counted."""
        self.released += 1
        return self.lib.pango_attr_list_unref(attributes)

    def __getattr__(self, name):
        return getattr(self.lib, name)


def test_layouts_take_their_features_from_the_leak_free_setup():
    assert line_break.Layout.setup is text_features._setup
    text_features.install()  # a second install changes nothing
    assert line_break.Layout.setup is text_features._setup


def test_font_features_still_change_the_text():
    assert page_content("font-kerning: none") != page_content("font-kerning: auto")
    assert page_content("font-kerning: none") == page_content("font-kerning: none")


def test_every_attribute_list_a_layout_gets_is_released(monkeypatch):
    pango = CountingPango(text_features.pango)
    monkeypatch.setattr(text_features, "pango", pango)
    page_content("font-variant-numeric: tabular-nums")
    assert pango.made > 0
    assert pango.released == pango.made
    # WeasyPrint's cache of shared attributes (which its lists then free twice over) is unused.
    assert _font_config().font_features == {}
