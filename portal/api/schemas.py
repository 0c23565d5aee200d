"""The shapes of API.md, once: each schema validates a request or writes a response, and
the OpenAPI document at /api/v1/openapi.json is generated from the same schemas."""

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, missing, post_load, validate

from portal.api.fields import (
    Boolean,
    Day,
    Id,
    Integer,
    QueryId,
    QueryNumber,
    Text,
    Translated,
    hours,
    iso_date,
    money,
    period,
    timestamp,
)
from portal.i18n import LANGUAGES
from portal.models import (
    DEPARTMENTS,
    BillingModel,
    InvoiceKind,
    InvoiceStatus,
    ItemKind,
    MailKind,
    MailStatus,
    PaymentMethod,
    Priority,
    TaxTreatment,
    TicketStatus,
    WhenUsedUp,
)


def one_of(choices) -> validate.OneOf:
    """A choice among fixed values, with the message the pages use."""
    choices = list(choices)
    return validate.OneOf(choices, error=_l("One of: %(choices)s.", choices=", ".join(choices)))


# marshmallow's refusal of a key the schema does not know, in the request's language.
UNKNOWN_FIELD = {"unknown": _l("Unknown field.")}


class Input(Schema):
    """A request: unknown keys are refused; an optional field sent as null counts as not sent,
    except the keys of NULL_IS_A_VALUE, where null says what no other value could."""

    error_messages = UNKNOWN_FIELD

    NULL_IS_A_VALUE: frozenset[str] = frozenset()

    @post_load
    def drop_nulls(self, data, **kwargs):
        """null means "not given", as it always has for this API: the default, if any."""
        loaded = {}
        for key, value in data.items():
            if value is None and key in self.NULL_IS_A_VALUE:
                loaded[key] = None
                continue
            if value is None:
                value = self.fields[key].load_default
            if value is not None and value is not missing:
                loaded[key] = value
        return loaded


# ---- requests ------------------------------------------------------------------------------


class SettingsIn(Input):
    """Business settings; keys left out keep their value."""

    business_timezone = Text(max_length=64, metadata={"example": "Europe/Warsaw"})
    invoice_on_close = Boolean()
    due_days = Integer(minimum=0, maximum=365)
    invoice_number_format = Text(max_length=64, metadata={"example": "{YYYY}/{MM}/{SEQ}"})
    credit_note_number_format = Text(max_length=64, metadata={"example": "CN-{YYYY}/{SEQ}"})
    send_invoices_automatically = Boolean()
    reminder_days_before_due = Integer(minimum=0, maximum=60)
    overdue_reminder_days = fields.List(
        Integer(minimum=1, maximum=90),
        allow_none=True,
        validate=validate.Length(min=1, max=3, error=_l("Give 1 to 3 numbers of days.")),
        metadata={"example": [1, 7, 14]},
    )
    payment_received_mail = Boolean()


class CurrencyIn(Input):
    """A new currency."""

    code = Text(required=True, max_length=3, metadata={"example": "EUR"})
    decimals = Integer(minimum=0, maximum=4, load_default=2)
    prefix = Text(max_length=8, load_default="")
    suffix = Text(max_length=8, load_default="")
    is_default = Boolean(load_default=False)


PERCENT_PATTERN = r"^[0-9]{1,3}\.[0-9]{3}$"


class TaxRateIn(Input):
    """A new tax rate: the percent as a string (up to 3 decimals), the country ISO 3166
    alpha-2 ("" or left out: none)."""

    name = Text(required=True, max_length=120, metadata={"example": "VAT 23%"})
    percent = Text(required=True, max_length=12, metadata={"example": "23.000"})
    country = Text(max_length=2, metadata={"example": "PL"})
    is_default = Boolean(load_default=False)


class TaxRatePatch(Input):
    """Changes to a tax rate; keys left out keep their value."""

    name = Text(max_length=120, metadata={"example": "VAT 23%"})
    percent = Text(max_length=12, metadata={"example": "23.000"})
    country = Text(max_length=2, metadata={"example": "PL"})
    is_default = Boolean()


class PriceIn(Input):
    """A plan's price in one currency (fee for packages, rate for both)."""

    currency = Text(required=True, max_length=3, metadata={"example": "EUR"})
    fee = Text(max_length=32, metadata={"example": "200.00"})
    rate = Text(required=True, max_length=32, metadata={"example": "60.00"})


class PlanIn(Input):
    """A plan and its prices; on PATCH every key is optional and `prices` replaces them all.

    A `block` plan sells prepaid blocks: `fee` is the price of one block, `rate` the hourly
    rate beyond the blocks. A package plan may roll unused hours over (`rollover_months`,
    capped by `rollover_cap_hours`; null = no cap, and on PATCH null takes the cap away).
    """

    NULL_IS_A_VALUE = frozenset({"rollover_cap_hours"})  # no cap

    name = Text(required=True, max_length=120)
    description = Text(max_length=5000)
    model = Text(validate=one_of(BillingModel.values()), metadata={"example": "package"})
    included_hours = Text(max_length=12, metadata={"example": "10"})
    prorate = Boolean()
    active = Boolean()
    prices = fields.List(fields.Nested(PriceIn), allow_none=True)
    rollover_months = Integer(
        minimum=0,
        maximum=12,
        metadata={"description": "package plans: months unused hours carry over (0: none)"},
    )
    rollover_cap_hours = Text(
        max_length=12,
        metadata={
            "example": "5.00",
            "description": "package plans: most hours carried into a month; null = no cap",
        },
    )
    block_hours = Text(
        max_length=12,
        metadata={"example": "20.00", "description": "block plans: hours in one block"},
    )
    validity_months = Integer(
        minimum=0,
        maximum=36,
        metadata={"example": 3, "description": "block plans: months a block stays valid (1-36)"},
    )
    when_used_up = Text(
        validate=one_of(WhenUsedUp.values()),
        metadata={
            "example": "overtime",
            "description": "block plans: bill time beyond the blocks at the rate, or refuse it",
        },
    )


class PlanPatch(PlanIn):
    """Changes to a plan (used partially: every key optional)."""


class AddressIn(Input):
    """The name, address, country and VAT number an invoice prints (seller or buyer)."""

    legal_name = Text(max_length=200)
    address_lines = fields.List(
        Text(max_length=100),
        allow_none=True,
        validate=validate.Length(max=3, error=_l("At most 3 address lines.")),
        metadata={"example": ["Friedrichstraße 123", "3rd floor"]},
    )
    postal_code = Text(max_length=20, metadata={"example": "10117"})
    city = Text(max_length=100, metadata={"example": "Berlin"})
    country = Text(max_length=2, metadata={"example": "DE", "description": "ISO 3166 alpha-2"})
    tax_id = Text(max_length=30, metadata={"example": "DE136695976"})


class BusinessProfileIn(AddressIn):
    """The business profile; keys left out keep their value."""

    email = Text(max_length=254, metadata={"example": "invoices@example.com"})
    phone = Text(max_length=40, metadata={"example": "+48 22 123 45 67"})
    bank_account_holder = Text(max_length=200)
    iban = Text(max_length=42, metadata={"example": "PL61 1090 1014 0000 0712 1981 2874"})
    bic = Text(max_length=11, metadata={"example": "WBKPPLPP"})
    payment_terms = Text(max_length=1000)
    invoice_footer = Text(max_length=2000)


class BillingIn(AddressIn):
    """A client's billing profile: address, billing emails, PO reference and tax treatment."""

    billing_emails = fields.List(
        Text(max_length=254),
        allow_none=True,
        validate=validate.Length(max=10, error=_l("At most 10 billing emails.")),
        metadata={"example": ["ap@example.com", "controller@example.com"]},
    )
    po_reference = Text(max_length=100, metadata={"example": "PO-2026-0042"})
    tax_treatment = Text(
        validate=one_of(TaxTreatment.values()),
        metadata={
            "example": "standard",
            "description": "exempt needs tax_exemption_reason; reverse_charge needs tax_id",
        },
    )
    tax_rate_id = Id(
        metadata={"description": "The client's own rate; null = none (the default rate)"}
    )
    tax_exemption_reason = Text(
        max_length=300, metadata={"example": "Exempt under Art. 43(1) of the VAT Act"}
    )
    language = Text(
        validate=one_of(LANGUAGES),
        metadata={"example": "de", "description": "of its invoices and billing mail"},
    )


class ClientIn(BillingIn):
    """A new client billed in one currency (by code), with its billing profile if given."""

    name = Text(required=True, max_length=200)
    email = Text(required=True, max_length=254, metadata={"example": "billing@example.com"})
    currency = Text(required=True, max_length=3, metadata={"example": "EUR"})


class ClientPatch(BillingIn):
    """Changes to a client and its billing profile; keys left out keep their value.

    `tax_rate_id: null` is the one null that is a value: it takes the client's own rate
    away (the default rate applies), as no other value could say.
    """

    NULL_IS_A_VALUE = frozenset({"tax_rate_id"})  # the client's own rate removed

    name = Text(max_length=200)
    email = Text(max_length=254, metadata={"example": "billing@example.com"})


class PaymentIn(Input):
    """Money received against an invoice: not in the future, above 0, at most the balance."""

    date = Day(required=True, metadata={"example": "2026-11-05"})
    amount = Text(
        required=True,
        max_length=32,
        error_messages={"invalid": _l('Send the amount as a string, e.g. "1000.00".')},
        metadata={"example": "1000.00"},
    )
    method = Text(required=True, validate=one_of(PaymentMethod.values()))
    reference = Text(max_length=200, load_default="", metadata={"example": "Transfer 2026/11/05"})


class OneOffItemIn(Input):
    """A one-off charge: billed at its month's close, or invoiced at once (`invoice_now`)."""

    description = Text(required=True, max_length=300, metadata={"example": "On-site visit"})
    quantity = Text(
        required=True,
        max_length=12,
        error_messages={"invalid": _l('Send the quantity as a string, e.g. "2.00".')},
        metadata={"example": "2.00", "description": "above 0, at most 2 decimals"},
    )
    unit_price = Text(
        required=True,
        max_length=32,
        error_messages={"invalid": _l('Send the unit price as a string, e.g. "45.00".')},
        metadata={"example": "45.00"},
    )
    date = Day(metadata={"description": "in an open month; default today"})
    invoice_now = Boolean(load_default=False)


class MePatch(Input):
    """The caller's own preferences: their language, how pages show time, and which optional
    mail they get (`notify_new_tickets` is for staff: a client user sending true gets a 400).

    `language: null` is the one null that is a value: pages follow the browser again.
    """

    NULL_IS_A_VALUE = frozenset({"language"})

    language = Text(
        validate=one_of(LANGUAGES),
        metadata={"example": "pl", "description": "null = the browser's language"},
    )
    time_format = Text(validate=one_of(["hm", "decimal"]), metadata={"example": "hm"})
    notify_replies = Boolean()
    notify_alerts = Boolean()
    notify_new_tickets = Boolean()


class UserIn(Input):
    """A new user, mailed an invitation to choose their password (no password is sent)."""

    email = Text(required=True, max_length=254, metadata={"example": "ann@example.com"})
    name = Text(required=True, max_length=200, metadata={"example": "Ann Smith"})
    role = Text(required=True, validate=one_of(["admin", "operator", "client"]))
    client_id = Id(allow_none=True)


class UserPatch(Input):
    """A staff member's role, or a user's login switched off or on."""

    role = Text(validate=one_of(["admin", "operator"]))
    active = Boolean()


class SubscriptionIn(Input):
    """Assign a plan from a start date (default today)."""

    plan_id = Id(required=True)
    start_date = Day()


class TopUpIn(Input):
    """Buy another prepaid block for a block subscription, invoiced at once."""

    date = Day(
        metadata={
            "example": "2026-10-05",
            "description": "the purchase's date: in an open month, not ahead (default today)",
        }
    )


class TicketIn(Input):
    """A new ticket. Staff name the client; a client token opens it for its own client."""

    client_id = Id()
    subject = Text(required=True, max_length=200)
    message = Text(required=True, max_length=20000)
    department = Text(validate=one_of(DEPARTMENTS), load_default=DEPARTMENTS[0])
    priority = Text(validate=one_of(Priority.values()), load_default=Priority.MEDIUM.value)
    time_tracking = Boolean(load_default=True)


class TicketPatch(Input):
    """Status, time tracking, assignee, priority (staff); a client token only
    `{"status": "Closed"}` on its own ticket. `assignee_id: null` unassigns."""

    NULL_IS_A_VALUE = frozenset({"assignee_id"})  # nobody

    status = Text(validate=one_of(TicketStatus.values()))
    time_tracking = Boolean()
    assignee_id = Id(allow_none=True, metadata={"description": "null = unassigned"})
    priority = Text(validate=one_of(Priority.values()))


class ReplyIn(Input):
    """A reply; staff may set the status with it, or make it an internal note."""

    message = Text(required=True, max_length=20000)
    status = Text(validate=one_of(TicketStatus.values()))
    internal = Boolean(
        load_default=False, metadata={"description": "A staff-only note (staff only)."}
    )


class FormBoolean(Translated, fields.Boolean):
    """A form part read as a boolean ("true", "1", "false", "0", "")."""


class ReplyUploadIn(Input):
    """A reply as multipart/form-data: the same fields as text parts, files under
    `attachments` (at most 5, each 1 byte to 10 MB)."""

    message = Text(required=True, max_length=20000)
    status = Text(validate=one_of(TicketStatus.values()))
    internal = FormBoolean(
        load_default=False,
        truthy={"true", "1"},
        falsy={"false", "0", ""},
        error_messages={"invalid": _l("Must be true or false.")},
    )
    attachments = fields.List(
        fields.Raw(metadata={"type": "string", "format": "binary"}), load_only=True
    )


class TimeEntryPatch(Input):
    """Changes to a time entry; keys left out keep their value."""

    hours = Text(
        max_length=12,
        error_messages={"invalid": _l('Send hours as a string, e.g. "1.5" or "1:30".')},
        metadata={"example": "1:30"},
    )
    work_date = Day()
    note = Text(max_length=500)
    billable = Boolean()


class TimeEntryIn(TimeEntryPatch):
    """Time on a ticket; `assign_plan_id` gives a client without a plan one on the spot."""

    hours = Text(
        required=True,
        max_length=12,
        error_messages={"invalid": _l('Send hours as a string, e.g. "1.5" or "1:30".')},
        metadata={"example": "1:30"},
    )
    assign_plan_id = Id()


class PageQuery(Schema):
    """?page= and ?per_page= (at most 200)."""

    error_messages = UNKNOWN_FIELD

    page = QueryNumber(10**6, load_default=1)
    per_page = QueryNumber(200, load_default=50)


class QueryAssignee(Translated, fields.String):
    """?assignee_id=7, or ?assignee_id=none for unassigned tickets (loaded as None)."""

    def __init__(self, **kwargs):
        super().__init__(metadata={"pattern": "^(none|[0-9]+)$", "example": "none"}, **kwargs)
        self.error_messages["invalid"] = _l('An operator\'s id, or "none" for unassigned.')

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "none":
            return None
        try:
            return QueryId().deserialize(value, attr, data, **kwargs)  # with its range check
        except ValidationError:
            raise self.make_error("invalid") from None


class TicketQuery(PageQuery):
    """A page of tickets; staff may narrow them to one client; any token by assignee
    (`none` = unassigned), priority and status."""

    client_id = QueryId()
    q = fields.String(
        metadata={
            "description": "The number (#708131 or 708131), or words of the subject and "
            "messages, each as a prefix, all required; only the first 200 characters count.",
            "example": "backup",
        }
    )
    assignee_id = QueryAssignee()
    priority = fields.String(validate=one_of(Priority.values()))
    status = fields.String(validate=one_of(TicketStatus.values()))


class ListQuery(PageQuery):
    """A page of rows, for one client (staff) and one period."""

    client_id = QueryId()
    period = fields.String(metadata={"example": "2026-09"})


class InvoiceQuery(ListQuery):
    """A page of invoices, for one client (staff), one period and one kind."""

    kind = fields.String(validate=one_of(InvoiceKind.values()))


class EmailQuery(PageQuery):
    """A page of emails, newest first: an admin's of one client, kind and status; a client
    token's own (its client mail, once sent), narrowed by the same filters."""

    client_id = QueryId()
    kind = fields.String(validate=one_of(MailKind.values()))
    status = fields.String(validate=one_of(MailStatus.values()))


class UsageQuery(Schema):
    """?period=YYYY-MM (default: the current month)."""

    error_messages = UNKNOWN_FIELD

    period = fields.String(metadata={"example": "2026-09"})


# ---- responses -----------------------------------------------------------------------------

hours_string = hours  # for schemas that have a field named `hours` and other hours fields


class Output(Schema):
    """A response: every field is always there (null where the type allows it)."""


def out(field_class=fields.String, **kwargs):
    """A response field that is always present."""
    return field_class(required=True, **kwargs)


class ErrorOut(Output):
    """API.md's error body: a code, and a message or the refused fields."""

    error = out(metadata={"example": "validation"})
    message = fields.String()
    fields_ = fields.Dict(keys=fields.String(), values=fields.String(), data_key="fields")


class MeOut(Output):
    """Who the token acts as."""

    id = out(fields.Integer)
    email = out()
    role = out(validate=validate.OneOf(["admin", "operator", "client"]))
    client_id = out(fields.Integer, allow_none=True)
    language = out(
        allow_none=True,
        validate=validate.OneOf(list(LANGUAGES)),
        metadata={"description": "null = the browser's language"},
    )
    time_format = out(validate=validate.OneOf(["hm", "decimal"]))
    notify_replies = out(fields.Boolean)
    notify_alerts = out(fields.Boolean)
    notify_new_tickets = out(fields.Boolean)


class UserOut(Output):
    """A user account."""

    id = out(fields.Integer)
    email = out()
    name = out()
    role = out(validate=validate.OneOf(["admin", "operator", "client"]))
    client_id = out(fields.Integer, allow_none=True)
    active = out(fields.Boolean)
    must_change_password = out(fields.Boolean)
    invitation_pending = out(
        fields.Boolean, metadata={"description": "invited and not yet chosen a password"}
    )


class SettingsOut(Output):
    """Business settings."""

    business_timezone = out()
    invoice_on_close = out(fields.Boolean)
    due_days = out(fields.Integer)
    invoice_number_format = out()
    credit_note_number_format = out()
    send_invoices_automatically = out(fields.Boolean)
    reminder_days_before_due = out(fields.Integer)
    overdue_reminder_days = out(fields.List, cls_or_instance=fields.Integer())
    payment_received_mail = out(fields.Boolean)


class CurrencyOut(Output):
    """A currency."""

    id = out(fields.Integer)
    code = out()
    decimals = out(fields.Integer)
    prefix = out()
    suffix = out()
    is_default = out(fields.Boolean)


class TaxRateOut(Output):
    """A tax rate."""

    id = out(fields.Integer)
    name = out()
    percent = out(metadata={"pattern": PERCENT_PATTERN, "example": "23.000"})
    country = out(allow_none=True, metadata={"example": "PL"})
    is_default = out(fields.Boolean)


class PriceOut(Output):
    """A plan's price in one currency."""

    currency = out()
    fee = money(required=True)
    rate = money(required=True)


NO_CAP = {"description": "null = no cap"}
BLOCK_ONLY = {"description": "block plans; null for the other models"}


class SellingTermsOut(Output):
    """Rollover (package) and block terms, of a plan or a subscription's snapshot of it."""

    rollover_months = out(fields.Integer, metadata={"description": "0 = no rollover"})
    rollover_cap_hours = hours(required=True, allow_none=True, metadata=NO_CAP)
    block_hours = hours(required=True, allow_none=True, metadata=BLOCK_ONLY)
    validity_months = out(fields.Integer, allow_none=True, metadata=BLOCK_ONLY)
    when_used_up = out(
        allow_none=True, validate=validate.OneOf(WhenUsedUp.values()), metadata=BLOCK_ONLY
    )


class PlanOut(SellingTermsOut):
    """A plan with its prices and its rollover or block terms."""

    id = out(fields.Integer)
    name = out()
    description = out()
    model = out(validate=validate.OneOf(BillingModel.values()))
    included_hours = hours(required=True)
    prorate = out(fields.Boolean)
    active = out(fields.Boolean)
    prices = out(fields.List, cls_or_instance=fields.Nested(PriceOut))


class SubscriptionOut(SellingTermsOut):
    """A subscription with its snapshot of the plan: prices, hours, rollover and block terms."""

    id = out(fields.Integer)
    client_id = out(fields.Integer)
    plan_id = out(fields.Integer)
    plan = out()
    model = out()
    start_date = iso_date(required=True)
    end_date = iso_date(required=True, allow_none=True)
    fee = money(required=True)
    rate = money(required=True)
    included_hours = hours(required=True)
    prorate = out(fields.Boolean)
    currency = out()


class AddressOut(Output):
    """Name, address, country and VAT number ("" where not given)."""

    legal_name = out()
    address_lines = out(fields.List, cls_or_instance=fields.String())
    postal_code = out()
    city = out()
    country = out(metadata={"description": 'ISO 3166 alpha-2, "" when not given'})
    tax_id = out()


class BusinessProfileOut(AddressOut):
    """The business profile (every field "" before an admin saves it)."""

    email = out()
    phone = out()
    bank_account_holder = out()
    iban = out()
    bic = out()
    payment_terms = out()
    invoice_footer = out()


class ClientOut(AddressOut):
    """A client with its billing profile and the subscription active today (or null)."""

    id = out(fields.Integer)
    name = out()
    email = out()
    currency = out()
    billing_name = out(metadata={"description": "legal_name, or the name when it is empty"})
    billing_emails = out(fields.List, cls_or_instance=fields.String())
    po_reference = out()
    tax_treatment = out(validate=validate.OneOf(TaxTreatment.values()))
    tax_rate_id = out(fields.Integer, allow_none=True)
    tax_exemption_reason = out()
    language = out(
        validate=validate.OneOf(list(LANGUAGES)),
        metadata={"description": "of its invoices and billing mail"},
    )
    subscription = fields.Nested(SubscriptionOut, required=True, allow_none=True)


class TicketOut(Output):
    """A ticket with its hours."""

    id = out(fields.Integer)
    number = out(metadata={"example": "708131"})
    client_id = out(fields.Integer)
    subject = out()
    department = out()
    priority = out()
    status = out(validate=validate.OneOf(TicketStatus.values()))
    time_tracking = out(fields.Boolean)
    assignee_id = out(fields.Integer, allow_none=True)
    assignee = out(allow_none=True, metadata={"description": "the assignee's name"})
    total_hours = hours(required=True)
    created_at = timestamp(required=True)
    updated_at = timestamp(required=True)


class AttachmentOut(Output):
    """A file sent with a message (download it at /attachments/{id})."""

    id = out(fields.Integer)
    filename = out()
    size = out(fields.Integer)
    content_type = out()


class MessageOut(Output):
    """A message on a ticket."""

    id = out(fields.Integer)
    ticket_id = out(fields.Integer)
    author_id = out(fields.Integer, allow_none=True)
    from_staff = out(fields.Boolean)
    internal = out(fields.Boolean)
    message = out()
    created_at = timestamp(required=True)
    attachments = out(fields.List, cls_or_instance=fields.Nested(AttachmentOut))


class ThreadMessageOut(Output):
    """A message in a ticket's thread; `author` is the staff member's name, or the client's."""

    id = out(fields.Integer)
    author = out()
    internal = out(fields.Boolean)
    body = out()
    created_at = timestamp(required=True)
    attachments = out(fields.List, cls_or_instance=fields.Nested(AttachmentOut))


class TicketDetailOut(TicketOut):
    """A ticket with its hours and the messages the caller may read (staff: internal notes
    too; a client: never)."""

    messages = out(fields.List, cls_or_instance=fields.Nested(ThreadMessageOut))


class TimeEntryOut(Output):
    """A time entry."""

    id = out(fields.Integer)
    ticket_id = out(fields.Integer)
    subscription_id = out(fields.Integer, allow_none=True)
    minutes = out(fields.Integer)
    hours = hours(required=True)
    work_date = iso_date(required=True)
    billable = out(fields.Boolean)
    note = out()
    operator_id = out(fields.Integer, allow_none=True)


class BlockOut(Output):
    """A prepaid block valid in the month: hours bought, used (up to the month's end) and left."""

    id = out(fields.Integer)
    hours = hours_string(required=True)
    used_hours = hours_string(required=True)
    left_hours = hours_string(required=True)
    valid_from = iso_date(required=True)
    valid_until = iso_date(required=True)


class CarryOverOut(Output):
    """Hours carried over from an earlier month, valid in this one."""

    from_period = period(required=True)
    hours = hours_string(required=True, metadata={"description": "left going into the month"})
    left_hours = hours_string(required=True, metadata={"description": "left after the month"})
    valid_until = iso_date(required=True)


class UsageOut(Output):
    """A client's hours in a period: included, carried over and prepaid, used, overtime.

    `remaining_hours` counts what the month has before overtime: carry-over, included hours
    and blocks."""

    period = period(required=True)
    plan = out(allow_none=True)
    model = out(allow_none=True)
    currency = out()
    included_hours = hours(required=True)
    used_hours = hours(required=True)
    remaining_hours = hours(required=True)
    overtime_hours = hours(required=True)
    overtime_amount = money(required=True)
    carried_in_hours = hours(required=True, metadata={"description": "carry-over going in"})
    carry_used_hours = hours(required=True, metadata={"description": "of it used this month"})
    carried_out_hours = hours(
        required=True, metadata={"description": "unused included hours carried to later months"}
    )
    carry_overs = out(fields.List, cls_or_instance=fields.Nested(CarryOverOut))
    blocks = out(fields.List, cls_or_instance=fields.Nested(BlockOut))
    block_left_hours = hours(required=True, metadata={"description": "left in the blocks"})


class PeriodOut(Output):
    """A month: closed, or past and waiting for its close, or the current one (open)."""

    period = period(required=True)
    status = out(validate=validate.OneOf(["open", "closed"]))
    closed_at = timestamp(required=True, allow_none=True)
    items = out(fields.Integer)
    invoices = out(fields.Integer)
    total_by_currency = out(fields.Dict, keys=fields.String(), values=money())


QUANTITY = {"pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "2.00"}


class ItemOut(Output):
    """A billable item; a one-off item has no subscription, and no period until its close."""

    id = out(fields.Integer)
    client_id = out(fields.Integer)
    subscription_id = out(fields.Integer, allow_none=True)
    period = period(required=True, allow_none=True)
    kind = out(validate=validate.OneOf(ItemKind.values()))
    description = out()
    hours = hours(required=True)
    quantity = out(metadata=QUANTITY)
    unit_rate = money(required=True)
    unit_price = money(required=True, metadata={"description": "= unit_rate"})
    amount = money(required=True)
    currency = out()
    date = iso_date(required=True, allow_none=True, metadata={"description": "a one-off's date"})
    invoice_id = out(fields.Integer, allow_none=True)


class PreviewItemOut(Output):
    """A billable item a close would create."""

    client_id = out(fields.Integer)
    subscription_id = out(fields.Integer, allow_none=True)  # none for a one-off item
    kind = out(validate=validate.OneOf(ItemKind.values()))
    description = out()
    hours = hours(required=True)
    unit_rate = money(required=True)
    amount = money(required=True)
    currency = out()


class InvoiceLineOut(Output):
    """A line of an invoice (net); on a credit note quantity and amount are negative."""

    position = out(fields.Integer)
    kind = out(validate=validate.OneOf(ItemKind.values()))
    description = out()
    hours = hours(required=True)
    quantity = out(metadata=QUANTITY)
    unit_rate = money(required=True)
    amount = money(required=True)
    tax_name = out()
    tax_percent = out(metadata={"pattern": PERCENT_PATTERN, "example": "23.000"})
    tax_category = out(metadata={"example": "S", "description": "UNCL 5305: S, Z, E, AE"})
    billable_item_id = out(fields.Integer, allow_none=True)


class InvoiceTaxOut(Output):
    """One rate's part of an invoice: the net at that rate and the tax on it."""

    name = out(metadata={"example": "VAT 23%"})
    percent = out(metadata={"pattern": PERCENT_PATTERN, "example": "23.000"})
    category = out(metadata={"example": "S"})
    exemption_reason = out()
    net = money(required=True)
    tax = money(required=True)


class PaymentOut(Output):
    """A payment received against an invoice."""

    id = out(fields.Integer)
    date = iso_date(required=True)
    amount = money(required=True)
    method = out(validate=validate.OneOf(PaymentMethod.values()))
    reference = out()


class InvoiceOut(Output):
    """An invoice (or credit note) as issued: parties, lines, taxes, payments, balance."""

    id = out(fields.Integer)
    number = out(metadata={"example": "2026/10/0031"})
    kind = out(validate=validate.OneOf(InvoiceKind.values()))
    client_id = out(fields.Integer)
    period = period(required=True, allow_none=True)
    currency = out()
    status = out(
        validate=validate.OneOf(InvoiceStatus.values()),
        metadata={"description": "a credit note is Issued"},
    )
    issue_date = iso_date(required=True)
    due_date = iso_date(required=True)
    paid_date = iso_date(required=True, allow_none=True)
    seller = out(fields.Dict, keys=fields.String(), metadata={"description": "as issued"})
    buyer = out(fields.Dict, keys=fields.String(), metadata={"description": "as issued"})
    tax_treatment = out(validate=validate.OneOf(TaxTreatment.values()))
    net_total = money(required=True)
    tax_total = money(required=True)
    total = money(required=True)
    paid_total = money(required=True)
    balance = money(required=True)
    taxes = out(fields.List, cls_or_instance=fields.Nested(InvoiceTaxOut))
    notes = out(fields.List, cls_or_instance=fields.String())
    payments = out(fields.List, cls_or_instance=fields.Nested(PaymentOut))
    credit_note_id = out(fields.Integer, allow_none=True)
    credited_invoice_id = out(fields.Integer, allow_none=True)
    lines = out(fields.List, cls_or_instance=fields.Nested(InvoiceLineOut))


class PurchaseOut(Output):
    """A prepaid block bought: its hours and the days it may be used."""

    id = out(fields.Integer)
    hours = hours_string(required=True)
    valid_from = iso_date(required=True)
    valid_until = iso_date(required=True)


class TopUpOut(Output):
    """A top-up: the block bought and the invoice that bills it."""

    purchase = fields.Nested(PurchaseOut, required=True)
    invoice = fields.Nested(InvoiceOut, required=True)


class CloseOut(Output):
    """What a close created (or, when already closed, what the month holds)."""

    period = period(required=True)
    already_closed = out(fields.Boolean)
    items = out(fields.List, cls_or_instance=fields.Nested(ItemOut))
    invoices = out(fields.List, cls_or_instance=fields.Nested(InvoiceOut))


class PreviewOut(Output):
    """What a close would create; nothing is written."""

    period = period(required=True)
    already_closed = out(fields.Boolean)
    items = out(fields.List, cls_or_instance=fields.Nested(PreviewItemOut))


class EmailOut(Output):
    """A message of the outbox, as the email logs show it."""

    id = out(fields.Integer)
    kind = out(validate=validate.OneOf(MailKind.values()))
    to = out(fields.List, cls_or_instance=fields.String())
    subject = out()
    status = out(validate=validate.OneOf(MailStatus.values()))
    attempts = out(fields.Integer)
    last_error = out(allow_none=True)
    created_at = timestamp(required=True)
    sent_at = timestamp(required=True, allow_none=True)
    message_id = out(metadata={"example": "<170000000000.1.1@portal.example>"})
    invoice_id = out(fields.Integer, allow_none=True)
    ticket_id = out(fields.Integer, allow_none=True)


class EmailDetailOut(EmailOut):
    """A message with its plain-text body (the HTML part stays out of the API's answers)."""

    body_text = out(
        allow_none=True,
        metadata={
            "description": "null for password_reset and invitation mail: their one-time "
            "links are never shown"
        },
    )


class ReleasedOut(Output):
    """How many held messages were queued."""

    released = out(fields.Integer)


def page_of(item: type[Schema]) -> type[Schema]:
    """The list envelope of API.md around a schema."""
    name = item.__name__.removesuffix("Out") + "Page"
    return Schema.from_dict(
        {
            "items": out(fields.List, cls_or_instance=fields.Nested(item)),
            "page": out(fields.Integer),
            "per_page": out(fields.Integer),
            "total": out(fields.Integer),
        },
        name=name,
    )
