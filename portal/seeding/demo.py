"""The demo shop: the business, currencies, plans, clients with billing details, staff,
tickets and time over the last months."""

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from portal.extensions import db
from portal.models import (
    DEPARTMENTS,
    Client,
    Currency,
    Plan,
    PlanPrice,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
    TimeEntry,
    User,
)
from portal.services.accounts.users import create_user
from portal.services.billing.profiles import apply_billing, checked_billing, save_business_profile
from portal.services.catalog.tax_rates import TaxRateInput, save_tax_rate
from portal.services.clients.blocks import top_up
from portal.services.clients.subscriptions import active_subscription, assign_plan
from portal.services.settings import business_today, save_settings
from portal.services.tickets.conversation import generate_ticket_number

ADMIN = ("admin@example.com", "admin-demo-2026", "Alex Admin")
OPERATORS = [
    ("anna@example.com", "operator-demo-2026", "Anna Kowalska"),
    ("ben@example.com", "operator-demo-2026", "Ben Carter"),
]
CLIENT_PASSWORD = "client-demo-2026"  # noqa: S105 - printed demo login

CURRENCIES = [("EUR", 2, "€", "", True), ("USD", 2, "$", "", False), ("PLN", 2, "", " zł", False)]
PLANS = [
    # name, model, included hours, {currency: (fee, rate)}, description
    (
        "Standard",
        "package",
        10,
        {"EUR": ("200", "60"), "USD": ("220", "65"), "PLN": ("850", "250")},
        "10 hours a month for small teams; overtime at the hourly rate.",
    ),
    (
        "Premium",
        "package",
        25,
        {"EUR": ("450", "55"), "USD": ("490", "60"), "PLN": ("1900", "230")},
        "25 hours a month with a lower overtime rate.",
    ),
    (
        "Pay as you go",
        "hourly",
        0,
        {"EUR": ("0", "75"), "USD": ("0", "80"), "PLN": ("0", "320")},
        "No monthly fee: every hour at the hourly rate.",
    ),
    (
        "Flex",
        "package",
        10,
        {"EUR": ("300", "80"), "USD": ("330", "88"), "PLN": ("1280", "340")},
        "10 hours a month; hours left unused carry over into the next month.",
    ),
    (
        "Block20",
        "block",
        0,
        {"EUR": ("1000", "70"), "USD": ("1100", "77"), "PLN": ("4250", "300")},
        "20 prepaid hours, valid 3 months from purchase; beyond them, the hourly rate.",
    ),
]
# Rollover and prepaid-block terms of the plans above (SPEC "More ways to sell hours").
PLAN_TERMS = {
    "Flex": {"rollover_months": 1},
    "Block20": {"block_minutes": 20 * 60, "validity_months": 3, "when_used_up": "overtime"},
}
# name, currency, plan (None: no plan yet), login email
CLIENTS = [
    ("ACME GmbH", "EUR", "Standard", "acme@example.com"),
    ("Globex Corp", "USD", "Premium", "globex@example.com"),
    ("Initech", "USD", "Pay as you go", "initech@example.com"),
    ("Nowak IT Sp. z o.o.", "PLN", "Standard", "nowak@example.com"),
    ("Stark Hosting", "EUR", "Premium", "stark@example.com"),
    ("Wayne Web", "USD", "Standard", "wayne@example.com"),
    ("Hooli Labs", "EUR", None, "hooli@example.com"),
    ("Umbrella Retail", "PLN", None, "umbrella@example.com"),
    # Last, so the clients above draw the same random figures as before they came.
    ("Flexwork Studio", "EUR", "Flex", "flexwork@example.com"),
    ("Delta Logistics", "EUR", "Block20", "delta@example.com"),
]
# The seller: a Polish business (VAT and IBAN numbers with valid check digits).
BUSINESS = {
    "legal_name": "Support Hours Sp. z o.o.",
    "address_lines": ["ul. Prosta 20", "lok. 4"],
    "postal_code": "00-850",
    "city": "Warszawa",
    "country": "PL",
    "tax_id": "PL5260250274",
    "email": "invoices@example.com",
    "phone": "+48 22 123 45 67",
    "bank_account_holder": "Support Hours Sp. z o.o.",
    "iban": "PL61109010140000071219812874",
    "bic": "WBKPPLPP",
    "payment_terms": "Payable by bank transfer within 14 days of the invoice date.",
    "invoice_footer": "Support Hours Sp. z o.o. · KRS 0000123456 · Share capital PLN 5,000",
}
# Billing details of some clients (the others are billed under their account name).
BILLING = {
    "ACME GmbH": {
        "legal_name": "ACME Gesellschaft mit beschränkter Haftung",
        "address_lines": ["Friedrichstraße 123"],
        "postal_code": "10117",
        "city": "Berlin",
        "country": "DE",
        "tax_id": "DE136695976",
        "billing_emails": ["ap@acme.example", "controlling@acme.example"],
        "po_reference": "PO-2026-0042",
        # An EU business buying from a Polish seller: the buyer accounts for the VAT.
        "tax_treatment": "reverse_charge",
    },
    "Nowak IT Sp. z o.o.": {
        "address_lines": ["ul. Długa 5"],
        "postal_code": "31-147",
        "city": "Kraków",
        "country": "PL",
        "billing_emails": ["faktury@nowak.example"],
        # Its invoices, credit notes and billing mail are written in Polish.
        "language": "pl",
    },
    "Globex Corp": {
        "legal_name": "Globex Corporation",
        "address_lines": ["1 Globex Way"],
        "postal_code": "97477",
        "city": "Springfield",
        "country": "US",
        "tax_treatment": "exempt",
        "tax_exemption_reason": "Services supplied outside the EU: place of supply outside "
        "Poland (art. 28b of the Polish VAT Act)",
    },
}
# The seller's rates: Polish clients (and those without a country) pay 23 % VAT.
TAX_RATES = [("VAT 23%", "23", "PL", True), ("VAT 8%", "8", "PL", False)]
SUBJECTS = [
    "Mail server rejects outgoing messages",
    "SSL certificate renewal",
    "Website slow after update",
    "Backup job failed overnight",
    "VPN access for new employee",
    "DNS change for new domain",
    "PHP upgrade on shared hosting",
    "Firewall rule for office IP",
    "Disk almost full on VPS",
    "Migrate mailboxes to new plan",
    "WordPress login loop",
    "Database restore from Tuesday",
    "Printer not reachable over network",
    "Set up monitoring alerts",
    "Cron job not running",
    "Review server security settings",
    "Add SPF and DKIM records",
    "Install staging environment",
    "Laptop cannot join Wi-Fi",
    "Move site to a new server",
]
NOTES = [
    "Investigated logs",
    "Applied fix and verified",
    "Call with client",
    "Configuration",
    "Testing after change",
    "Documentation",
    "Remote session",
]


def database_is_empty() -> bool:
    """True when no user, client or currency exists yet."""
    return not any(db.session.scalar(db.select(m.id).limit(1)) for m in (User, Client, Currency))


def demo_present() -> bool:
    """True when the demo admin exists."""
    return db.session.scalar(db.select(User.id).filter_by(email=ADMIN[0])) is not None


def print_logins(echo) -> None:
    """Print the demo logins."""
    echo("Demo logins (email / password):")
    echo(f"  admin     {ADMIN[0]} / {ADMIN[1]}")
    for email, password, _name in OPERATORS:
        echo(f"  operator  {email} / {password}")
    for _name, _cur, _plan, email in CLIENTS:
        echo(f"  client    {email} / {CLIENT_PASSWORD}")


def _month_start(day: date, months_back: int) -> date:
    """First day of the month `months_back` months before `day`'s month."""
    year, month = day.year, day.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def seed(seed_value: int = 2026) -> None:
    """Create the demo shop; deterministic for a given seed and day."""
    rng = random.Random(seed_value)
    save_settings({"business_timezone": "Europe/Warsaw"})
    today = business_today()

    currencies = {}
    for code, decimals, prefix, suffix, default in CURRENCIES:
        currencies[code] = Currency(
            code=code, decimals=decimals, prefix=prefix, suffix=suffix, is_default=default
        )
        db.session.add(currencies[code])
    plans = {}
    for name, model, hours, prices, description in PLANS:
        plan = Plan(
            name=name,
            model=model,
            included_minutes=hours * 60,
            description=description,
            **PLAN_TERMS.get(name, {}),
        )
        plan.prices = [
            PlanPrice(currency=currencies[c], fee=Decimal(fee), rate=Decimal(rate))
            for c, (fee, rate) in prices.items()
        ]
        plans[name] = plan
        db.session.add(plan)
    db.session.flush()

    admin = create_user(ADMIN[0], ADMIN[1], "admin", name=ADMIN[2])
    operators = [create_user(e, p, "operator", name=n) for e, p, n in OPERATORS]
    save_business_profile(BUSINESS, admin)
    for name, percent, country, default in TAX_RATES:
        save_tax_rate(None, TaxRateInput(name, percent, country, default), admin)

    first_day = _month_start(today, 3)
    for index, (name, code, plan_name, email) in enumerate(CLIENTS):
        client = Client(name=name, email=email.replace("@", "-billing@"), currency=currencies[code])
        if name in BILLING:
            apply_billing(client, checked_billing(BILLING[name]))
        db.session.add(client)
        db.session.flush()
        create_user(email, CLIENT_PASSWORD, "client", name=f"{name} (client)", client_id=client.id)
        if plan_name:
            # Some clients joined mid-month, so their first month is prorated.
            start = first_day + timedelta(days=(index * 5) % 20)
            subscription = assign_plan(client, plans[plan_name], start, actor=admin)
            if subscription.model == "block":
                # The first block came with the plan; a second one, bought last month,
                # shows a top-up on its own invoice and two blocks side by side.
                top_up(subscription, _month_start(today, 1), actor=admin)
        _seed_tickets(rng, client, operators, first_day, today)


def _seed_tickets(rng, client, operators, first_day, today) -> None:
    """Five tickets per client with a thread and, where a plan covers it, logged time."""
    span = (today - first_day).days
    for n in range(5):
        opened = first_day + timedelta(days=rng.randrange(max(span, 1)))
        created = datetime.combine(opened, time(9 + rng.randrange(8)), UTC)
        ticket = Ticket(
            number=generate_ticket_number(rng),
            client_id=client.id,
            subject=rng.choice(SUBJECTS),
            department=rng.choice(DEPARTMENTS),
            priority=rng.choice(list(Priority)).value,
            status=rng.choice(list(TicketStatus)).value,
            time_tracking=n != 4 or rng.random() < 0.5,
            created_at=created,
            updated_at=created,
        )
        db.session.add(ticket)
        db.session.flush()
        operator = rng.choice(operators)
        ticket.messages.append(
            TicketMessage(
                body=f"Hello, {ticket.subject.lower()}. Could you please have a look?",
                from_staff=False,
                created_at=created,
            )
        )
        ticket.messages.append(
            TicketMessage(
                author_id=operator.id,
                from_staff=True,
                created_at=created + timedelta(hours=2),
                body="Thanks for reporting this. We are on it and will update you here.",
            )
        )
        # No further draws from rng: the demo's figures stay what they were.
        ticket.assignee_id = None if n == 0 else operator.id
        if n == 1:
            ticket.messages.append(
                TicketMessage(
                    author_id=operator.id,
                    from_staff=True,
                    internal=True,
                    created_at=created + timedelta(hours=3),
                    body="Checked the monitoring first; nothing to tell the client yet.",
                )
            )
        if not ticket.time_tracking:
            continue
        for _ in range(rng.randrange(1, 4)):
            work_date = min(opened + timedelta(days=rng.randrange(0, 10)), today)
            subscription = active_subscription(client.id, work_date)
            billable = subscription is not None and rng.random() < 0.85
            if subscription is None:
                continue
            db.session.add(
                TimeEntry(
                    ticket_id=ticket.id,
                    subscription_id=subscription.id,
                    operator_id=operator.id,
                    minutes=15 * rng.randrange(1, 17),
                    work_date=work_date,
                    billable=billable,
                    note=rng.choice(NOTES),
                )
            )
        ticket.updated_at = created + timedelta(hours=2)
