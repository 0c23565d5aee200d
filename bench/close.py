"""The monthly close against the floor the database sets, on the same data in the same run.

    python bench/close.py --subscriptions 10000 --entries 1000000 --db sqlite
    python bench/close.py --subscriptions 10000 --sizes 100000,300000,1000000 --db postgresql

A scratch database (bench/common.py) is built by the migrations and seeded with
`seed_load` (one subscription per client) for last month. Then it times (a)
`close_period` + commit and (b) the floor: one INSERT ... SELECT that writes the same
per-subscription sums of billable minutes into a scratch table. It also prints the close's
steps (billing, reserving ids, each table's bulk write) in seconds. The last line is
`close/floor ratio: X.XX`. With --sizes every size runs in a process of its own, so each
peak RSS is that size's alone; the summary line gives the last (largest) size's ratio.
"""

import argparse
import json
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Date, bindparam  # noqa: E402

from bench.common import bench_app, build_schema, drop_database, make_database  # noqa: E402
from portal.database import write_intent  # noqa: E402
from portal.extensions import db  # noqa: E402

# The floor: one statement computing what the close bills from (billable minutes of
# tracked tickets per subscription in the month) and writing it down.
FLOOR_SQL = """
INSERT INTO bench_floor (subscription_id, minutes)
SELECT e.subscription_id, SUM(e.minutes)
FROM time_entry e JOIN ticket t ON t.id = e.ticket_id
WHERE e.billable AND t.time_tracking AND e.work_date >= :first AND e.work_date <= :last
GROUP BY e.subscription_id
"""


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def last_month() -> str:
    """The month before this one (UTC; the close uses the default business zone, UTC)."""
    first = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    return f"{first.year:04d}-{first.month:02d}"


def time_floor(period: str) -> tuple[float, dict[int, int]]:
    """Seconds for the floor statement (+ commit), and the sums it wrote."""
    from portal.services.billing.periods import period_bounds

    first, last = period_bounds(period)
    db.session.execute(
        db.text("CREATE TABLE bench_floor (subscription_id INTEGER, minutes INTEGER)")
    )
    db.session.commit()
    started = time.perf_counter()
    floor = db.text(FLOOR_SQL).bindparams(
        bindparam("first", type_=Date), bindparam("last", type_=Date)
    )
    db.session.execute(floor, {"first": first, "last": last})
    db.session.commit()
    seconds = time.perf_counter() - started
    sums = dict(
        db.session.execute(db.text("SELECT subscription_id, minutes FROM bench_floor")).all()
    )
    db.session.execute(db.text("DROP TABLE bench_floor"))
    db.session.commit()
    return seconds, sums


@contextmanager
def timed_steps():
    """Seconds per step of the close: billing (bills_for), each bulk write by table, and the
    parts of issuing the invoices (buyers, taxes, numbers)."""
    from portal.services.billing import close as billing
    from portal.services.billing import invoices

    steps: dict[str, float] = {}

    def timer(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                key = name(*args)
                steps[key] = steps.get(key, 0.0) + time.perf_counter() - started

        return run

    patches = [
        (billing, "bills_for", lambda *_a: "bill (sums + rules)"),
        (billing, "bulk_insert", lambda model, *_a: f"write {model.__tablename__}"),
        (invoices, "bulk_insert", lambda model, *_a: f"write {model.__tablename__}"),
        (billing, "reserve_ids", lambda *_a: "reserve ids"),
        (invoices, "reserve_ids", lambda *_a: "reserve ids"),
        (billing, "pending_one_offs", lambda *_a: "one-off items"),
        (invoices, "buyer_terms", lambda *_a: "read buyers and rates"),
        (invoices, "compute_taxes", lambda *_a: "taxes"),
        (invoices, "next_sequence_numbers", lambda *_a: "invoice numbers"),
    ]
    originals = [(module, attr, getattr(module, attr)) for module, attr, _name in patches]
    for module, attr, name in patches:
        setattr(module, attr, timer(name, getattr(module, attr)))
    try:
        yield steps
    finally:
        for module, attr, original in originals:
            setattr(module, attr, original)


def run_one(kind: str, subscriptions: int, entries: int, seed: int) -> dict:
    """Seed a scratch database, time the close and the floor; the figures."""
    from portal.models import UsageRecord
    from portal.seeding.load import seed_load
    from portal.services.billing.close import close_period

    url = make_database(kind)
    try:
        build_schema(url)
        app = bench_app(url)
        period = last_month()
        with app.app_context(), write_intent():
            seeded = time.perf_counter()
            seed_load(
                clients=subscriptions,
                tickets=max(subscriptions, entries // 10),
                entries=entries,
                period=period,
                seed=seed,
            )
            db.session.commit()
            seeded = time.perf_counter() - seeded
            if kind == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            rss_seeded = peak_rss_mb()
            # The floor runs first, so the close does not get a warmer cache than it.
            floor, sums = time_floor(period)
            with timed_steps() as steps:
                started = time.perf_counter()
                result = close_period(period)
                db.session.commit()
                close = time.perf_counter() - started
            used = dict(
                db.session.execute(
                    db.select(UsageRecord.subscription_id, UsageRecord.used_minutes).where(
                        UsageRecord.used_minutes > 0
                    )
                ).all()
            )
            if used != sums:
                raise SystemExit("The close's used minutes differ from the floor's sums.")
            figures = {
                "db": kind,
                "subscriptions": subscriptions,
                "entries": entries,
                "seed_s": round(seeded, 2),
                "close_s": round(close, 3),
                "floor_s": round(floor, 3),
                "ratio": round(close / floor, 2),
                "items": result.item_count,
                "invoices": result.invoice_count,
                "rss_after_seed_mb": round(rss_seeded, 1),
                "peak_rss_mb": round(peak_rss_mb(), 1),
                "steps": {step: round(seconds, 3) for step, seconds in steps.items()},
            }
            db.session.remove()
            db.engine.dispose()
        return figures
    finally:
        drop_database(url)


def print_row(figures: dict) -> None:
    """One size's figures, readable."""
    print(
        f"{figures['db']:<10} subs {figures['subscriptions']:>6}  entries {figures['entries']:>8}"
        f"  seed {figures['seed_s']:>6.1f} s  close {figures['close_s']:>7.3f} s"
        f"  floor {figures['floor_s']:>7.3f} s  ratio {figures['ratio']:>5.2f}"
        f"  items {figures['items']}  invoices {figures['invoices']}"
        f"  peak RSS {figures['peak_rss_mb']:.0f} MB"
        f" (after seeding {figures['rss_after_seed_mb']:.0f})"
    )
    print("  close steps: " + ", ".join(f"{k} {v:.3f} s" for k, v in figures["steps"].items()))


def main() -> None:
    """Parse the arguments, run one size here or each size in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--sizes", help="comma-separated entry counts, each in its own process")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.sizes:
        figures = run_one(args.db, args.subscriptions, args.entries, args.seed)
        if args.json:
            print(json.dumps(figures))
            return
        print_row(figures)
        print(f"close/floor ratio: {figures['ratio']:.2f}")
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--json", "--db", args.db, "--seed", str(args.seed)]
        command += ["--subscriptions", str(args.subscriptions), "--entries", str(size)]
        run = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        output = run.stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
        print_row(results[-1])
        sys.stdout.flush()
    first = results[0]
    for figures in results[1:]:
        growth = figures["entries"] / first["entries"]
        print(
            f"x{growth:.0f} entries: close x{figures['close_s'] / first['close_s']:.2f},"
            f" floor x{figures['floor_s'] / first['floor_s']:.2f}"
        )
    worst = max(results, key=lambda r: r["ratio"])
    print(f"worst ratio {worst['ratio']:.2f} at {worst['entries']} entries")
    # The summary is the largest size's ratio: the size the goal is set at.
    print(f"close/floor ratio: {results[-1]['ratio']:.2f}")


if __name__ == "__main__":
    main()
