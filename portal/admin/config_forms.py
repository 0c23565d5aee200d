"""Forms of the admin configuration pages: currencies, tax rates, plans, settings, clients."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Optional

from portal.admin.forms import optional_int
from portal.admin.profile_forms import BillingFields
from portal.i18n import DEFAULT_LANGUAGE, LANGUAGES
from portal.models import BillingModel, WhenUsedUp
from portal.services.catalog.input import INCLUDED_RULE
from portal.services.catalog.tax_rates import PERCENT_RULE
from portal.services.settings import (
    FORMAT_RULE,
    OVERDUE_DAYS_RULE,
    REMINDER_DAYS_RULE,
    timezone_names,
)
from portal.web import options

DECIMALS_RULE = _l("Enter decimal places from 0 to 4 (JPY 0, most currencies 2).")
DUE_DAYS_RULE = _l("Enter whole days from 0 to 365.")
_WHOLE = re.compile(r"\s*[0-9]{1,6}\s*", re.ASCII)


class WholeNumberField(IntegerField):
    """An integer typed in ASCII digits only: no sign, "1_000" or other scripts' digits."""

    def process_formdata(self, valuelist):
        """Refuse anything but plain digits, with the field's own message."""
        if not valuelist:
            return
        self.data = None
        if valuelist[0].strip() and not _WHOLE.fullmatch(valuelist[0]):
            raise ValueError(str(self.invalid_value_message))
        if valuelist[0].strip():
            self.data = int(valuelist[0])


class DayListField(StringField):
    """Whole numbers of days, typed "1, 7, 14" (commas or spaces), as a list of ints; the
    service checks the range and the count."""

    def process_formdata(self, valuelist):
        """Refuse anything but ASCII digits between the separators, with the field's rule."""
        if not valuelist:
            return
        self.data = None
        parts = [part for part in re.split(r"[\s,;]+", valuelist[0]) if part]
        if not parts or not all(_WHOLE.fullmatch(part) for part in parts):
            raise ValueError(str(OVERDUE_DAYS_RULE))
        self.data = [int(part) for part in parts]

    def _value(self):
        """The list as the admin types it."""
        if isinstance(self.data, list | tuple):
            return ", ".join(str(day) for day in self.data)
        return super()._value()


class CurrencyForm(FlaskForm):
    """Create or edit a currency."""

    code = StringField(
        _l("ISO 4217 code"), description=_l("Three letters, e.g. EUR, USD, PLN, JPY.")
    )
    decimals = WholeNumberField(
        _l("Decimal places"),
        default=2,
        validators=[InputRequired(DECIMALS_RULE)],
        invalid_value_message=DECIMALS_RULE,
    )
    prefix = StringField(_l("Prefix"), description=_l("Shown before amounts, e.g. € or $."))
    suffix = StringField(
        _l("Suffix"), description=_l("Shown after amounts, e.g. “ zł” (with a space).")
    )
    is_default = BooleanField(_l("Default currency for new clients"))
    submit = SubmitField(_l("Save"))


class TaxRateForm(FlaskForm):
    """Create or edit a tax rate; the country list is set by the view."""

    name = StringField(_l("Name"), description=_l("As invoices print it, e.g. “VAT 23%”."))
    percent = StringField(_l("Percent"), description=_l(PERCENT_RULE))
    # The service refuses an unknown code with its own message (the API's too).
    country = SelectField(_l("Country (optional)"), validate_choice=False)
    is_default = BooleanField(_l("Default rate for clients without a rate of their own"))
    submit = SubmitField(_l("Save"))


class PlanForm(FlaskForm):
    """Create or edit a plan; price fields per currency are added by plan_form_class()."""

    name = StringField(_l("Name"))
    description = TextAreaField(_l("Description"), validators=[Optional()])
    model = SelectField(
        _l("Billing model"),
        choices=options(
            [
                (BillingModel.PACKAGE.value, _l("Package: monthly fee, included hours, overtime")),
                (BillingModel.HOURLY.value, _l("Hourly: no fee, every hour at the rate")),
                (
                    BillingModel.BLOCK.value,
                    _l("Block: prepaid blocks of hours, invoiced when bought"),
                ),
            ]
        ),
    )
    included_hours = StringField(
        _l("Included hours a month (package only)"), description=_l(INCLUDED_RULE)
    )
    prorate = BooleanField(_l("Prorate the first month (package only)"), default=True)
    # Rollover (package) and block terms: typed as text, so the service's rule is the message.
    rollover_months = StringField(
        _l("Roll unused hours over for (months)"),
        default="0",
        description=_l("Package only: 0 (no rollover) to 12."),
    )
    rollover_cap_hours = StringField(
        _l("Rollover cap (hours)"),
        description=_l("Package only: the most hours carried into a month; blank for no cap."),
    )
    block_hours = StringField(
        _l("Hours in a block (block only)"),
        description=_l("In quarter-hour steps, e.g. 20 or 7:30."),
    )
    validity_months = StringField(
        _l("Block valid for (months)"),
        description=_l("Block only: 1 to 36, from the purchase's date."),
    )
    when_used_up = SelectField(
        _l("When the blocks are used up (block only)"),
        default=WhenUsedUp.OVERTIME.value,
        choices=options(
            [
                (WhenUsedUp.OVERTIME.value, _l("Overtime: bill the extra hours at the rate")),
                (WhenUsedUp.REFUSE.value, _l("Refuse billable time until the client tops up")),
            ]
        ),
    )
    active = BooleanField(_l("Active: may be assigned to clients"), default=True)
    submit = SubmitField(_l("Save"))


def price_field_names(code: str) -> tuple[str, str]:
    """The form field names of a currency's fee and rate: price-EUR-fee, price-EUR-rate."""
    return f"price-{code}-fee", f"price-{code}-rate"


def plan_form_class(currencies) -> type[PlanForm]:
    """A PlanForm with a fee and a rate field for every currency."""

    class PricedPlanForm(PlanForm):
        """PlanForm plus one price row per currency."""

    for currency in currencies:
        fee, rate = price_field_names(currency.code)
        label = _l("%(currency)s monthly fee, or block price", currency=currency.code)
        setattr(PricedPlanForm, fee, StringField(label))
        rate_label = _l("%(currency)s hourly / overtime rate", currency=currency.code)
        setattr(PricedPlanForm, rate, StringField(rate_label))
    return PricedPlanForm


class SettingsForm(FlaskForm):
    """The business settings."""

    business_timezone = SelectField(
        _l("Business time zone"),
        choices=options((zone, zone) for zone in timezone_names()),
        description=_l("Months, “today” and work dates are counted in this time zone."),
    )
    invoice_on_close = BooleanField(_l("Issue invoices when a month is closed"))
    due_days = WholeNumberField(
        _l("Payment due after (days)"),
        validators=[InputRequired(DUE_DAYS_RULE)],
        invalid_value_message=DUE_DAYS_RULE,
    )
    invoice_number_format = StringField(_l("Invoice number format"), description=FORMAT_RULE)
    credit_note_number_format = StringField(
        _l("Credit note number format"),
        description=_l("Credit notes are numbered in their own series, e.g. CN-{YYYY}/{SEQ}."),
    )
    send_invoices_automatically = BooleanField(
        _l("Send invoices automatically"),
        description=_l("Off: invoice mail waits in the email log until an admin releases it."),
    )
    reminder_days_before_due = WholeNumberField(
        _l("Payment reminder (days before the due date)"),
        validators=[InputRequired(REMINDER_DAYS_RULE)],
        invalid_value_message=REMINDER_DAYS_RULE,
        description=_l("0: no reminder before the due date."),
    )
    overdue_reminder_days = DayListField(
        _l("Overdue notices (days after the due date)"),
        validators=[InputRequired(OVERDUE_DAYS_RULE)],
        description=_l("Up to three, e.g. 1, 7, 14."),
    )
    payment_received_mail = BooleanField(_l("Mail the client when an invoice is paid"))
    submit = SubmitField(_l("Save settings"))


class ClientForm(BillingFields):
    """Create or edit a client account with its billing profile."""

    name = StringField(_l("Name"))
    email = StringField(_l("Billing email"))
    currency = SelectField(_l("Currency"), coerce=optional_int)
    active = BooleanField(_l("Active"), default=True)
    # The language of the client's invoices, credit notes and billing mail; each offered by
    # its name in itself. The service checks the choice, with the field's message.
    language = SelectField(
        _l("Invoice language"),
        choices=options(LANGUAGES.items()),
        default=DEFAULT_LANGUAGE,
        validate_choice=False,
        description=_l("Invoices, credit notes and billing mail are written in it."),
    )
    submit = SubmitField(_l("Save"))

    def billing_values(self) -> dict:
        """The billing fields with the invoice language, as save_client takes them."""
        return super().billing_values() | {"language": self.language.data or ""}


class ClientUserForm(FlaskForm):
    """Add a user to a client account: they are mailed an invitation to choose a password."""

    name = StringField(_l("Name"))
    email = StringField(
        _l("Email"), description=_l("The invitation to choose a password goes here.")
    )
    submit = SubmitField(_l("Add user"))


class AssignPlanForm(FlaskForm):
    """Assign a plan to a client from a start date."""

    plan = SelectField(_l("Plan"), coerce=optional_int)
    start_date = DateField(_l("Start date"), validators=[Optional()])
    submit = SubmitField(_l("Assign plan"))
