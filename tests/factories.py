"""Small row factories for tests: each makes a valid row with sensible defaults and commits."""

import itertools
from datetime import date
from decimal import Decimal

from portal.extensions import db
from portal.models import (
    Client,
    Currency,
    OutboxMessage,
    Plan,
    PlanPrice,
    TaxRate,
    Ticket,
    TicketMessage,
)
from portal.models.types import utcnow
from portal.services.accounts.tokens import create_api_token
from portal.services.accounts.users import create_user
from portal.services.clients.subscriptions import assign_plan
from portal.services.tickets.conversation import generate_ticket_number

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def currency(code="EUR", decimals=2, is_default=False, **kw) -> Currency:
    """A currency, or the existing one with that code."""
    existing = db.session.scalar(db.select(Currency).filter_by(code=code))
    if existing:
        return existing
    row = Currency(code=code, decimals=decimals, is_default=is_default, **kw)
    db.session.add(row)
    db.session.commit()
    return row


def tax_rate(name="VAT 23%", percent="23", country=None, is_default=False) -> TaxRate:
    """A tax rate, or the existing one with that name."""
    existing = db.session.scalar(db.select(TaxRate).filter_by(name=name))
    if existing:
        return existing
    row = TaxRate(name=name, percent=Decimal(percent), country=country, is_default=is_default)
    db.session.add(row)
    db.session.commit()
    return row


def client(name=None, currency_code="EUR", **kw) -> Client:
    """A client account billed in `currency_code`."""
    n = next(_seq)
    row = Client(
        name=name or f"Client {n}",
        email=f"billing{n}@example.com",
        currency=currency(currency_code),
        **kw,
    )
    db.session.add(row)
    db.session.commit()
    return row


def user(role="operator", email=None, client=None, password=PASSWORD, name=None):
    """A user; client users get a fresh client account unless one is given."""
    if role == "client" and client is None:
        client = globals()["client"]()
    row = create_user(
        email or f"{role}{next(_seq)}@example.com",
        password,
        role,
        name=name,
        client_id=client.id if client else None,
    )
    db.session.commit()
    return row


def api_token(user_row) -> str:
    """A plain API token for the user."""
    _row, plain = create_api_token(user_row, "test")
    db.session.commit()
    return plain


def plan(
    name=None, model="package", hours=10, prices=None, prorate=True, active=True, **terms
) -> Plan:
    """A plan; prices maps currency code to (fee, rate), default EUR 200/60; `terms` sets
    rollover (rollover_months, rollover_cap_minutes) or block columns (block_minutes,
    validity_months, when_used_up)."""
    prices = prices or {"EUR": ("200.00", "60.00")}
    row = Plan(
        name=name or f"Plan {next(_seq)}",
        model=model,
        included_minutes=hours * 60 if model == "package" else 0,
        prorate=prorate,
        active=active,
        **terms,
    )
    row.prices = [
        PlanPrice(currency=currency(code), fee=Decimal(fee), rate=Decimal(rate))
        for code, (fee, rate) in prices.items()
    ]
    db.session.add(row)
    db.session.commit()
    return row


def block_plan(name="Block20", minutes=1200, months=3, when_used_up="overtime", prices=None):
    """A prepaid-block plan: `minutes` a block, valid `months`; prices default to SPEC's
    Block20 (EUR 1,000.00 a block, 70.00 an hour beyond the blocks)."""
    return plan(
        name,
        model="block",
        prices=prices or {"EUR": ("1000.00", "70.00")},
        block_minutes=minutes,
        validity_months=months,
        when_used_up=when_used_up,
    )


def subscription(client_row, plan_row, start=date(2026, 1, 1)):
    """Assign a plan to a client from `start`."""
    row = assign_plan(client_row, plan_row, start)
    db.session.commit()
    return row


def ticket(client_row, subject="Printer on fire", tracking=True, department="Support", **kw):
    """A ticket with one message from the client."""
    row = Ticket(
        number=generate_ticket_number(),
        client_id=client_row.id,
        subject=subject,
        department=department,
        time_tracking=tracking,
        **kw,
    )
    row.messages.append(TicketMessage(body="Please help.", from_staff=False))
    db.session.add(row)
    db.session.commit()
    return row


def update(row, **values):
    """Change a committed row from the test and commit."""
    for key, value in values.items():
        setattr(row, key, value)
    db.session.commit()
    return row


def outbox_message(client_row=None, kind="ticket_reply", status="sent", **kw) -> OutboxMessage:
    """A message of the outbox (as a sender left it), for the email logs: to `client_row`'s
    account when given; `status` "failed" comes with an error and five attempts."""
    n = next(_seq)
    failed = status == "failed"
    values = {
        "event_key": f"test:{kind}:{n}",
        "kind": kind,
        "status": status,
        "message_id": f"<test.{n}@portal.example>",
        "sender": "Support Hours <support@portal.example>",
        "recipients": [f"person{n}@example.com"],
        "subject": f"Message {n}",
        "body_text": f"Hello,\n\nthis is message {n}.",
        "body_html": f"<p>Hello,</p><p>this is message {n}.</p>",
        "attempts": 6 if failed else (1 if status == "sent" else 0),
        "last_error": "550 5.1.1 No such user" if failed else None,
        "next_attempt_at": utcnow(),
        "created_at": utcnow(),
        "sent_at": utcnow() if status == "sent" else None,
        "client_id": client_row.id if client_row is not None else None,
    }
    row = OutboxMessage(**(values | kw))
    db.session.add(row)
    db.session.commit()
    return row
