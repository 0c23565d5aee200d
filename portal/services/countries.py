"""Countries as ISO 3166 alpha-2 codes, named from Babel's CLDR data."""

from functools import cache

from babel import Locale

# Two-letter CLDR territories that are no country of ISO 3166: groupings (EU, EZ, UN, QO),
# pseudo-locales (XA, XB), Kosovo's user-assigned XK, and "unknown" (ZZ).
_NOT_ISO_3166 = frozenset({"EU", "EZ", "QO", "UN", "XA", "XB", "XK", "ZZ"})


@cache
def country_names() -> dict[str, str]:
    """Code -> English name of every ISO 3166 alpha-2 country, ordered by name."""
    territories = Locale("en").territories
    codes = (
        code
        for code in territories
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in _NOT_ISO_3166
    )
    return dict(sorted(((code, territories[code]) for code in codes), key=lambda kv: kv[1]))


def country_name(code: str | None) -> str:
    """The country's English name, or "" for none (the code itself when unknown)."""
    if not code:
        return ""
    return country_names().get(code, code)
