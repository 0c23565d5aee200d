"""Forms of the invoice work: recording a payment, adding a one-off item."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, SubmitField
from wtforms.validators import Optional

from portal.formatting import PAYMENT_METHODS
from portal.web import options


class PaymentForm(FlaskForm):
    """Record money received against an invoice; the service checks every field."""

    # Optional(): an empty date reaches the service, which says what to enter.
    date = DateField(_l("Date received"), validators=[Optional()])
    amount = StringField(_l("Amount"))
    method = SelectField(
        _l("Method"),
        choices=options([("", _l("— choose —")), *PAYMENT_METHODS.items()]),
        validate_choice=False,
    )
    reference = StringField(_l("Reference"), description=_l("e.g. the bank transfer's reference."))
    submit = SubmitField(_l("Record payment"))

    def values(self) -> dict:
        """The fields as record_payment takes them."""
        return {
            "date": self.date.data,
            "amount": self.amount.data or "",
            "method": self.method.data or "",
            "reference": self.reference.data or "",
        }


class OneOffItemForm(FlaskForm):
    """Bill a client for something outside its plan, at its month's close or at once."""

    description = StringField(_l("Description"), description=_l("Printed on the invoice."))
    quantity = StringField(
        _l("Quantity"), default="1", description=_l("Up to 2 decimals, e.g. 2.5.")
    )
    unit_price = StringField(_l("Unit price"))
    date = DateField(_l("Date"), validators=[Optional()])
    invoice_now = BooleanField(_l("Invoice it now"))
    submit = SubmitField(_l("Add item"))

    def values(self) -> dict:
        """The fields as add_one_off_item takes them."""
        return {
            "description": self.description.data or "",
            "quantity": self.quantity.data or "",
            "unit_price": self.unit_price.data or "",
            "date": self.date.data,
        }
