"""Countries as ISO 3166 alpha-2 codes, named from Babel's CLDR data: the one list the
tax rates, the business profile and the clients' billing details choose from."""

from functools import cache

from babel import Locale

# Two-letter codes CLDR knows that ISO 3166-1 does not assign to a country: reserved ones
# (AC, CP, CQ, DG, EA, IC, TA), groupings (EU, EZ, UN, QO), pseudo-locales (XA, XB),
# Kosovo's user-assigned XK, and "unknown" (ZZ).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


@cache
def country_names() -> dict[str, str]:
    """Code -> English name of every ISO 3166 alpha-2 country, ordered by name."""
    territories = Locale("en").territories
    codes = (
        code
        for code in territories
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in _NOT_COUNTRIES
    )
    return dict(sorted(((code, territories[code]) for code in codes), key=lambda kv: kv[1]))


def country_name(code: str | None) -> str:
    """The country's English name, or "" for none (the code itself when unknown)."""
    if not code:
        return ""
    return country_names().get(code, code)


def country_problem(code: str) -> str | None:
    """Why `code` is not a country to choose, or None."""
    return None if code in country_names() else "Choose a country from the list."
