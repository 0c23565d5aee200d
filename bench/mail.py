"""Invoice mail at the size of a large business: the close that writes it, then its delivery
by one or more sender processes, against the floor of smtplib sending the same messages.

    python bench/mail.py --clients 11500 --messages 10000 --db postgresql --senders 1,2
    python bench/mail.py --clients 2000 --db sqlite            # SQLite: one sender only

A scratch database (bench/common.py) is seeded with `seed_load` for last month and closed
by `close_period`, which issues one invoice per client with something to bill and writes
its `invoice_issued` message in the same transaction (`queue_mails`: one statement); with
`--messages N` only the first N stay queued (about 9 clients in 10 have something to bill,
so 11,500 clients give 10,000 invoices and more). Then,
for each sender count asked for (the outbox put back to queued between runs):

  1. the senders: that many separate processes, each doing what `flask send-mail --once`
     does (`deliver_due()`: claim a batch — on PostgreSQL `FOR UPDATE SKIP LOCKED`, so they
     take different rows —, build each message with its PDF and Factur-X, send it over one
     SMTP connection, record it), all against one aiosmtpd on loopback in this process. The
     server counts what it takes, checks every Message-ID arrives once, and writes each
     message as received to a temporary folder. Each sender sums the time it spends in
     `compose.build` (the rendering) and reports its own peak RSS; this process samples
     every sender's RSS (/proc/<pid>/status) each time another tenth of the messages has
     arrived, so memory growth with the count shows as a rising series.
  2. the floor: smtplib replaying exactly those saved messages over one connection, one
     file read at a time (nothing rendered twice, nothing held in memory).
  3. the check: the server took N distinct messages, and every outbox row is `sent` after
     one attempt.

Figures per run: the end-to-end time (the senders started until the last exits, start-up
included), messages a second, the rendering time (summed over the senders), the floor, and
    ratio = end-to-end / (rendering / senders + floor)
— 1.00 would mean the outbox's claims, records, SMTP and the senders' start cost nothing
beyond rendering shared evenly and sending prebuilt messages; the goal "within 2 × the
floor plus the rendering" is also printed as its own bound. The last line:
`mail: N messages in S s, ratio X.XX (K senders; ...)`, for the largest sender count,
with the other runs in the parenthesis.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

STARTED = time.time()  # a sender's start, before the application's imports

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.common import bench_app, build_schema, drop_database, make_database  # noqa: E402
from portal.database import write_intent  # noqa: E402
from portal.extensions import db  # noqa: E402

MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
SAMPLES = 10  # RSS samples a run: after each tenth of the messages


class Keeping:
    """An aiosmtpd handler that counts what it accepts, notes each Message-ID and, while
    `folder` is set, writes each message as received (CRLF, as it came) into it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.folder: Path | None = None
        self.kept: list[tuple[str, str, list[str]]] = []  # file name, mail from, recipients
        self.count = 0
        self.bytes = 0
        self.ids: set[bytes] = set()
        self.repeats = 0

    def reset(self, folder: Path | None) -> None:
        with self.lock:
            self.folder, self.kept = folder, []
            self.count = self.bytes = self.repeats = 0
            self.ids = set()

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or b""
        head = content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        with self.lock:
            self.count += 1
            self.bytes += len(content)
            message_id = found.group(1) if found else b"?%d" % self.count
            if message_id in self.ids:
                self.repeats += 1
            self.ids.add(message_id)
            if self.folder is not None:
                name = f"{self.count:06d}.eml"
                (self.folder / name).write_bytes(content)
                self.kept.append((name, envelope.mail_from, list(envelope.rcpt_tos)))
        await asyncio.sleep(0)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def last_month() -> str:
    first = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def rss_mb(pid: int) -> float | None:
    """A process's resident memory now (VmRSS), or None once it has gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def timed(function, total: list):
    """`function`, adding the seconds each call takes to total[0] and counting calls in
    total[1]."""

    def wrapper(*args, **kwargs):
        begun = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            total[0] += time.perf_counter() - begun
            total[1] += 1

    return wrapper


# -- a sender process ----------------------------------------------------------------------


def sender_main(url: str, port: int, stats: str) -> None:
    """One sender: what `flask send-mail --once` does, with the rendering timed."""
    from portal.services.mail import sender

    app = bench_app(url)
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
    rendering = [0.0, 0]
    sender.build = timed(sender.build, rendering)
    with app.app_context():
        ready = time.time()
        done = sender.deliver_due()
        delivered = time.time()
        db.session.remove()
        db.engine.dispose()
    Path(stats).write_text(
        json.dumps(
            {
                "sent": len(done.sent),
                "retrying": len(done.retrying),
                "failed": len(done.failed),
                "render_s": rendering[0],
                "builds": rendering[1],
                "started": STARTED,
                "ready": ready,
                "delivered": delivered,
                "batch": app.config["MAIL_BATCH_SIZE"],
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


# -- the run -------------------------------------------------------------------------------


def seed_and_close(app, kind: str, clients: int, entries: int, limit: int | None) -> dict:
    """Seed last month and close it; the close's figures and the messages it wrote. With
    `limit`, only the first `limit` messages stay queued, the rest are held (a round count
    of invoices from a count of clients of which some have nothing to bill)."""
    from portal.models import MailStatus, OutboxMessage
    from portal.seeding.load import seed_load
    from portal.services.billing import invoices
    from portal.services.billing.close import close_period

    period = last_month()
    with app.app_context(), write_intent():
        seed_load(clients=clients, tickets=clients, entries=entries, period=period)
        db.session.commit()
        if kind == "postgresql":
            db.session.execute(db.text("ANALYZE"))
            db.session.commit()
        # The close, and the part of it that writes the mail (bodies rendered, one INSERT).
        enqueue = [0.0, 0]
        real_tell = invoices.tell_invoices_issued
        invoices.tell_invoices_issued = timed(real_tell, enqueue)
        started = time.perf_counter()
        result = close_period(period)
        db.session.commit()
        close = time.perf_counter() - started
        invoices.tell_invoices_issued = real_tell
        written = db.session.scalar(db.select(db.func.count(OutboxMessage.id)))
        if limit is not None and written < limit:
            raise SystemExit(f"the close wrote {written} messages, fewer than {limit}")
        if limit is not None and written > limit:
            last = db.session.scalar(
                db.select(OutboxMessage.id).order_by(OutboxMessage.id).offset(limit - 1).limit(1)
            )
            db.session.execute(
                db.update(OutboxMessage)
                .where(OutboxMessage.id > last)
                .values(status=MailStatus.HELD)
            )
        messages = limit if limit is not None else written
        if kind == "postgresql":
            db.session.execute(db.text("ANALYZE outbox_message"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {
        "invoices": result.invoice_count,
        "messages": messages,
        "written": written,
        "close_s": close,
        "enqueue_s": enqueue[0],
    }


def requeue(app) -> None:
    """Every message back to queued and due, as the close left it (for the next run)."""
    from portal.models import MailStatus, OutboxMessage
    from portal.models.types import utcnow

    with app.app_context(), write_intent():
        db.session.execute(
            db.update(OutboxMessage)
            .where(OutboxMessage.status != MailStatus.HELD)
            .values(
                status=MailStatus.QUEUED,
                attempts=0,
                sent_at=None,
                last_error=None,
                next_attempt_at=utcnow(),
            )
        )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def outbox_check(app, messages: int) -> str | None:
    """What is wrong with the outbox after a run (None: every message sent once)."""
    from portal.models import MailStatus, OutboxMessage

    with app.app_context():
        rows = db.session.execute(
            db.select(OutboxMessage.status, OutboxMessage.attempts, db.func.count())
            .where(OutboxMessage.status != MailStatus.HELD)
            .group_by(OutboxMessage.status, OutboxMessage.attempts)
        ).all()
        db.session.remove()
        db.engine.dispose()
    if rows != [(MailStatus.SENT, 1, messages)]:
        return f"outbox after the run (status, attempts, count): {rows}"
    return None


def deliver(url: str, port: int, handler: Keeping, senders: int, messages: int, work: Path):
    """Start `senders` processes, sample their memory, wait for them: the run's figures."""
    folder = work / f"received-{senders}"
    folder.mkdir()
    handler.reset(folder)
    processes = []
    spawned = time.time()
    started = time.perf_counter()
    for number in range(senders):
        stats = work / f"sender-{senders}-{number}.json"
        log = open(work / f"sender-{senders}-{number}.log", "wb")  # noqa: SIM115
        command = [sys.executable, __file__, "--sender", url, str(port), str(stats)]
        process = subprocess.Popen(command, stdout=log, stderr=log)  # noqa: S603 (ours)
        processes.append((process, stats, log))
    marks = [max(1, round(messages * step / SAMPLES)) for step in range(1, SAMPLES + 1)]
    series: list[tuple[int, list[float | None]]] = []
    while any(process.poll() is None for process, _s, _l in processes):
        while marks and handler.count >= marks[0]:
            series.append((marks.pop(0), [rss_mb(p.pid) for p, _s, _l in processes]))
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    reports = []
    for process, stats, log in processes:
        log.close()
        if process.returncode != 0 or not stats.exists():
            text = Path(log.name).read_text(errors="replace")[-4000:]
            raise SystemExit(f"a sender failed (exit {process.returncode}):\n{text}")
        reports.append(json.loads(stats.read_text()))
    return {
        "senders": senders,
        "spawned": spawned,
        "elapsed_s": elapsed,
        "reports": reports,
        "series": series,
        "received": handler.count,
        "repeats": handler.repeats,
        "distinct": len(handler.ids),
        "bytes": handler.bytes,
        "kept": list(handler.kept),
        "folder": folder,
    }


def floor(port: int, handler: Keeping, run: dict) -> float:
    """smtplib replaying the saved messages over one connection, a file at a time."""
    handler.reset(None)
    folder = run["folder"]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as connection:
        for name, mail_from, recipients in run["kept"]:
            connection.sendmail(mail_from, recipients, (folder / name).read_bytes())
    took = time.perf_counter() - started
    if handler.count != len(run["kept"]):
        raise SystemExit(f"the floor sent {len(run['kept'])}, the server took {handler.count}")
    return took


def run(kind: str, clients: int, entries: int, limit: int | None, sender_counts: list[int]):
    handler = Keeping()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    url = make_database(kind)
    work = Path(tempfile.mkdtemp(prefix="portal-bench-mail-"))
    try:
        build_schema(url)
        app = bench_app(url)
        figures = {
            "db": kind,
            "clients": clients,
            **seed_and_close(app, kind, clients, entries, limit),
        }
        messages = figures["messages"]
        figures["runs"] = []
        for position, senders in enumerate(sender_counts):
            if position:
                requeue(app)
            result = deliver(url, port, handler, senders, messages, work)
            problems = []
            if result["received"] != messages or result["distinct"] != messages:
                problems.append(
                    f"the server took {result['received']} messages "
                    f"({result['distinct']} distinct) of {messages}"
                )
            if result["repeats"]:
                problems.append(f"{result['repeats']} messages arrived twice")
            wrong = outbox_check(app, messages)
            if wrong:
                problems.append(wrong)
            if problems:
                raise SystemExit("; ".join(problems))
            result["floor_s"] = floor(port, handler, result)
            shutil.rmtree(result.pop("folder"), ignore_errors=True)
            result.pop("kept")
            figures["runs"].append(result)
        return figures
    finally:
        server.stop()
        drop_database(url)
        shutil.rmtree(work, ignore_errors=True)


def report(figures: dict) -> None:
    n = figures["messages"]
    held = figures["written"] - n
    print(
        f"db {figures['db']}: {figures['clients']} clients, {figures['invoices']} invoices, "
        f"{figures['written']} messages" + (f", {n} sent ({held} held back)" if held else "")
    )
    print(
        f"close {figures['close_s']:.2f} s, of which enqueue {figures['enqueue_s'] * 1000:.0f} ms"
    )
    summaries = []
    for result in figures["runs"]:
        senders, elapsed, reports = result["senders"], result["elapsed_s"], result["reports"]
        render = sum(r["render_s"] for r in reports)
        builds = sum(r["builds"] for r in reports)
        floor_s = result["floor_s"]
        ideal = render / senders + floor_s
        ratio = elapsed / ideal
        bound = 2 * floor_s + render / senders
        print(
            f"-- {senders} sender{'s' if senders > 1 else ''} "
            f"(batch {reports[0]['batch']}, {result['bytes'] / n / 1024:.0f} KB a message)"
        )
        startup = max(r["ready"] for r in reports) - result["spawned"]
        delivering = sum(r["delivered"] - r["ready"] for r in reports)
        print(
            f"   end to end {elapsed:.1f} s ({n / elapsed:.1f} messages/s), "
            f"sent per sender: {', '.join(str(r['sent']) for r in reports)}; "
            f"start-up (interpreter, imports, app) {startup:.1f} s, "
            f"last exit {result['spawned'] + elapsed - max(r['delivered'] for r in reports):.1f} s "
            "after the last delivery"
        )
        print(
            f"   rendering {render:.1f} s summed ({render / max(builds, 1) * 1000:.1f} ms a "
            f"message), {render / senders:.1f} s a sender"
        )
        print(
            f"   the rest of delivering (claims, reads, SMTP, records) "
            f"{(delivering - render) / max(builds, 1) * 1000:.1f} ms a message"
        )
        print(
            f"   floor (smtplib, the received messages replayed) {floor_s:.2f} s "
            f"({n / floor_s:.0f}/s)"
        )
        print(
            f"   ratio end to end / (rendering / senders + floor) = {ratio:.2f}; "
            f"2 × floor + rendering / senders = {bound:.1f} s: "
            f"{'within' if elapsed <= bound else 'over'}"
        )
        print(
            f"   exactly once: {n} distinct Message-IDs at the server, every outbox row sent once"
        )
        print(
            "   RSS MB by messages received: "
            + "; ".join(
                f"{count}: " + "/".join("-" if mb is None else f"{mb:.0f}" for mb in sizes)
                for count, sizes in result["series"]
            )
        )
        first = [mb for mb in result["series"][0][1]] if result["series"] else []
        last = [mb for mb in result["series"][-1][1]] if result["series"] else []
        growth = [
            f"{b - a:+.0f}"
            for a, b in zip(first, last, strict=False)
            if a is not None and b is not None
        ]
        peaks = ", ".join(f"{r['peak_rss_mb']:.0f}" for r in reports)
        print(
            f"   RSS growth from the first tenth to the last: {', '.join(growth) or 'n/a'} MB; "
            f"peak {peaks} MB"
        )
        summaries.append((senders, elapsed, ratio))
    senders, elapsed, ratio = summaries[-1]
    others = "; ".join(
        f"{s} sender{'s' if s > 1 else ''}: {e:.1f} s, ratio {r:.2f}" for s, e, r in summaries[:-1]
    )
    label = f"{senders} sender{'s' if senders > 1 else ''}" + (f"; {others}" if others else "")
    print(f"mail: {n} messages in {elapsed:.1f} s, ratio {ratio:.2f} ({label})")


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--sender":
        sender_main(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=None, help="default: 10 a client")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--messages", type=int, default=None, help="send only the close's first N (the rest held)"
    )
    parser.add_argument(
        "--senders", default="1", help="sender processes, or a list run in turn: 1,2"
    )
    args = parser.parse_args()
    counts = [int(part) for part in args.senders.split(",")]
    if args.db == "sqlite" and any(count > 1 for count in counts):
        parser.error("SQLite takes one sender (claims need FOR UPDATE SKIP LOCKED)")
    entries = args.entries if args.entries is not None else 10 * args.clients
    report(run(args.db, args.clients, entries, args.messages, counts))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
