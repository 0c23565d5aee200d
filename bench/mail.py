"""Invoice mail at the size of a large business: the close that writes it, the rendering,
the delivery, against the floor of smtplib sending the same prebuilt messages.

    python bench/mail.py --clients 2000 --db sqlite|postgresql [--entries 20000]

A scratch database (bench/common.py) is seeded with `seed_load` for last month and closed
by `close_period`, which issues one invoice per client and writes its `invoice_issued`
message in the same transaction (`queue_mails`: one statement). Then, against aiosmtpd on
loopback:
  1. rendering: `compose.build` for every message (its PDF with Factur-X made then);
  2. the floor: the same prebuilt messages sent by smtplib over one connection;
  3. the sender: `deliver_due()` from the outbox (claims, builds, sends, records), as
     `flask send-mail --once` does, each message rendered again.
The last line: `mail: N messages in S s, ratio X.XX` — the sender's time over rendering
plus the floor (1.00 would mean the outbox's claims and records cost nothing).
"""

import argparse
import asyncio
import resource
import smtplib
import socket
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aiosmtpd.controller import Controller  # noqa: E402

from bench.common import bench_app, build_schema, drop_database, make_database  # noqa: E402
from portal.database import write_intent  # noqa: E402
from portal.extensions import db  # noqa: E402


class Counting:
    """An aiosmtpd handler that counts what it accepts (and keeps nothing)."""

    def __init__(self):
        self.count = 0
        self.bytes = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        self.bytes += len(envelope.original_content or b"")
        await asyncio.sleep(0)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def last_month() -> str:
    first = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(kind: str, clients: int, entries: int) -> dict:
    """Seed, close, render, send with the floor, send with the sender: the figures."""
    from portal.models import OutboxMessage
    from portal.seeding.load import seed_load
    from portal.services.billing import invoices
    from portal.services.billing.close import close_period
    from portal.services.mail.compose import build
    from portal.services.mail.sender import deliver_due

    handler = Counting()
    port = free_port()
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    url = make_database(kind)
    try:
        build_schema(url)
        app = bench_app(url)
        app.config["MAIL_URL"] = f"smtp://127.0.0.1:{port}"
        app.config["MAIL_BATCH_SIZE"] = 100
        period = last_month()
        with app.app_context(), write_intent():
            seed_load(clients=clients, tickets=clients, entries=entries, period=period)
            db.session.commit()
            if kind == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()

            # The close, and the part of it that writes the mail (bodies rendered, one INSERT).
            enqueue = [0.0]
            real_tell = invoices.tell_invoices_issued

            def timed_tell(rows):
                started = time.perf_counter()
                try:
                    return real_tell(rows)
                finally:
                    enqueue[0] += time.perf_counter() - started

            invoices.tell_invoices_issued = timed_tell
            started = time.perf_counter()
            result = close_period(period)
            db.session.commit()
            close = time.perf_counter() - started
            invoices.tell_invoices_issued = real_tell
            ids = list(db.session.scalars(db.select(OutboxMessage.id).order_by(OutboxMessage.id)))
            db.session.commit()

            # 1. Rendering every message, PDF included.
            started = time.perf_counter()
            prebuilt = []
            for message_id in ids:
                row = db.session.get(OutboxMessage, message_id)
                message = build(row)
                # CRLF line ends, as smtplib.send_message would write them (sendmail sends
                # bytes as they are).
                raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
                prebuilt.append((row.recipients, raw))
                db.session.expunge(row)
            render = time.perf_counter() - started
            db.session.commit()
            rss_prebuilt = peak_rss_mb()

            # 2. The floor: smtplib, one connection, the prebuilt bytes.
            started = time.perf_counter()
            with smtplib.SMTP("127.0.0.1", port) as connection:
                for recipients, raw in prebuilt:
                    connection.sendmail("bench@localhost", recipients, raw)
            floor = time.perf_counter() - started
            size = sum(len(raw) for _r, raw in prebuilt)
            del prebuilt
            handler.count = 0

            # 3. The sender, end to end.
            started = time.perf_counter()
            done = deliver_due()
            sender = time.perf_counter() - started
            if len(done.sent) != len(ids) or handler.count != len(ids):
                raise SystemExit(
                    f"sent {len(done.sent)} of {len(ids)}, the server took {handler.count}"
                )
            db.session.remove()
            db.engine.dispose()
        return {
            "db": kind,
            "clients": clients,
            "invoices": result.invoice_count,
            "messages": len(ids),
            "close_s": close,
            "enqueue_s": enqueue[0],
            "render_s": render,
            "floor_s": floor,
            "sender_s": sender,
            "mean_kb": size / max(len(ids), 1) / 1024,
            "rss_prebuilt_mb": rss_prebuilt,
            "peak_rss_mb": peak_rss_mb(),
        }
    finally:
        server.stop()
        drop_database(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    figures = run(args.db, args.clients, args.entries)
    n = figures["messages"]
    print(
        f"db {figures['db']}: {figures['clients']} clients, {figures['invoices']} invoices, "
        f"{n} messages of {figures['mean_kb']:.0f} KB on average"
    )
    print(
        f"close {figures['close_s']:.2f} s, of which enqueue {figures['enqueue_s'] * 1000:.0f} ms"
    )
    print(f"render {figures['render_s']:.2f} s ({figures['render_s'] / n * 1000:.1f} ms a message)")
    print(f"floor (smtplib, prebuilt) {figures['floor_s']:.2f} s ({n / figures['floor_s']:.0f}/s)")
    print(f"sender (deliver_due) {figures['sender_s']:.2f} s ({n / figures['sender_s']:.1f}/s)")
    print(
        f"peak RSS {figures['peak_rss_mb']:.0f} MB "
        f"(with every prebuilt message in memory: {figures['rss_prebuilt_mb']:.0f} MB)"
    )
    ratio = figures["sender_s"] / (figures["render_s"] + figures["floor_s"])
    print(f"mail: {n} messages in {figures['sender_s']:.1f} s, ratio {ratio:.2f}")


if __name__ == "__main__":
    main()
