"""A load generator: many clients, tickets and time entries in one past month, fast and repeatable.

Rows go in with SQLAlchemy Core `insert()` over lists of dicts, in chunks, so a million
time entries never sit in memory at once and no ORM object is built per row. The same
seed always makes the same rows (random.Random(seed)); the seed is part of the user emails
and plan names, so loads of different seeds can share a database.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select

from portal.extensions import db
from portal.models import (
    Client,
    Currency,
    Plan,
    PlanPrice,
    Subscription,
    Ticket,
    TicketMessage,
    TimeEntry,
    User,
)
from portal.models.ticket import DEPARTMENTS, Priority, TicketStatus
from portal.services.accounts.users import hash_password
from portal.services.billing.periods import latest_closed_period, parse_period, period_bounds
from portal.services.bulk import bulk_insert, insert_values, reserve_ids
from portal.services.clients.subscriptions import subscription_terms
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today

PASSWORD = "load-test-password-2026"  # noqa: S105 - a documented benchmark login
BIG_CLIENT_NAME = "Load client 00001"
TICKET_NUMBERS = 900_000  # six digits: 100000-999999
PACKAGE_SHARE = 0.7  # the rest of the clients are on the hourly plan
NON_BILLABLE_SHARE = 0.1
UNTRACKED_TICKET_SHARE = 0.02
START_SPREAD_DAYS = 365  # subscriptions start 1 to this many days before the period
# The time_entry columns both loads write, in the order their rows give them.
ENTRY_COLUMNS = (
    "ticket_id",
    "subscription_id",
    "operator_id",
    "minutes",
    "work_date",
    "billable",
    "note",
    "created_at",
    "updated_at",
)


class LoadError(ValueError):
    """The load cannot be generated as asked; the message says why."""


def check_past_period(period: str) -> str:
    """A "YYYY-MM" month that has ended, with no closed month among the load's; else LoadError."""
    try:
        period = parse_period(period)
    except ValidationFailed as exc:
        raise LoadError(exc.fields["period"]) from None
    if period_bounds(period)[1] >= business_today():
        raise LoadError(f"{period} has not ended yet: give a past month.")
    # The rows go in without the services: refuse here what assign_plan would refuse.
    latest = latest_closed_period()
    earliest_start = period_bounds(period)[0] - timedelta(days=START_SPREAD_DAYS)
    if latest is not None and earliest_start <= period_bounds(latest)[1]:
        raise LoadError(
            f"{latest} is closed: a load's subscriptions start up to {START_SPREAD_DAYS} days "
            f"before {period}, so they would cover a closed month. Load into a database "
            "without closed months, or give a later month."
        )
    return period


def load_emails(seed: int) -> dict[str, str]:
    """The logins a load of this seed creates, by role."""
    return {role: f"load{seed}-{role}@example.com" for role in ("admin", "operator", "client")}


# Words for the generated first messages: each topic is in 1 ticket of len(TOPICS), and each
# ticket has a word of its own (host000042), so searches find many tickets or exactly one.
TOPICS = (
    "backup",
    "mailbox",
    "certificate",
    "firewall",
    "database",
    "wordpress",
    "invoice",
    "printer",
    "vpn",
    "nameserver",
    "password",
    "migration",
    "cronjob",
    "php",
    "redirect",
    "quota",
    "malware",
    "ssh",
    "cache",
    "newsletter",
)


def _message_body(n: int) -> str:
    """The first message of the n-th generated ticket."""
    return f"Please help with the {TOPICS[n % len(TOPICS)]} on host{n:06d} (flask seed-load)."


def _check_sizes(clients: int, tickets: int, entries: int, big_client_tickets: int) -> None:
    """Refuse sizes that cannot make a consistent load."""
    if clients < 1:
        raise LoadError("--clients must be at least 1.")
    if tickets < 0 or entries < 0 or big_client_tickets < 0:
        raise LoadError("--tickets, --entries and --big-client-tickets cannot be negative.")
    if entries and not tickets:
        raise LoadError("Time entries need tickets: give --tickets of at least 1.")
    if big_client_tickets > tickets:
        raise LoadError("--big-client-tickets cannot exceed --tickets.")
    if clients == 1 and big_client_tickets not in (0, tickets):
        raise LoadError("With one client, every ticket is the big client's.")


def _db_value(column, value):
    """A value as the driver receives it for this column (types applied once, not per row)."""
    dialect = db.session.get_bind().dialect
    process = column.type._cached_bind_processor(dialect)
    return process(value) if process else value


def _ids_in_order(column, where) -> list[int]:
    """Ids of the rows just inserted, in insertion (id) order."""
    return list(db.session.scalars(select(column).where(where).order_by(column)))


def _currency() -> int:
    """The id of EUR, created (as the default when there is none) if missing."""
    currency_id = db.session.scalar(select(Currency.id).filter_by(code="EUR"))
    if currency_id is None:
        has_default = db.session.scalar(select(Currency.id).filter_by(is_default=True))
        row = Currency(code="EUR", decimals=2, prefix="€", is_default=has_default is None)
        db.session.add(row)
        db.session.flush()
        currency_id = row.id
    return currency_id


def _plans(seed: int, currency_id: int) -> dict[str, Plan]:
    """A package plan (10 h, 200.00 + 60.00/h) and an hourly plan (80.00/h) for this seed."""
    package = Plan(name=f"Load package {seed}", model="package", included_minutes=600)
    package.prices = [PlanPrice(currency_id=currency_id, fee=Decimal(200), rate=Decimal(60))]
    hourly = Plan(name=f"Load hourly {seed}", model="hourly", included_minutes=0)
    hourly.prices = [PlanPrice(currency_id=currency_id, fee=Decimal(0), rate=Decimal(80))]
    db.session.add_all([package, hourly])
    db.session.flush()
    return {"package": package, "hourly": hourly}


def _users(seed: int, big_client_id: int) -> int:
    """An admin, the operator who logs the time, and a user of the big client; the operator's id.

    One password hash (argon2 is slow on purpose) serves all three.
    """
    password_hash = hash_password(PASSWORD)
    emails = load_emails(seed)
    db.session.execute(
        insert(User),
        [
            {
                "email": emails[role],
                "name": f"Load {role} {seed}",
                "password_hash": password_hash,
                "role": role,
                "client_id": big_client_id if role == "client" else None,
            }
            for role in ("admin", "operator", "client")
        ],
    )
    return db.session.scalar(select(User.id).filter_by(email=emails["operator"]))


def _ticket_numbers(rng: random.Random, count: int) -> list[str]:
    """`count` unused six-digit ticket numbers, drawn from the seed's generator."""
    taken = set(db.session.scalars(select(Ticket.number)))
    if count > TICKET_NUMBERS - len(taken):
        raise LoadError(
            f"Only {TICKET_NUMBERS - len(taken):,} six-digit ticket numbers are free; "
            f"{count:,} tickets were asked for."
        )
    drawn = rng.sample(range(100_000, 1_000_000), count + len(taken))
    return [number for number in map(str, drawn) if number not in taken][:count]


def seed_load(
    *,
    clients: int,
    tickets: int,
    entries: int,
    period: str,
    seed: int = 1,
    big_client_tickets: int = 0,
) -> dict:
    """Fill the database with a load: rows per table and the seconds it took (caller commits).

    N clients with one subscription each (package or hourly, started before the period),
    M tickets (the first client, "Load client 00001", gets `big_client_tickets` of them)
    and E time entries in `period`, in quarter hours, mostly billable, some not, a few on
    untracked tickets. Refuses a period that has not ended, one whose subscriptions would
    cover a closed month, and a seed already loaded.
    """
    started = time.perf_counter()
    period = check_past_period(period)
    _check_sizes(clients, tickets, entries, big_client_tickets)
    emails = load_emails(seed)
    if db.session.scalar(select(User.id).where(User.email.in_(emails.values()))) is not None:
        raise LoadError(f"The load of seed {seed} is already in this database.")
    rng = random.Random(seed)
    first, last = period_bounds(period)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    stamp = datetime(first.year, first.month, first.day, 8, 0, tzinfo=UTC)
    counts: dict[str, int] = {}

    currency_id = _currency()
    plans = _plans(seed, currency_id)
    counts["plan"] = 2

    # Clients: emails carry the seed, so the new rows are found again by it.
    marker = f"load{seed}-client"
    counts["client"] = bulk_insert(
        Client,
        (
            {
                "name": f"Load client {n:05d}",
                "email": f"{marker}{n:05d}@example.com",
                "currency_id": currency_id,
                "created_at": stamp - timedelta(days=400),
            }
            for n in range(1, clients + 1)
        ),
    )
    client_ids = _ids_in_order(Client.id, Client.email.like(f"{marker}%"))

    # One open-ended subscription per client, started 1-365 days before the period.
    models = ["package" if rng.random() < PACKAGE_SHARE else "hourly" for _ in client_ids]
    sub_rows = []
    for client_id, model in zip(client_ids, models, strict=True):
        plan = plans[model]
        price = plan.prices[0]
        sub_rows.append(
            {
                **subscription_terms(plan, price),
                "client_id": client_id,
                "currency_id": currency_id,
                "start_date": first - timedelta(days=rng.randint(1, START_SPREAD_DAYS)),
                "end_date": None,
                "created_at": stamp - timedelta(days=400),
            }
        )
    counts["subscription"] = bulk_insert(Subscription, sub_rows)
    sub_of_client = dict(
        db.session.execute(
            select(Subscription.client_id, Subscription.id).where(
                Subscription.plan_id.in_([p.id for p in plans.values()])
            )
        ).all()
    )
    counts["user_account"] = 3
    operator_id = _users(seed, client_ids[0])

    # Tickets: the big client's first, then the rest spread over the other clients.
    others = client_ids[1:] or client_ids
    owners = [client_ids[0]] * big_client_tickets + [
        rng.choice(others) for _ in range(tickets - big_client_tickets)
    ]
    numbers = _ticket_numbers(rng, tickets)
    tracked = [rng.random() >= UNTRACKED_TICKET_SHARE for _ in range(tickets)]
    columns = Ticket.__table__.c
    ticket_stamps = [
        (
            _db_value(columns.created_at, stamp - timedelta(minutes=m)),
            _db_value(columns.updated_at, stamp + timedelta(minutes=m)),
        )
        for m in range(1440)
    ]
    yes, no = _db_value(columns.time_tracking, True), _db_value(columns.time_tracking, False)
    counts["ticket"] = insert_values(
        Ticket,
        (
            "number",
            "client_id",
            "subject",
            "department",
            "priority",
            "status",
            "time_tracking",
            "created_at",
            "updated_at",
        ),
        (
            (
                numbers[n],
                owners[n],
                f"Load ticket {n + 1}",
                DEPARTMENTS[n % len(DEPARTMENTS)],
                Priority.MEDIUM.value,
                TicketStatus.ANSWERED.value,
                yes if tracked[n] else no,
                *ticket_stamps[n % 1440],
            )
            for n in range(tickets)
        ),
    )
    ticket_ids = dict(db.session.execute(select(Ticket.number, Ticket.id)).all())
    ticket_id = [ticket_ids[number] for number in numbers]
    staff = _db_value(TicketMessage.__table__.c.from_staff, False)
    counts["ticket_message"] = insert_values(
        TicketMessage,
        ("ticket_id", "from_staff", "body", "created_at"),
        (
            (
                ticket_id[n],
                staff,
                _message_body(n),
                ticket_stamps[n % 1440][0],
            )
            for n in range(tickets)
        ),
    )

    columns = TimeEntry.__table__.c
    work_dates = [_db_value(columns.work_date, day) for day in days]
    created = _db_value(columns.created_at, stamp)
    billable = _db_value(columns.billable, True), _db_value(columns.billable, False)
    entry_subscription = [sub_of_client[owner] for owner in owners]

    def entry_rows():
        """The time entries, generated one by one as driver-ready tuples."""
        for _ in range(entries):
            n = rng.randrange(tickets)
            yield (
                ticket_id[n],
                entry_subscription[n],
                operator_id,
                15 * (1 + rng.randrange(16)),
                work_dates[rng.randrange(len(work_dates))],
                billable[rng.random() < NON_BILLABLE_SHARE],
                "",
                created,
                created,
            )

    counts["time_entry"] = insert_values(
        TimeEntry,
        ENTRY_COLUMNS,
        entry_rows(),
    )
    db.session.flush()
    return {
        "period": period,
        "seed": seed,
        "rows": counts,
        "big_client_id": client_ids[0],
        "big_client_tickets": big_client_tickets,
        "logins": {**emails, "password": PASSWORD},
        "seconds": round(time.perf_counter() - started, 3),
    }


# What the second floor added, on top of a load (seed_history): closed months with their
# invoices and mail, payments, credit notes, prepaid blocks and rollover, ticket mail and
# attachments. Shares are of the load's clients (blocks, rollover) and tickets.
BLOCK_EVERY = 10  # every 10th client (from the 4th) moves to a prepaid-block plan
ROLLOVER_EVERY = 10  # every 10th client (from the 7th) to a rollover package
ATTACHMENT_EVERY = 5  # the first message of every 5th ticket carries a small file
THREAD_MESSAGES = 40  # one ticket of the big client: a long thread, a file on each message
ATTACHMENT_BYTES = b"%PDF-1.4 load attachment\n" + b"0" * 1000


def _history_months(period: str, months: int) -> list[str]:
    """The `months` months before `period`, oldest first."""
    out, first = [], period_bounds(period)[0]
    for _ in range(months):
        first = (first - timedelta(days=1)).replace(day=1)
        out.append(f"{first.year:04d}-{first.month:02d}")
    return out[::-1]


def _pool_plans(seed: int, currency_id: int) -> dict[str, Plan]:
    """A prepaid-block plan (10 h for 900.00, 3 months) and a rollover package for this seed."""
    block = Plan(name=f"Load block {seed}", model="block", block_minutes=600, validity_months=3)
    block.prices = [PlanPrice(currency_id=currency_id, fee=Decimal(900), rate=Decimal(70))]
    rolling = Plan(
        name=f"Load rollover {seed}",
        model="package",
        included_minutes=600,
        rollover_months=2,
        rollover_cap_minutes=600,
    )
    rolling.prices = [PlanPrice(currency_id=currency_id, fee=Decimal(200), rate=Decimal(60))]
    db.session.add_all([block, rolling])
    db.session.flush()
    return {"block": block, "rollover": rolling}


def _move_to_pool_plans(summary: dict, start, seed: int) -> dict[str, list[int]]:
    """Every BLOCK_EVERY-th and ROLLOVER_EVERY-th client of the load (never the big one) onto
    the pool plans from `start`: one UPDATE per plan. Their subscription ids by plan."""
    from sqlalchemy import update

    from portal.models.client import Client as ClientRow

    plans = _pool_plans(seed, _currency())
    client_ids = _ids_in_order(ClientRow.id, ClientRow.email.like(f"load{seed}-client%"))
    chosen = {
        "block": client_ids[3::BLOCK_EVERY],
        "rollover": client_ids[6::ROLLOVER_EVERY],
    }
    moved = {}
    for name, plan in plans.items():
        ids = [c for c in chosen[name] if c != summary["big_client_id"]]
        price = plan.prices[0]
        for at in range(0, len(ids), 5000):
            db.session.execute(
                update(Subscription)
                .where(Subscription.client_id.in_(ids[at : at + 5000]))
                .values({**subscription_terms(plan, price), "start_date": start, "prorate": True})
            )
        moved[name] = list(
            db.session.scalars(
                select(Subscription.id)
                .where(Subscription.plan_id == plan.id)
                .order_by(Subscription.id)
            )
        )
    return moved


def _history_entries(rng: random.Random, period: str, count: int, operator_id: int, seed: int):
    """`count` entries in `period` on tracked tickets whose subscription is active then."""
    first, last = period_bounds(period)
    rows = db.session.execute(
        select(Ticket.id, Subscription.id)
        .join(Subscription, Subscription.client_id == Ticket.client_id)
        .where(
            Ticket.time_tracking.is_(True),
            Ticket.subject.like("Load ticket %"),
            Subscription.start_date <= first,
            Subscription.end_date.is_(None),
        )
        .order_by(Ticket.id)
    ).all()
    if not rows or count <= 0:
        return 0
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    columns = TimeEntry.__table__.c
    work_dates = [_db_value(columns.work_date, day) for day in days]
    stamp = _db_value(columns.created_at, datetime(last.year, last.month, last.day, tzinfo=UTC))
    billable = _db_value(columns.billable, True), _db_value(columns.billable, False)
    return insert_values(
        TimeEntry,
        ENTRY_COLUMNS,
        (
            (
                *rows[rng.randrange(len(rows))],
                operator_id,
                15 * (1 + rng.randrange(16)),
                work_dates[rng.randrange(len(work_dates))],
                billable[rng.random() < NON_BILLABLE_SHARE],
                "",
                stamp,
                stamp,
            )
            for _ in range(count)
        ),
    )


def _pay_invoices(every: int) -> int:
    """Every `every`-th unpaid invoice paid in full by bank transfer on its due date: one
    INSERT ... SELECT of the payments and one UPDATE of the invoices."""
    from sqlalchemy import literal, update

    from portal.models import Invoice, Payment

    chosen = (
        select(Invoice.id)
        .where(Invoice.kind == "invoice", Invoice.status == "Unpaid", Invoice.id % every == 0)
        .scalar_subquery()
    )
    now = datetime.now(UTC)
    before = db.session.scalar(select(func.count()).select_from(Payment))
    db.session.execute(
        insert(Payment).from_select(
            ["invoice_id", "date", "amount", "method", "reference", "created_at"],
            select(
                Invoice.id,
                Invoice.due_date,
                Invoice.total,
                literal("bank_transfer"),
                Invoice.number,
                literal(now, Payment.created_at.type),
            ).where(Invoice.id.in_(chosen)),
        )
    )
    db.session.execute(
        update(Invoice)
        .where(Invoice.id.in_(chosen))
        .values(status="Paid", paid_total=Invoice.total, paid_date=Invoice.due_date)
    )
    # rowcount of INSERT ... SELECT is not reported by every driver: count instead.
    return db.session.scalar(select(func.count()).select_from(Payment)) - before


def _ticket_mail(seed: int, big_client_id: int) -> int:
    """A sent reply mail for every other ticket and every ticket of the big client."""
    from portal.models import OutboxMessage

    rows = db.session.execute(
        select(Ticket.id, Ticket.number, Ticket.client_id, Client.email, Ticket.updated_at)
        .join(Client, Client.id == Ticket.client_id)
        .where(Ticket.subject.like("Load ticket %"))
        .order_by(Ticket.id)
    ).all()
    return bulk_insert(
        OutboxMessage,
        (
            {
                "event_key": f"load{seed}:ticket_reply:{ticket_id}",
                "kind": "ticket_reply",
                "status": "sent",
                "message_id": f"<load{seed}.reply.{ticket_id}@example.com>",
                "sender": "support@example.com",
                "recipients": [email],
                "subject": f"[#{number}] New reply to your ticket",
                "body_text": f"Support replied to ticket #{number}.",
                "body_html": f"<p>Support replied to ticket #{number}.</p>",
                "attempts": 1,
                "next_attempt_at": stamp,
                "created_at": stamp,
                "sent_at": stamp,
                "client_id": client_id,
                "ticket_id": ticket_id,
            }
            for n, (ticket_id, number, client_id, email, stamp) in enumerate(rows)
            if n % 2 == 0 or client_id == big_client_id
        ),
    )


def _attachments(big_client_id: int, operator_id: int) -> tuple[int, int]:
    """A small file on the first message of every ATTACHMENT_EVERY-th ticket, and a thread
    of THREAD_MESSAGES messages with a file each on the big client's first ticket.
    Returns (attachments written, the thread's ticket id)."""
    from portal.models import Attachment

    firsts = db.session.execute(
        select(TicketMessage.id, TicketMessage.created_at)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(Ticket.subject.like("Load ticket %"), Ticket.id % ATTACHMENT_EVERY == 0)
        .order_by(TicketMessage.id)
    ).all()
    thread = db.session.scalar(select(func.min(Ticket.id)).where(Ticket.client_id == big_client_id))
    start = db.session.scalar(select(Ticket.created_at).where(Ticket.id == thread))
    message_ids = reserve_ids(TicketMessage, THREAD_MESSAGES)
    bulk_insert(
        TicketMessage,
        (
            {
                "id": message_id,
                "ticket_id": thread,
                "author_id": operator_id if n % 2 else None,
                "from_staff": bool(n % 2),
                "internal": n % 10 == 9,
                "body": f"Message {n + 2} of the thread (flask seed-load).",
                "created_at": start + timedelta(minutes=10 * (n + 1)),
            }
            for n, message_id in enumerate(message_ids)
        ),
    )
    files = [(message_id, stamp) for message_id, stamp in firsts]
    files += [(message_id, start) for message_id in message_ids]
    count = bulk_insert(
        Attachment,
        (
            {
                "message_id": message_id,
                "filename": f"screenshot-{message_id}.pdf",
                "content_type": "application/pdf",
                "size": len(ATTACHMENT_BYTES),
                "data": ATTACHMENT_BYTES,
                "created_at": stamp,
            }
            for message_id, stamp in files
        ),
    )
    return count, thread


def seed_history(
    summary: dict,
    *,
    months: int = 2,
    entries_per_month: int = 0,
    pay_every: int = 2,
    credit_notes: int = 50,
) -> dict:
    """What the second floor added, on top of `summary` (seed_load's, same transaction; the
    caller commits): the `months` months before its period closed by the real close, with
    `entries_per_month` entries each, so every client has invoices and their mail; a tenth
    of the clients on prepaid blocks (each bought one through the real purchase, invoiced
    and mailed) and a tenth on a rollover package; every `pay_every`-th invoice paid;
    `credit_notes` invoices cancelled by the real cancel (a credit note each); a sent reply
    mail for half the tickets; small files on a fifth of the tickets and a long thread with
    files on the big client's first ticket; a login for a block client. The load's period
    stays open. Returns rows per table and ids to address pages by.
    """
    from portal.models import Invoice, OutboxMessage, Payment
    from portal.models.hour_pool import HourPool, PoolUse
    from portal.services.billing.close import close_period
    from portal.services.billing.invoices import cancel_invoice
    from portal.services.clients.blocks import buy_block

    started = time.perf_counter()
    seed = summary["seed"]
    history = _history_months(summary["period"], months)
    first = period_bounds(history[0])[0]
    emails = load_emails(seed)
    operator_id = db.session.scalar(select(User.id).filter_by(email=emails["operator"]))
    admin = db.session.scalar(select(User).filter_by(email=emails["admin"]))
    rng = random.Random(seed + 1)
    moved = _move_to_pool_plans(summary, first, seed)
    for subscription in db.session.scalars(
        select(Subscription).where(Subscription.id.in_(moved["block"]))
    ):
        buy_block(subscription, first, admin)
    entries = 0
    for month in history:
        entries += _history_entries(rng, month, entries_per_month, operator_id, seed)
        close_period(month, admin)
    paid = _pay_invoices(pay_every)
    for invoice in db.session.scalars(
        select(Invoice)
        .where(Invoice.kind == "invoice", Invoice.status == "Unpaid")
        .order_by(Invoice.id)
        .limit(credit_notes)
    ):
        cancel_invoice(invoice, admin)
    _ticket_mail(seed, summary["big_client_id"])
    attachments, thread = _attachments(summary["big_client_id"], operator_id)
    block_client_id = db.session.scalar(
        select(Subscription.client_id).where(Subscription.id == moved["block"][0])
    )
    block_email = f"load{seed}-blocks@example.com"
    db.session.execute(
        insert(User),
        [
            {
                "email": block_email,
                "name": f"Load blocks {seed}",
                "password_hash": admin.password_hash,
                "role": "client",
                "client_id": block_client_id,
            }
        ],
    )
    db.session.flush()

    def rows(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    big_invoice = db.session.scalar(
        select(func.max(Invoice.id)).where(Invoice.client_id == summary["big_client_id"])
    )
    return {
        "months": history,
        "rows": {
            "time_entry (history)": entries,
            "invoice": rows(Invoice),
            "payment": rows(Payment),
            "outbox_message": rows(OutboxMessage),
            "hour_pool": rows(HourPool),
            "hour_pool_use": rows(PoolUse),
            "attachment": attachments,
        },
        "paid": paid,
        "block_client_id": block_client_id,
        "block_login": block_email,
        "thread_ticket_id": thread,
        "big_invoice_id": big_invoice,
        "seconds": round(time.perf_counter() - started, 3),
    }
