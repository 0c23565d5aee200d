"""What goes on an invoice's address block: countries, VAT numbers, IBAN and BIC, each
checked by python-stdnum (format and checksum, no online lookup); countries are
portal.services.countries."""

from flask_babel import gettext as _
from stdnum import bic, get_cc_module, iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as NumberInvalid

from portal.services.countries import country_name

# EU VAT numbers start with these prefixes (Greece's is EL; XI is Northern Ireland).
_EU_PREFIXES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) | {"EL"}
EU_COUNTRIES = frozenset(code.upper() for code in eu_vat.MEMBER_STATES) - {"XI"}


def compact_tax_id(text: str) -> str:
    """A VAT number without spaces, dots or dashes, upper case: "DE136695976"."""
    return "".join(ch for ch in text if ch not in " .-/").upper()


def tax_id_problem(number: str, country: str) -> str | None:
    """Why a VAT number cannot be right for a business in `country`, or None.

    A number with an EU prefix is checked as an EU VAT number; in an EU country the number
    must have it (it is the one invoices across the EU show). Elsewhere the country's own
    VAT number is checked where python-stdnum knows it, else it is kept as typed.
    """
    if not number:
        return None
    example = "DE136695976"
    if number[:2] in _EU_PREFIXES:
        if eu_vat.is_valid(number):
            return None
        return _("Not a valid EU VAT number (e.g. %(example)s).", example=example)
    if country in EU_COUNTRIES:
        prefix = "EL" if country == "GR" else country
        return _(
            "Enter the EU VAT number with its country prefix (%(prefix)s…, e.g. %(example)s).",
            prefix=prefix,
            example=example,
        )
    module = get_cc_module(country.lower(), "vat") if country else None
    if module is not None:
        try:
            module.validate(number)
        except NumberInvalid:
            return _("Not a valid VAT number for %(country)s.", country=country_name(country))
    if not number.isascii() or not number.isalnum():
        return _("Use letters and digits only.")
    return None


def compact_iban(text: str) -> str:
    """An IBAN without spaces, upper case."""
    return iban.compact(text)


def iban_problem(number: str) -> str | None:
    """Why an IBAN is not valid (country format and check digits), or None."""
    if not number or iban.is_valid(number):
        return None
    return _("Not a valid IBAN: check the country code, the length and the digits.")


def bic_problem(code: str) -> str | None:
    """Why a BIC (SWIFT code) is not valid, or None."""
    if not code or bic.is_valid(code):
        return None
    return _("Not a valid BIC: 8 or 11 letters and digits, e.g. DEUTDEFF.")
