"""Forms of the seller's and the buyer's invoice details: the business profile, and the
billing fields of the client form."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField

from portal.admin.forms import optional_int
from portal.models import TaxTreatment
from portal.services.billing.profiles import (
    ADDRESS_FIELDS,
    ADDRESS_LINES_MAX,
    BUSINESS_FIELDS,
    split_list,
)
from portal.services.countries import country_names as countries
from portal.web import options

TREATMENT_LABELS = {
    TaxTreatment.STANDARD.value: _l("Standard"),
    TaxTreatment.EXEMPT.value: _l("Exempt"),
    TaxTreatment.REVERSE_CHARGE.value: _l("Reverse charge"),
}
ADDRESS_HELP = _l("Street and number, up to %(count)d lines.", count=ADDRESS_LINES_MAX)
TAX_ID_HELP = _l("EU VAT numbers with their country prefix, e.g. DE136695976.")


def country_choices(empty_label: str) -> list:
    """Every country by its English name; the value is its ISO 3166 alpha-2 code."""
    return options([("", empty_label), *countries().items()])


def country_field(empty_label: str) -> SelectField:
    """A country select; the service checks the choice, so its message comes with the
    messages of the other fields rather than alone."""
    return SelectField(_l("Country"), choices=country_choices(empty_label), validate_choice=False)


class AddressFields(FlaskForm):
    """Name, address, country and VAT number, as an invoice prints them."""

    legal_name = StringField(_l("Legal name"))
    address_lines = TextAreaField(_l("Address"), description=ADDRESS_HELP, render_kw={"rows": 3})
    postal_code = StringField(_l("Postal code"))
    city = StringField(_l("City"))
    country = country_field(_l("— choose a country —"))
    tax_id = StringField(_l("VAT number (tax id)"), description=TAX_ID_HELP)

    def address_values(self) -> dict:
        """The address fields as the services take them."""
        return {
            "legal_name": self.legal_name.data or "",
            "address_lines": split_lines(self.address_lines.data),
            "postal_code": self.postal_code.data or "",
            "city": self.city.data or "",
            "country": self.country.data or "",
            "tax_id": self.tax_id.data or "",
        }


def split_lines(text: str | None) -> list[str]:
    """The non-blank lines of a text area."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def joined(values: dict) -> dict:
    """Stored lists as text-area text, one entry a line."""
    return {
        name: "\n".join(value) if isinstance(value, list) else value
        for name, value in values.items()
    }


class BusinessProfileForm(AddressFields):
    """The business profile: who sends the invoices and where to pay them."""

    email = StringField(_l("Email"))
    phone = StringField(_l("Phone"))
    bank_account_holder = StringField(_l("Bank account holder"))
    iban = StringField(_l("IBAN"), description=_l("e.g. DE89 3704 0044 0532 0130 00"))
    bic = StringField(_l("BIC (SWIFT)"), description=_l("8 or 11 characters, e.g. DEUTDEFF."))
    payment_terms = TextAreaField(_l("Payment terms"), render_kw={"rows": 2})
    invoice_footer = TextAreaField(_l("Invoice footer"), render_kw={"rows": 3})
    submit = SubmitField(_l("Save business profile"))

    def values(self) -> dict:
        """Every field as save_business_profile takes them."""
        return self.address_values() | {
            name: getattr(self, name).data or ""
            for name in BUSINESS_FIELDS
            if name not in ADDRESS_FIELDS
        }


class BillingFields(AddressFields):
    """The client's billing profile on the client form."""

    legal_name = StringField(
        _l("Legal name on invoices"), description=_l("Empty: the client's name.")
    )
    country = country_field(_l("— none —"))
    billing_emails = TextAreaField(
        _l("Invoice emails"),
        description=_l(
            "One or more, one a line (or separated by commas). Empty: the billing email."
        ),
        render_kw={"rows": 2},
    )
    po_reference = StringField(
        _l("Purchase-order reference"), description=_l("Printed on invoices.")
    )
    # The service checks the treatment and the rate, so their messages come with the others.
    tax_treatment = SelectField(
        _l("Tax treatment"),
        choices=options(TREATMENT_LABELS.items()),
        default=TaxTreatment.STANDARD.value,
        validate_choice=False,
    )
    tax_rate_id = SelectField(
        _l("Tax rate"),
        coerce=optional_int,
        validate_choice=False,
        description=_l("For the standard treatment; exempt and reverse charge are 0 %."),
    )
    tax_exemption_reason = StringField(
        _l("Exemption reason"), description=_l("Printed on the invoice; required when exempt.")
    )

    def billing_values(self) -> dict:
        """The billing fields as save_client takes them."""
        return self.address_values() | {
            "billing_emails": split_list(self.billing_emails.data or ""),
            "po_reference": self.po_reference.data or "",
            "tax_treatment": self.tax_treatment.data or "",
            "tax_rate_id": self.tax_rate_id.data,
            "tax_exemption_reason": self.tax_exemption_reason.data or "",
        }


def tax_rate_choices(rates) -> list:
    """The tax rate select: "Default rate" (none chosen), then each rate by name."""
    named = ((r.id, f"{r.name} ({r.percent.normalize():f} %)") for r in rates)
    return options([("", _("Default rate")), *named])
