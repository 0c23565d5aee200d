"""Countries as ISO 3166 alpha-2 codes, named from Babel's CLDR data in the reader's
language: the one list the tax rates, the business profile and the clients' billing details
choose from."""

import unicodedata
from functools import cache

from babel import Locale
from flask_babel import gettext as _

from portal.i18n import current_language

# Two-letter codes CLDR knows that ISO 3166-1 does not assign to a country: reserved ones
# (AC, CP, CQ, DG, EA, IC, TA), groupings (EU, EZ, UN, QO), pseudo-locales (XA, XB),
# Kosovo's user-assigned XK, and "unknown" (ZZ).
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)


def country_names(language: str | None = None) -> dict[str, str]:
    """Code -> name of every ISO 3166 alpha-2 country in `language` (default: the one being
    spoken), ordered by name."""
    return _country_names(language or current_language())


@cache
def _country_names(language: str) -> dict[str, str]:
    """The names in one language, ordered as that language's readers look them up (English
    as it always was; Polish and German with the accents set aside: "Österreich" by O)."""
    territories = Locale.parse(language).territories
    codes = [
        code
        for code in Locale("en").territories
        if len(code) == 2 and code.isascii() and code.isalpha() and code not in _NOT_COUNTRIES
    ]
    names = {code: territories.get(code, code) for code in codes}
    if language == "en":
        return dict(sorted(names.items(), key=lambda kv: kv[1]))
    return dict(sorted(names.items(), key=lambda kv: (_unaccented(kv[1]), kv[1])))


def _unaccented(name: str) -> str:
    """A name without its accents, case folded, for ordering."""
    decomposed = unicodedata.normalize("NFKD", name.replace("Ł", "L").replace("ł", "l"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def country_name(code: str | None) -> str:
    """The country's name in the language being spoken, or "" for none (the code itself
    when unknown)."""
    if not code:
        return ""
    return country_names().get(code, code)


def country_problem(code: str) -> str | None:
    """Why `code` is not a country to choose, or None."""
    return None if code in country_names() else _("Choose a country from the list.")
