"""The domain model of SPEC.md, one module per aggregate."""

from portal.models.api_token import ApiToken
from portal.models.audit import AuditLogEntry
from portal.models.billing import (
    BillableItem,
    BillingPeriod,
    Counter,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    InvoiceTax,
    ItemKind,
    Payment,
    PaymentMethod,
    UsageRecord,
)
from portal.models.business import BusinessProfile
from portal.models.client import Client, TaxTreatment
from portal.models.currency import Currency
from portal.models.hour_pool import HourPool, PoolKind, PoolUse
from portal.models.outbox import MailKind, MailStatus, OutboxMessage
from portal.models.plan import BillingModel, Plan, PlanPrice, WhenUsedUp
from portal.models.setting import Setting
from portal.models.subscription import Subscription
from portal.models.tax_rate import TaxRate
from portal.models.ticket import (
    DEPARTMENTS,
    Attachment,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from portal.models.time_entry import TimeEntry
from portal.models.user import Role, User

__all__ = [
    "DEPARTMENTS",
    "ApiToken",
    "AuditLogEntry",
    "BillableItem",
    "BillingModel",
    "BillingPeriod",
    "BusinessProfile",
    "Client",
    "Counter",
    "Currency",
    "HourPool",
    "Invoice",
    "InvoiceKind",
    "InvoiceLine",
    "InvoiceStatus",
    "InvoiceTax",
    "ItemKind",
    "MailKind",
    "MailStatus",
    "OutboxMessage",
    "Payment",
    "PaymentMethod",
    "Plan",
    "PlanPrice",
    "PoolKind",
    "PoolUse",
    "Priority",
    "Role",
    "Setting",
    "Subscription",
    "TaxRate",
    "TaxTreatment",
    "Attachment",
    "Ticket",
    "TicketMessage",
    "TicketStatus",
    "TimeEntry",
    "UsageRecord",
    "User",
    "WhenUsedUp",
]
