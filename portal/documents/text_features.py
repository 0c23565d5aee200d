"""WeasyPrint's text layouts with OpenType features, made without leaking Pango memory.

WeasyPrint 70's `Layout.setup` (weasyprint/text/line_break.py) gives every piece of text whose
style asks for font features — the invoice's `.num { font-variant-numeric: tabular-nums }`,
every amount, hour and date — a Pango attribute list it never releases, and makes a new
features attribute each time although its cache already holds one (`dict.setdefault`
evaluates its default first). Both live in C, where tracemalloc and gc see nothing: about
13 KB of every invoice PDF, so a mail sender grew by ~4.7 KB a message without end
(docs/PERFORMANCE.md, issue 20). `install()` makes the same attribute the same way, once a
layout, in a list the layout alone holds: it is freed with the layout.
"""

from weasyprint import __version__ as weasyprint_version
from weasyprint.text import line_break
from weasyprint.text.ffi import pango
from weasyprint.text.fonts import font_features

_weasyprint_setup = line_break.Layout.setup


def _no_features(*_properties) -> dict:
    """What WeasyPrint's own setup is given instead of the style's features: none."""
    return {}


def _setup(self, style) -> None:
    """WeasyPrint's Layout.setup without its features, then the features added leak-free."""
    _weasyprint_setup(self, style)
    features = font_features(
        style["font_kerning"],
        style["font_variant_ligatures"],
        style["font_variant_position"],
        style["font_variant_caps"],
        style["font_variant_numeric"],
        style["font_variant_alternates"],
        style["font_variant_east_asian"],
        style["font_feature_settings"],
    )
    if not features:
        return
    text = ",".join(f"{key} {value}" for key, value in features.items()).encode()
    attributes = pango.pango_attr_list_new()
    # The list takes the new attribute; the layout takes a reference to the list, and ours
    # is dropped at once, so the layout's finalizer frees both.
    pango.pango_attr_list_insert(attributes, pango.pango_attr_font_features_new(text))
    pango.pango_layout_set_attributes(self.layout, attributes)
    pango.pango_attr_list_unref(attributes)


def install() -> None:
    """Make WeasyPrint's layouts take their features from `_setup` (idempotent). Only on
    WeasyPrint 70, whose setup this follows (66's takes a layout context as well)."""
    if line_break.Layout.setup is _setup or not weasyprint_version.startswith("70."):
        return
    line_break.font_features = _no_features  # only Layout.setup calls it in that module
    line_break.Layout.setup = _setup
