"""Operators under load: log time and reply through the ticket form, then check the books.

    python bench/load.py [--seconds 60] [--operators 50] [--workers 4]

On a PostgreSQL database of its own (beside DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/test; dropped at the end) with the demo shop and
OPERATORS extra operator accounts, gunicorn serves the portal with WORKERS sync workers and
`flask send-mail` runs as a separate process, delivering to an aiosmtpd on loopback that
counts what it takes. Each virtual operator is a thread with its own connection and cookie:
it logs in through the login form (CSRF token from the page), then, until the time is up,
opens a ticket of a client with a plan, posts the inline update form (time in 0.25 h steps,
a reply, or both) and follows the redirect to the ticket, whose flash says what was saved.

Afterwards, with the sender given time to empty the outbox:
  - hours: the minutes the accepted submits logged = the minutes in the database, ticket
    by ticket, and the entries and replies counted alike;
  - outbox: one `ticket_reply` per accepted reply and user of the client who wants replies,
    the usage alerts (80 %, 100 %) the month's hours call for, nothing else; and every
    message delivered (sent in the outbox = messages the SMTP server took).
The last line: `load: N req/s, p99 X ms, errors 0, hours ok, outbox ok`.
"""

import argparse
import http.client
import os
import random
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.common import (  # noqa: E402
    ROOT,
    _admin_dsn,
    bench_app,
    build_schema,
    drop_database,
    make_database,
)
from portal.extensions import db  # noqa: E402

PASSWORD = "load-operator-2026"  # noqa: S105 - the bench's own accounts, dropped with the database
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WORK_DATE = re.compile(r'name="work_date" type="date" value="([^"]*)"')
FLASH_SAVED = "Ticket updated:"


class Counting:
    """An aiosmtpd handler that counts the messages it accepts (and keeps nothing)."""

    def __init__(self):
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Plan:
    """What the run works on, read from the seeded database before it starts."""

    operator_ids: list[int]
    tickets: list[int]  # tickets with time tracking of clients with a plan today
    recipients: dict[int, int]  # ticket -> users a staff reply is mailed to
    subscriptions: dict[int, int]  # ticket -> its client's subscription today
    usage_keys: set[str]  # usage alerts written before the run
    last_outbox_id: int
    period: str


def prepare(app, operators: int, tickets_more: int) -> Plan:
    """Seed the demo shop, the operators and more open tickets of the clients with a plan;
    pick the tickets; note the outbox so far."""
    from portal.models import DEPARTMENTS, OutboxMessage, Ticket, TicketMessage, User
    from portal.seeding.demo import SUBJECTS, seed
    from portal.services.accounts.users import create_user
    from portal.services.billing.periods import period_of
    from portal.services.clients.subscriptions import active_subscription
    from portal.services.settings import business_today
    from portal.services.tickets.conversation import generate_ticket_number
    from portal.transaction import unit_of_work

    with app.app_context():
        with unit_of_work():
            seed(app.config.get("DEMO_SEED", 2026))
        with unit_of_work():
            ids = [
                create_user(f"load{n:03d}@example.com", PASSWORD, "operator", name=f"Load {n}").id
                for n in range(1, operators + 1)
            ]
        today = business_today()
        with unit_of_work():
            # Open tickets as a client's form leaves them (its first message, tracked
            # time), spread over the clients with a plan: the demo's 34 alone would grow
            # hundreds of entries each in a minute.
            rng = random.Random(7)
            clients = sorted(
                {t.client_id for t in db.session.scalars(db.select(Ticket))}
                & {c for c in db.session.scalars(db.select(User.client_id)) if c is not None}
            )
            clients = [c for c in clients if active_subscription(c, today) is not None]
            for n in range(tickets_more):
                subject = rng.choice(SUBJECTS)
                ticket = Ticket(
                    number=generate_ticket_number(rng),
                    client_id=clients[n % len(clients)],
                    subject=subject,
                    department=rng.choice(DEPARTMENTS),
                    time_tracking=True,
                )
                ticket.messages.append(
                    TicketMessage(body=f"Hello, {subject.lower()}.", from_staff=False)
                )
                db.session.add(ticket)
        tickets, recipients, subscriptions = [], {}, {}
        for ticket in db.session.scalars(
            db.select(Ticket).where(Ticket.time_tracking.is_(True)).order_by(Ticket.id)
        ):
            subscription = active_subscription(ticket.client_id, today)
            if subscription is None:
                continue
            tickets.append(ticket.id)
            subscriptions[ticket.id] = subscription.id
            recipients[ticket.id] = db.session.scalar(
                db.select(db.func.count())
                .select_from(User)
                .where(
                    User.client_id == ticket.client_id,
                    User.active.is_(True),
                    User.notify_replies.is_(True),
                )
            )
        usage_keys = set(
            db.session.scalars(
                db.select(OutboxMessage.event_key).where(OutboxMessage.event_key.like("usage:%"))
            )
        )
        last = db.session.scalar(db.select(db.func.max(OutboxMessage.id))) or 0
        db.session.commit()
        db.session.execute(db.text("ANALYZE"))
        db.session.commit()
        db.engine.dispose()
    return Plan(ids, tickets, recipients, subscriptions, usage_keys, last, period_of(today))


@dataclass
class Tally:
    """One virtual operator's requests and what the portal accepted from it."""

    latencies: list[float] = field(default_factory=list)  # seconds, every request
    done_at: list[float] = field(default_factory=list)  # perf_counter at each answer
    submits: list[float] = field(default_factory=list)  # seconds, the update form's POSTs
    errors: list[str] = field(default_factory=list)
    minutes: dict[int, int] = field(default_factory=dict)  # ticket -> minutes accepted
    entries: int = 0
    replies: dict[int, int] = field(default_factory=dict)  # ticket -> replies accepted


class Operator:
    """A browser of one operator: one connection (reopened when the server closes it) and
    the session cookie."""

    def __init__(self, port: int, tally: Tally):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.tally = tally

    def request(self, method: str, path: str, form: dict | None = None):
        """One request; returns (status, location, body) and records its latency."""
        headers = {"Host": "127.0.0.1"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            self.tally.done_at.append(time.perf_counter())
            self.tally.latencies.append(self.tally.done_at[-1] - started)
            self.tally.errors.append(f"{method} {path}: {exc!r}")
            return None, None, ""
        self.tally.done_at.append(time.perf_counter())
        self.tally.latencies.append(self.tally.done_at[-1] - started)
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _sep, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if value and "expires=thu, 01 jan 1970" not in header.lower():
                self.cookies[name.strip()] = value
            else:
                self.cookies.pop(name.strip(), None)
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()  # sync workers answer one request a connection
        location = urlsplit(response.getheader("Location") or "").path
        return response.status, location, data.decode("utf-8", "replace")

    def expect(self, what: str, got, status: int) -> bool:
        if got[0] != status:
            self.tally.errors.append(f"{what}: {got[0]} (expected {status})")
            return False
        return True

    def log_in(self, email: str) -> bool:
        page = self.request("GET", "/login")
        token = CSRF.search(page[2])
        if not self.expect("GET /login", page, 200) or token is None:
            return False
        form = {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
        answer = self.request("POST", "/login", form)
        return self.expect("POST /login", answer, 302)

    def work(self, ticket_id: int, rng: random.Random, serial: str) -> None:
        """Open the ticket, submit time and/or a reply, read the flash on the ticket page."""
        path = f"/admin/tickets/{ticket_id}"
        page = self.request("GET", path)
        if not self.expect(f"GET {path}", page, 200):
            return
        token, day = CSRF.search(page[2]), WORK_DATE.search(page[2])
        if token is None or day is None:
            self.tally.errors.append(f"GET {path}: no update form")
            return
        kind = rng.choices(("time", "reply", "both"), weights=(4, 3, 3))[0]
        quarters = rng.randint(1, 8) if kind != "reply" else 0
        reply = f"Load reply {serial}: checked and fixed." if kind != "time" else ""
        form = {
            "csrf_token": token.group(1),
            "reply": reply,
            "status": "",
            "hours": f"{quarters * 0.25:.2f}" if quarters else "",
            "work_date": day.group(1),
            "note": f"load {serial}" if quarters else "",
            "billable": "y",
        }
        answer = self.request("POST", path, form)
        self.tally.submits.append(self.tally.latencies[-1])
        if not self.expect(f"POST {path}", answer, 302) or answer[1] != path:
            return
        shown = self.request("GET", path)
        if not self.expect(f"GET {path} (after saving)", shown, 200):
            return
        flash = shown[2]
        if FLASH_SAVED not in flash:
            self.tally.errors.append(f"POST {path}: no 'Ticket updated' after the redirect")
            return
        # Accepted: the redirect to the ticket. The flash names what was saved.
        if quarters:
            if "h logged" not in flash:
                self.tally.errors.append(f"POST {path}: the flash does not say time was logged")
            self.tally.minutes[ticket_id] = self.tally.minutes.get(ticket_id, 0) + quarters * 15
            self.tally.entries += 1
        if reply:
            if "reply sent" not in flash:
                self.tally.errors.append(f"POST {path}: the flash does not say a reply was sent")
            self.tally.replies[ticket_id] = self.tally.replies.get(ticket_id, 0) + 1


def drive(
    port: int, plan: Plan, seconds: float, seed: int, on_start
) -> tuple[list[Tally], float, float]:
    """Every operator logs in, then all work for `seconds`; returns their tallies, the
    time from the start to the last answer, and the start. `on_start` is called when the
    clock starts."""
    count = len(plan.operator_ids)
    tallies = [Tally() for _ in range(count)]
    clock = {}

    def start() -> None:
        on_start()
        clock["end"] = time.perf_counter() + seconds

    # The clock starts when every operator has logged in (the logins are not timed).
    ready = threading.Barrier(count + 1, action=start)

    def operator(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        browser = Operator(port, tallies[index])
        logged_in = browser.log_in(f"load{index + 1:03d}@example.com")
        tallies[index].latencies.clear()  # the logins are not part of the run
        tallies[index].done_at.clear()
        ready.wait()
        if not logged_in:
            return
        serial = 0
        while time.perf_counter() < clock["end"]:
            serial += 1
            browser.work(rng.choice(plan.tickets), rng, f"{index + 1}-{serial}")
        browser.connection.close()

    threads = [threading.Thread(target=operator, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = clock["end"] - seconds
    for thread in threads:
        thread.join()
    return tallies, time.perf_counter() - started, started


def wait_for_sender(app, plan: Plan, timeout: float) -> float:
    """Wait until nothing the run wrote is queued; returns the seconds waited."""
    from portal.models import MailStatus, OutboxMessage

    started = time.perf_counter()
    with app.app_context():
        while time.perf_counter() - started < timeout:
            queued = db.session.scalar(
                db.select(db.func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == MailStatus.QUEUED)
            )
            db.session.commit()
            if not queued:
                break
            time.sleep(0.5)
        db.session.remove()
    return time.perf_counter() - started


def check_books(app, plan: Plan, tallies: list[Tally], delivered: int) -> tuple[list, list, str]:
    """Hours and outbox against what was accepted: (hour problems, outbox problems, detail)."""
    from portal.models import MailStatus, OutboxMessage, TicketMessage, TimeEntry
    from portal.services.billing.ledger import bill_months

    accepted_minutes: dict[int, int] = {}
    accepted_replies: dict[int, int] = {}
    for tally in tallies:
        for ticket, minutes in tally.minutes.items():
            accepted_minutes[ticket] = accepted_minutes.get(ticket, 0) + minutes
        for ticket, replies in tally.replies.items():
            accepted_replies[ticket] = accepted_replies.get(ticket, 0) + replies
    entries = sum(tally.entries for tally in tallies)
    hours, outbox = [], []
    with app.app_context():
        operators = TimeEntry.operator_id.in_(plan.operator_ids)
        stored = dict(
            db.session.execute(
                db.select(TimeEntry.ticket_id, db.func.sum(TimeEntry.minutes))
                .where(operators)
                .group_by(TimeEntry.ticket_id)
            ).all()
        )
        stored_entries = db.session.scalar(
            db.select(db.func.count()).select_from(TimeEntry).where(operators)
        )
        for ticket in sorted(set(stored) | set(accepted_minutes)):
            if stored.get(ticket, 0) != accepted_minutes.get(ticket, 0):
                hours.append(
                    f"ticket {ticket}: {stored.get(ticket, 0)} minutes stored, "
                    f"{accepted_minutes.get(ticket, 0)} accepted"
                )
        if stored_entries != entries:
            hours.append(f"{stored_entries} entries stored, {entries} accepted")
        replies = dict(
            db.session.execute(
                db.select(TicketMessage.ticket_id, db.func.count())
                .where(TicketMessage.author_id.in_(plan.operator_ids))
                .group_by(TicketMessage.ticket_id)
            ).all()
        )
        if replies != accepted_replies:
            hours.append(
                f"{sum(replies.values())} replies stored, {sum(accepted_replies.values())} "
                "accepted (or on other tickets)"
            )

        written = db.session.execute(
            db.select(OutboxMessage.kind, OutboxMessage.event_key).where(
                OutboxMessage.id > plan.last_outbox_id
            )
        ).all()
        reply_mail = sum(1 for kind, _key in written if kind == "ticket_reply")
        expected_reply_mail = sum(n * plan.recipients[t] for t, n in accepted_replies.items())
        if reply_mail != expected_reply_mail:
            outbox.append(f"{reply_mail} reply messages, {expected_reply_mail} caused")
        others = {kind for kind, _key in written} - {"ticket_reply", "usage_80", "usage_100"}
        if others:
            outbox.append(f"unexpected mail: {sorted(others)}")
        # Usage alerts: the month's hours of each subscription worked on say which
        # thresholds must have been written (100 % when reached; 80 % only when it was
        # reached first: one submit that jumps past both writes the 100 % alone).
        alerts = {tuple(key.split(":")[1:4]) for kind, key in written if kind.startswith("usage")}
        required, allowed = set(), set()
        worked = sorted({plan.subscriptions[t] for t in accepted_minutes})
        bills = bill_months([plan.period], subscription_ids=worked)[plan.period] if worked else []
        for month in bills:
            bill, sub = month.bill, str(month.subscription_id)
            if bill.available_minutes <= 0:
                continue
            for percent in ("80", "100"):
                before = f"usage:{sub}:{plan.period}:{percent}" in plan.usage_keys
                if bill.used_minutes * 100 >= bill.available_minutes * int(percent) and not before:
                    allowed.add((sub, plan.period, percent))
            if bill.used_minutes >= bill.available_minutes:
                if f"usage:{sub}:{plan.period}:100" not in plan.usage_keys:
                    required.add((sub, plan.period, "100"))
            elif (sub, plan.period, "80") in allowed:
                required.add((sub, plan.period, "80"))
        if not required <= alerts <= allowed:
            outbox.append(f"usage alerts {sorted(alerts)}, required {sorted(required)}")
        sent = db.session.scalar(
            db.select(db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == MailStatus.SENT)
        )
        unsent = db.session.scalar(
            db.select(db.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status != MailStatus.SENT)
        )
        if unsent:
            outbox.append(f"{unsent} messages not sent")
        if delivered != sent:
            outbox.append(f"{sent} sent in the outbox, the SMTP server took {delivered}")
        db.session.remove()
        db.engine.dispose()
    detail = (
        f"accepted: {entries} time entries, {sum(accepted_minutes.values()) / 60:.2f} h, "
        f"{sum(accepted_replies.values())} replies; outbox: {len(written)} written "
        f"({reply_mail} replies, {len(alerts)} usage alerts), {sent} sent in all, "
        f"the SMTP server took {delivered}"
    )
    return hours, outbox, detail


class CpuMeter:
    """CPU seconds the gunicorn workers and the database's server processes spent, from
    /proc: what a request costs, whatever else the machine runs meanwhile."""

    def __init__(self, master_pid: int, sender_pid: int, url: str):
        self.master_pid, self.sender_pid, self.dsn = master_pid, sender_pid, _admin_dsn(url)
        self.start: dict[int, float] = {}
        self.workers: set[int] = set()
        self.backends: set[int] = set()

    @staticmethod
    def _cpu(pid: int) -> tuple[int, float] | None:
        """(parent pid, user + system CPU seconds) of a process, None when it is gone."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return int(fields[1]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def _pids(self) -> None:
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and (found := self._cpu(int(entry.name))):
                if found[0] == self.master_pid:
                    self.workers.add(int(entry.name))
        import psycopg

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            self.backends |= {
                pid
                for (pid,) in conn.execute(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            }

    def begin(self) -> None:
        self._pids()
        for pid in self.workers | self.backends | {self.sender_pid}:
            if (found := self._cpu(pid)) is not None:
                self.start[pid] = found[1]

    def end(self) -> tuple[float, float, float]:
        """(workers', database's, sender's) CPU seconds since `begin`."""
        self._pids()

        def spent(pids):
            total = 0.0
            for pid in pids:
                if (found := self._cpu(pid)) is not None:
                    total += found[1] - self.start.get(pid, 0.0)
            return total

        return spent(self.workers), spent(self.backends), spent({self.sender_pid})


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn did not start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz")


def percentile(sorted_values: list[float], share: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(share * len(sorted_values)))]


def stop(process: subprocess.Popen | None) -> None:
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--tickets", type=int, default=300, help="Tickets opened for the run.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--drain", type=float, default=120, help="Seconds the sender may take.")
    args = parser.parse_args()

    handler = Counting()
    smtp = Controller(handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    instance = tempfile.mkdtemp(prefix="portal-bench-load-")
    os.environ["PORTAL_INSTANCE_PATH"] = instance
    url = make_database("postgresql")
    web = sender = None
    try:
        build_schema(url)
        app = bench_app(url)
        plan = prepare(app, args.operators, args.tickets)
        port = free_port()
        env = dict(
            os.environ,
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_hex(32),
            MAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
            PORTAL_SCHEDULER_IN_PROCESS="0",
        )
        bin_dir = Path(sys.executable).parent
        web = subprocess.Popen(  # noqa: S603 - our own gunicorn
            [bin_dir / "gunicorn", "--workers", str(args.workers), "--bind",
             f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        sender = subprocess.Popen(  # noqa: S603 - our own flask
            [bin_dir / "flask", "--app", "wsgi", "send-mail", "--poll", "1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until_up(port, web)
        print(
            f"machine: {os.cpu_count()} cores; gunicorn {args.workers} sync workers, "
            f"1 sender; {args.operators} operators for {args.seconds:g} s on "
            f"{len(plan.tickets)} tickets"
        )
        meter = CpuMeter(web.pid, sender.pid, url)
        cpu = time.process_time()
        tallies, elapsed, started = drive(port, plan, args.seconds, args.seed, meter.begin)
        cpu = time.process_time() - cpu
        web_cpu, db_cpu, sender_cpu = meter.end()
        waited = wait_for_sender(app, plan, args.drain)
        stop(web)
        web = None
        stop(sender)
        sender = None
        hours, outbox, detail = check_books(app, plan, tallies, handler.count)
    finally:
        stop(web)
        stop(sender)
        smtp.stop()
        drop_database(url)
        shutil.rmtree(instance, ignore_errors=True)

    latencies = sorted(x for tally in tallies for x in tally.latencies)
    errors = [error for tally in tallies for error in tally.errors]
    for error in sorted(set(errors))[:10]:
        print(f"error: {error}")
    print(detail)
    print(f"the sender emptied the outbox {waited:.1f} s after the load")
    print(
        f"CPU in {elapsed:.1f} s: gunicorn workers {web_cpu:.1f} s, PostgreSQL {db_cpu:.1f} s, "
        f"sender {sender_cpu:.1f} s, the load generator (and the SMTP server) {cpu:.1f} s; "
        "per request (workers + PostgreSQL) "
        f"{web_cpu / max(len(latencies), 1) * 1000:.1f} + "
        f"{db_cpu / max(len(latencies), 1) * 1000:.1f} ms"
    )
    for problem in hours + outbox:
        print(f"check: {problem}")
    rate = len(latencies) / elapsed if elapsed else 0.0
    submits = sorted(x for tally in tallies for x in tally.submits)
    step = max(args.seconds / 6, 1)
    buckets = [0] * (int(elapsed // step) + 1)
    for moment in (x for tally in tallies for x in tally.done_at):
        buckets[int((moment - started) // step)] += 1
    print(f"req/s by {step:g} s: " + ", ".join(f"{n / step:.0f}" for n in buckets))
    print(
        f"{len(latencies)} requests in {elapsed:.1f} s (the ticket page, its form's submit, "
        f"the page again): p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms; {len(submits)} submits, "
        f"{len(submits) / elapsed:.1f} a second, p99 {percentile(submits, 0.99) * 1000:.0f} ms"
    )
    print(
        f"load: {rate:.0f} req/s, p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
        f"errors {len(errors)}, hours {'ok' if not hours else 'WRONG'}, "
        f"outbox {'ok' if not outbox else 'WRONG'}"
    )
    if errors or hours or outbox:
        sys.exit(1)


if __name__ == "__main__":
    main()
