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

from sqlalchemy import insert, select

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
from portal.services.bulk import bulk_insert, insert_values
from portal.services.errors import ValidationFailed
from portal.services.settings import business_today

PASSWORD = "load-test-password-2026"  # noqa: S105 - a documented benchmark login
BIG_CLIENT_NAME = "Load client 00001"
TICKET_NUMBERS = 900_000  # six digits: 100000-999999
PACKAGE_SHARE = 0.7  # the rest of the clients are on the hourly plan
NON_BILLABLE_SHARE = 0.1
UNTRACKED_TICKET_SHARE = 0.02
START_SPREAD_DAYS = 365  # subscriptions start 1 to this many days before the period


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
                "client_id": client_id,
                "plan_id": plan.id,
                "currency_id": currency_id,
                "start_date": first - timedelta(days=rng.randint(1, START_SPREAD_DAYS)),
                "end_date": None,
                "model": model,
                "fee": price.fee,
                "rate": price.rate,
                "included_minutes": plan.included_minutes,
                "prorate": plan.prorate,
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
        (
            "ticket_id",
            "subscription_id",
            "operator_id",
            "minutes",
            "work_date",
            "billable",
            "note",
            "created_at",
            "updated_at",
        ),
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
