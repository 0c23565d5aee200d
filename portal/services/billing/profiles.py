"""Seller and buyer on an invoice: the business profile (one per installation) and the
client's billing profile, every field checked, changes audited; flushed, never committed."""

import re

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from portal.extensions import db
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_
from portal.models import BusinessProfile, Client, TaxRate, TaxTreatment
from portal.models.business import PROFILE_ID
from portal.services import audit
from portal.services.accounts.users import normalise_email
from portal.services.billing.identifiers import (
    bic_problem,
    compact_iban,
    compact_tax_id,
    iban_problem,
    tax_id_problem,
)
from portal.services.countries import country_problem
from portal.services.errors import ValidationFailed
from portal.services.text import text_problem

ADDRESS_LINES_MAX = 3
BILLING_EMAILS_MAX = 10
# field -> longest text it takes
LIMITS = {
    "legal_name": 200,
    "address_lines": 100,  # each line
    "postal_code": 20,
    "city": 100,
    "country": 100,  # the country rule answers for anything but a code
    "tax_id": 30,
    "email": 254,
    "phone": 40,
    "bank_account_holder": 200,
    "iban": 34,
    "bic": 11,
    "payment_terms": 1000,
    "invoice_footer": 2000,
    "billing_emails": 254,  # each address
    "po_reference": 100,
    "tax_exemption_reason": 300,
}
MULTILINE = frozenset({"payment_terms", "invoice_footer"})
ADDRESS_FIELDS = ("legal_name", "address_lines", "postal_code", "city", "country", "tax_id")
BUSINESS_FIELDS = (
    *ADDRESS_FIELDS,
    "email",
    "phone",
    "bank_account_holder",
    "iban",
    "bic",
    "payment_terms",
    "invoice_footer",
)
# Translated when a field is found missing (`_(message)`).
BUSINESS_REQUIRED = {
    "legal_name": N_("Enter the business's legal name."),
    "address_lines": N_("Enter the street address (at least one line)."),
    "city": N_("Enter the city."),
    "country": N_("Choose a country from the list."),
}
TAX_FIELDS = ("tax_treatment", "tax_rate_id", "tax_exemption_reason")
# The client's language (documents and billing mail) travels with its billing fields.
CLIENT_BILLING_FIELDS = (
    *ADDRESS_FIELDS,
    "billing_emails",
    "po_reference",
    *TAX_FIELDS,
    "language",
)
TREATMENT_RULE = N_("Choose standard, exempt or reverse charge.")
EMAIL_RULE = N_("Enter a valid email address, e.g. billing@example.com.")
_PHONE = re.compile(r"\+?[0-9 ()/.-]{3,40}", re.ASCII)
_SEPARATORS = re.compile(r"[\r\n,;]+")


def split_list(text: str) -> list[str]:
    """Lines (or comma-separated entries) of a form's text area, blanks dropped."""
    return [part.strip() for part in _SEPARATORS.split(text or "") if part.strip()]


def _clean(values: dict, names) -> dict:
    """The values of these fields, trimmed; lists with their blank entries dropped."""
    cleaned = {}
    for name in names:
        value = values.get(name)
        if name in ("address_lines", "billing_emails"):
            cleaned[name] = [str(v).strip() for v in (value or []) if str(v).strip()]
        else:
            cleaned[name] = (value or "").strip()
    cleaned["tax_id"] = compact_tax_id(cleaned["tax_id"])
    if "iban" in cleaned:
        cleaned["iban"] = compact_iban(cleaned["iban"])
    if "bic" in cleaned:
        cleaned["bic"] = cleaned["bic"].replace(" ", "").upper()
    if "country" in cleaned:
        cleaned["country"] = cleaned["country"].upper()
    if "email" in cleaned:
        cleaned["email"] = normalise_email(cleaned["email"])
    if "billing_emails" in cleaned:
        cleaned["billing_emails"] = [normalise_email(e) for e in cleaned["billing_emails"]]
    return cleaned


def _text_errors(values: dict) -> dict[str, str]:
    """Length and text hygiene of every text; the first problem of each field."""
    errors = {}
    for name, value in values.items():
        texts = value if isinstance(value, list) else [value]
        limit = LIMITS[name]
        for text in texts:
            if len(text) > limit:
                errors[name] = _("Keep this to %(max)s characters or fewer.", max=limit)
            elif problem := text_problem(text, multiline=name in MULTILINE):
                errors[name] = problem
            if name in errors:
                break
    return errors


def _rule_errors(values: dict) -> dict[str, str]:
    """The checks of each kind of field: country, VAT number, IBAN, BIC, emails, phone."""
    errors = {}
    lines = values.get("address_lines", [])
    if len(lines) > ADDRESS_LINES_MAX:
        errors["address_lines"] = _("Use at most %(max)s address lines.", max=ADDRESS_LINES_MAX)
    country = values.get("country", "")
    if country and (problem := country_problem(country)):
        errors["country"] = problem
        country = ""
    if problem := tax_id_problem(values.get("tax_id", ""), country):
        errors["tax_id"] = problem
    if problem := iban_problem(values.get("iban", "")):
        errors["iban"] = problem
    if problem := bic_problem(values.get("bic", "")):
        errors["bic"] = problem
    if values.get("email") and not _is_email(values["email"]):
        errors["email"] = _(EMAIL_RULE)
    emails = values.get("billing_emails", [])
    if len(emails) > BILLING_EMAILS_MAX:
        errors["billing_emails"] = _("Give at most %(max)s billing emails.", max=BILLING_EMAILS_MAX)
    elif bad := next((e for e in emails if not _is_email(e)), None):
        errors["billing_emails"] = _(
            "%(address)s is not an email address. %(rule)s", address=repr(bad), rule=_(EMAIL_RULE)
        )
    if values.get("phone") and not _PHONE.fullmatch(values["phone"]):
        errors["phone"] = _("Enter a phone number: digits, spaces, + ( ) - / only.")
    return errors


def _is_email(text: str) -> bool:
    """True for an address email-validator accepts (no DNS lookup)."""
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _checked(values: dict, names, required: dict) -> dict:
    """The cleaned values of `names`, or ValidationFailed with a message per field."""
    cleaned = _clean(values, names)
    errors = _text_errors(cleaned)
    for name, message in _rule_errors(cleaned).items():
        errors.setdefault(name, message)
    for name, message in required.items():
        if not cleaned[name]:
            errors.setdefault(name, _(message))
    if errors:
        raise ValidationFailed(errors)
    return cleaned


# ---- the business profile -------------------------------------------------------------------


def business_profile() -> BusinessProfile | None:
    """The business profile, or None before an admin saved one."""
    return db.session.get(BusinessProfile, PROFILE_ID)


def business_values(profile: BusinessProfile | None = None) -> dict:
    """The profile's fields as the page and the API show them (empty before it is saved)."""
    profile = profile or business_profile()
    if profile is None:
        return {name: [] if name == "address_lines" else "" for name in BUSINESS_FIELDS}
    return {name: getattr(profile, name) for name in BUSINESS_FIELDS}


def save_business_profile(values: dict, actor) -> BusinessProfile:
    """Check and store the business profile; audit what changed."""
    cleaned = _checked(values, BUSINESS_FIELDS, BUSINESS_REQUIRED)
    profile = business_profile()
    before = business_values(profile) if profile else None
    if profile is None:
        profile = BusinessProfile(id=PROFILE_ID)
        db.session.add(profile)
    for name, value in cleaned.items():
        setattr(profile, name, value)
    db.session.flush()
    after = business_values(profile)
    changed = [name for name in BUSINESS_FIELDS if (before or {}).get(name) != after[name]]
    audit.record(
        actor,
        "business_profile.update",
        "business_profile",
        profile.id,
        {name: before[name] for name in changed} if before else None,
        {name: after[name] for name in changed},
    )
    return profile


# ---- the client's billing profile -----------------------------------------------------------


def billing_values(client: Client | None) -> dict:
    """A client's billing fields as stored (empty for a new client)."""
    if client is None:
        lists = ("address_lines", "billing_emails")
        empty = {name: [] if name in lists else "" for name in CLIENT_BILLING_FIELDS}
        defaults = {"tax_treatment": TaxTreatment.STANDARD.value, "tax_rate_id": None}
        return empty | defaults | {"language": DEFAULT_LANGUAGE}
    return {name: getattr(client, name) for name in CLIENT_BILLING_FIELDS}


def checked_billing(values: dict) -> dict:
    """A client's billing fields cleaned, or ValidationFailed with a message per field.

    The tax treatment is checked against the rest: exempt needs its reason (it is printed
    on the invoice), reverse charge the client's VAT number, a chosen rate must exist.
    """
    texts = [
        name for name in CLIENT_BILLING_FIELDS if name not in TAX_FIELDS and name != "language"
    ]
    errors = {}
    try:
        cleaned = _checked(values, texts, {})
    except ValidationFailed as exc:
        errors, cleaned = dict(exc.fields), _clean(values, texts)
    treatment = values.get("tax_treatment") or TaxTreatment.STANDARD.value
    reason = (values.get("tax_exemption_reason") or "").strip()
    rate_id = values.get("tax_rate_id")
    if treatment not in TaxTreatment.values():
        errors["tax_treatment"] = _(TREATMENT_RULE)
    elif treatment == TaxTreatment.EXEMPT and not reason:
        errors["tax_exemption_reason"] = _(
            "Enter the reason for the exemption: it is printed on the invoice."
        )
    elif treatment == TaxTreatment.REVERSE_CHARGE and not cleaned["tax_id"]:
        errors["tax_treatment"] = _(
            "Reverse charge needs the client's VAT number: enter the tax id."
        )
    if "tax_exemption_reason" not in errors:
        problem = _text_errors({"tax_exemption_reason": reason})
        errors.update(problem)
    if rate_id is not None and (
        type(rate_id) is not int or db.session.get(TaxRate, rate_id) is None
    ):
        errors["tax_rate_id"] = _("Choose a tax rate from the list.")
    # Left out, the language stays as it is; given, it is one the portal speaks.
    if "language" in values and values["language"] not in LANGUAGES:
        errors["language"] = _("Choose English, Polish or German.")
    elif "language" in values:
        cleaned["language"] = values["language"]
    if errors:
        raise ValidationFailed(errors)
    return cleaned | {
        "tax_treatment": treatment,
        "tax_rate_id": rate_id,
        # The reason belongs to an exemption; another treatment keeps none.
        "tax_exemption_reason": reason if treatment == TaxTreatment.EXEMPT else "",
    }


def apply_billing(client: Client, cleaned: dict) -> None:
    """Put checked billing fields on the client (the caller flushes and audits)."""
    for name, value in cleaned.items():
        setattr(client, name, value)
