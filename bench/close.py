"""The monthly close against the floor the database sets, on the same data in the same run.

    python bench/close.py --subscriptions 10000 --entries 1000000 --db sqlite
    python bench/close.py --subscriptions 10000 --sizes 100000,300000,1000000 --db postgresql
    python bench/close.py --subscriptions 10000 --entries 1000000 --db sqlite --mix

A scratch database (bench/common.py) is built by the migrations and seeded with
`seed_load` (one subscription per client) for last month. Then it times (a) the aggregate
floor: one INSERT ... SELECT that writes the per-subscription sums of billable minutes into
a scratch table; (b) the raw-SQL close (bench/raw_close.py): every row the close writes,
one INSERT ... SELECT per table, on a copy of the database; (c) `close_period` + commit.
It stops unless the close wrote exactly the raw-SQL close's rows (ids included; not the
times or the Message-IDs' random part) and its used minutes are the aggregate's sums. It
prints the close's steps and the raw close's statements in seconds, and the close's own
CPU time. The last line is `close/raw-sql ratio: X.XX` (the aggregate-only ratio is in the
row above it). With --sizes every size runs in a process of its own, so each peak RSS is
that size's alone; the summary line gives the last (largest) size's ratio.

With --mix, a third of the subscriptions are on a rollover package (2 months, capped, with
carry-over from the month before) and a third on a prepaid-block plan (each with its block,
partly used the month before), so the close draws on pools of hours: the month before is
closed first, as the close requires (see seed_mix). Same entries, same floors (the raw-SQL
close draws on the pools too): compare its close seconds with the run without --mix.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Date, bindparam  # noqa: E402

from bench.common import (  # noqa: E402
    DEFAULT_POSTGRES,
    _admin_dsn,
    bench_app,
    build_schema,
    drop_database,
    make_database,
)
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


def seed_mix(period: str, seed: int, typical: int) -> dict[str, int]:
    """Move a third of the load's subscriptions to a rollover package and a third to a
    block plan, from the first day of the month before `period`, which is closed: each
    rollover subscription carries 0:15-10 h into `period`, each block subscription bought a
    block (its block_fee item, uninvoiced here, dated in the month before, so the close
    does not take it for a one-off) and used 0-15 h of it then. The package includes, and
    the block holds, `typical` minutes (about a subscription's month), so about half the
    rollover subscriptions leave carry-over and half the block ones bill overtime.
    Set-based, as seed_load: two UPDATEs and a bulk insert per table. Rows per table."""
    import random

    from sqlalchemy import select, update

    from portal.models import BillableItem, BillingPeriod, HourPool, Plan, PlanPrice, PoolUse
    from portal.models import Subscription as Sub
    from portal.services.billing.ledger import block_validity, carry_validity, terms_of
    from portal.services.billing.periods import period_bounds, period_of
    from portal.services.bulk import bulk_insert, reserve_ids
    from portal.services.clients.subscriptions import subscription_terms

    rng = random.Random(seed)
    first = period_bounds(period)[0]
    before = period_of(first - timedelta(days=1))
    start = period_bounds(before)[0]
    currency_id = db.session.scalar(select(Sub.currency_id).limit(1))
    rolling = Plan(
        name=f"Load rollover {seed}",
        model="package",
        included_minutes=typical,
        rollover_months=2,
        rollover_cap_minutes=typical,
    )
    rolling.prices = [PlanPrice(currency_id=currency_id, fee=Decimal(200), rate=Decimal(60))]
    blocks = Plan(
        name=f"Load block {seed}", model="block", block_minutes=typical, validity_months=3
    )
    blocks.prices = [PlanPrice(currency_id=currency_id, fee=Decimal(1000), rate=Decimal(70))]
    closed = BillingPeriod(period=before)
    db.session.add_all([rolling, blocks, closed])
    db.session.flush()
    for remainder, plan in ((1, rolling), (2, blocks)):
        price = plan.prices[0]
        db.session.execute(
            update(Sub)
            .where(Sub.id % 3 == remainder)
            .values({**subscription_terms(plan, price), "start_date": start, "prorate": True})
        )
    subs = {
        remainder: db.session.execute(
            select(Sub.id, Sub.client_id).where(Sub.id % 3 == remainder).order_by(Sub.id)
        ).all()
        for remainder in (1, 2)
    }
    carry_from, carry_until = carry_validity(terms_of(db.session.get(Sub, subs[1][0][0])), before)
    counts = {
        "hour_pool (carry)": bulk_insert(
            HourPool,
            (
                {
                    "client_id": client_id,
                    "subscription_id": sub_id,
                    "kind": "carry",
                    "minutes": 15 * rng.randint(1, 40),
                    "valid_from": carry_from,
                    "valid_until": carry_until,
                    "period_id": closed.id,
                }
                for sub_id, client_id in subs[1]
            ),
        )
    }
    item_ids = reserve_ids(BillableItem, len(subs[2]))
    valid_from, valid_until = block_validity(start, 3)
    counts["billable_item (block_fee)"] = bulk_insert(
        BillableItem,
        (
            {
                "id": item_id,
                "client_id": client_id,
                "subscription_id": sub_id,
                "period_id": None,
                "kind": "block_fee",
                "description": f"Load block {seed} prepaid hours",
                "minutes": typical,
                "quantity": Decimal(1),
                "unit_rate": Decimal(1000),
                "amount": Decimal(1000),
                "currency_id": currency_id,
                "work_date": start,
                "invoice_id": None,
            }
            for item_id, (sub_id, client_id) in zip(item_ids, subs[2], strict=True)
        ),
    )
    pool_ids = reserve_ids(HourPool, len(subs[2]))
    counts["hour_pool (block)"] = bulk_insert(
        HourPool,
        (
            {
                "id": pool_id,
                "client_id": client_id,
                "subscription_id": sub_id,
                "kind": "block",
                "minutes": typical,
                "valid_from": valid_from,
                "valid_until": valid_until,
                "item_id": item_id,
            }
            for pool_id, item_id, (sub_id, client_id) in zip(
                pool_ids, item_ids, subs[2], strict=True
            )
        ),
    )
    used = [(pool_id, 15 * rng.randint(0, 60)) for pool_id in pool_ids]
    counts["hour_pool_use"] = bulk_insert(
        PoolUse,
        (
            {"pool_id": pool_id, "period_id": closed.id, "minutes": minutes}
            for pool_id, minutes in used
            if minutes
        ),
    )
    db.session.flush()
    return counts


def pools_written(period_id: int) -> dict[str, int]:
    """What a close of the mix wrote of the pools: uses of them and new carry-overs."""
    from portal.models import HourPool, PoolUse

    def rows(model) -> int:
        query = db.select(db.func.count()).select_from(model).filter_by(period_id=period_id)
        return db.session.scalar(query)

    return {"pool_uses": rows(PoolUse), "carries": rows(HourPool)}


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


def copy_database(kind: str, url: str) -> str:
    """A copy of the scratch database (its engine disposed first): the raw floor writes
    there, so the close finds the same database, ids and sequences included."""
    import os
    import shutil
    import tempfile

    from sqlalchemy.engine import make_url

    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="portal-bench-")
        shutil.copyfile(make_url(url).database, f"{folder}/bench.sqlite3")
        return f"sqlite:///{folder}/bench.sqlite3"
    import psycopg

    source = make_url(url).database
    name = f"{source}_raw"
    base = os.environ.get("DATABASE_URL") or DEFAULT_POSTGRES
    with psycopg.connect(_admin_dsn(base), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def time_raw_floor(kind: str, url: str, period: str, before: dict) -> tuple[float, dict, str]:
    """Seconds for the raw-SQL close (+ commit) on a copy of the database, the digests of
    the rows it wrote, and the copy's URL (the caller drops it)."""
    from bench.raw_close import digests, raw_close

    db.session.remove()
    db.engine.dispose()
    copy = copy_database(kind, url)
    app = bench_app(copy)
    try:
        with app.app_context(), write_intent():
            if kind == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            started = time.perf_counter()
            try:
                steps = raw_close(period)
                db.session.commit()
                seconds = time.perf_counter() - started
                found = digests(before)
                found["steps"] = {table: round(s, 3) for table, (_rows, s) in steps.items()}
            finally:
                db.session.remove()
                db.engine.dispose()
    except BaseException:
        drop_database(copy)
        raise
    return seconds, found, copy


def check_same_rows(kind: str, copy: str, before: dict, raw: dict) -> int:
    """Stop unless the close wrote exactly the raw floor's rows (ids included; not the
    times they ran at nor the Message-IDs' random part); the number of rows compared."""
    from bench.raw_close import digests, first_difference, row_at

    difference = first_difference(digests(before), raw)
    if difference is None:
        return sum(len(rows) for rows in raw.values())
    table, index = difference
    close_row = row_at(table, before.get(table, 0), index)
    with bench_app(copy).app_context():
        raw_row = row_at(table, before.get(table, 0), index)
        db.engine.dispose()
    raise SystemExit(
        f"The close and the raw-SQL close differ in {table}, row {index + 1}:\n"
        f"  close:   {close_row}\n  raw SQL: {raw_row}"
    )


@contextmanager
def timed_steps():
    """Seconds per step of the close: billing (bills_for), each bulk write by table, and the
    parts of issuing the invoices (buyers, taxes, numbers)."""
    from portal.services.billing import close as billing
    from portal.services.billing import invoices
    from portal.services.mail import billing as mail

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
        (invoices, "taxes_at_one_rate", lambda *_a: "taxes"),
        (invoices, "next_sequence_numbers", lambda *_a: "invoice numbers"),
        (invoices, "tell_invoices_issued", lambda *_a: "invoice mail (all of it)"),
        (mail, "queue_mails", lambda *_a: "write outbox_message"),
    ]
    originals = [(module, attr, getattr(module, attr)) for module, attr, _name in patches]
    for module, attr, name in patches:
        setattr(module, attr, timer(name, getattr(module, attr)))
    try:
        yield steps
    finally:
        for module, attr, original in originals:
            setattr(module, attr, original)


def run_one(kind: str, subscriptions: int, entries: int, seed: int, mix: bool = False) -> dict:
    """Seed a scratch database, time the close and the floor; the figures."""
    from portal.models import UsageRecord
    from portal.seeding.load import seed_load
    from portal.services.billing.close import close_period

    url = make_database(kind)
    copy = None
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
            if mix:
                # About a subscription's billable minutes in the month, in quarter hours.
                typical = 15 * max(4, round(entries / subscriptions * 110 / 15))
                seed_mix(period, seed, typical)
            db.session.commit()
            seeded = time.perf_counter() - seeded
            if kind == "postgresql":
                db.session.execute(db.text("ANALYZE"))
                db.session.commit()
            rss_seeded = peak_rss_mb()
            # The floors run first, so the close does not get a warmer cache than they do.
            floor, sums = time_floor(period)
            raw = copy = None
            raw_steps = {}
            from bench.raw_close import Unsupported, first_ids

            before = first_ids()
            try:
                raw, raw_rows, copy = time_raw_floor(kind, url, period, before)
                raw_steps = raw_rows.pop("steps")
            except Unsupported as refusal:
                print(f"no raw-SQL close: {refusal}", file=sys.stderr)
            with timed_steps() as steps:
                started, cpu = time.perf_counter(), time.process_time()
                if os.environ.get("CLOSE_PROFILE"):  # a file for the close's cProfile stats
                    import cProfile

                    profiler = cProfile.Profile()
                    profiler.enable()
                result = close_period(period)
                db.session.commit()
                close = time.perf_counter() - started
                cpu = time.process_time() - cpu
                if os.environ.get("CLOSE_PROFILE"):
                    profiler.disable()
                    profiler.dump_stats(os.environ["CLOSE_PROFILE"])
            used = dict(
                db.session.execute(
                    db.select(UsageRecord.subscription_id, UsageRecord.used_minutes).where(
                        UsageRecord.used_minutes > 0
                    )
                ).all()
            )
            if used != sums:
                raise SystemExit("The close's used minutes differ from the floor's sums.")
            peak = peak_rss_mb()
            same = check_same_rows(kind, copy, before, raw_rows) if copy is not None else 0
            pools = pools_written(result.period_id) if mix else {}
            figures = {
                "db": kind,
                "mix": mix,
                "subscriptions": subscriptions,
                "entries": entries,
                "seed_s": round(seeded, 2),
                "close_s": round(close, 3),
                "close_cpu_s": round(cpu, 3),
                "floor_s": round(floor, 3),
                "ratio": round(close / floor, 2),
                "raw_s": round(raw, 3) if raw else None,
                "raw_ratio": round(close / raw, 2) if raw else None,
                "same_rows": same,
                "raw_steps": raw_steps,
                "items": result.item_count,
                "invoices": result.invoice_count,
                **pools,
                "rss_after_seed_mb": round(rss_seeded, 1),
                "peak_rss_mb": round(peak, 1),
                "steps": {step: round(seconds, 3) for step, seconds in steps.items()},
            }
            db.session.remove()
            db.engine.dispose()
        return figures
    finally:
        drop_database(url)
        if copy is not None:
            drop_database(copy)


def print_row(figures: dict) -> None:
    """One size's figures, readable."""
    mix = figures.get("mix")
    pools = f"  pool uses {figures['pool_uses']}  carries {figures['carries']}" if mix else ""
    raw_s = f"{figures['raw_s']:>7.3f} s" if figures.get("raw_s") else "-"
    raw_ratio = f"{figures['raw_ratio']:>5.2f}" if figures.get("raw_ratio") else "-"
    print(
        f"{figures['db']:<10}{' mix' if mix else ''}"
        f" subs {figures['subscriptions']:>6}  entries {figures['entries']:>8}"
        f"  seed {figures['seed_s']:>6.1f} s  close {figures['close_s']:>7.3f} s"
        f"  floor {figures['floor_s']:>7.3f} s  ratio {figures['ratio']:>5.2f}"
        f"  raw-sql {raw_s}  ratio {raw_ratio}"
        f"  items {figures['items']}  invoices {figures['invoices']}{pools}"
        f"  peak RSS {figures['peak_rss_mb']:.0f} MB"
        f" (after seeding {figures['rss_after_seed_mb']:.0f})"
    )
    print(f"  the close's own CPU time (this process): {figures['close_cpu_s']:.3f} s")
    if figures.get("same_rows"):
        print(f"  the close wrote the raw-SQL close's {figures['same_rows']} rows exactly")
    print("  close steps: " + ", ".join(f"{k} {v:.3f} s" for k, v in figures["steps"].items()))
    if figures.get("raw_steps"):
        steps = figures["raw_steps"].items()
        print("  raw-sql steps: " + ", ".join(f"{k} {v:.3f} s" for k, v in steps))


def main() -> None:
    """Parse the arguments, run one size here or each size in a child process."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--sizes", help="comma-separated entry counts, each in its own process")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mix",
        action="store_true",
        help="a third of the subscriptions on rollover, a third on prepaid blocks",
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.sizes:
        figures = run_one(args.db, args.subscriptions, args.entries, args.seed, args.mix)
        if args.json:
            print(json.dumps(figures))
            return
        print_row(figures)
        print_summary(figures)
        return
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--json", "--db", args.db, "--seed", str(args.seed)]
        command += ["--subscriptions", str(args.subscriptions), "--entries", str(size)]
        command += ["--mix"] if args.mix else []
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
            + (
                f", raw-sql x{figures['raw_s'] / first['raw_s']:.2f}"
                if figures.get("raw_s") and first.get("raw_s")
                else ""
            )
        )
    worst = max(results, key=lambda r: r["ratio"])
    print(f"worst close/floor ratio {worst['ratio']:.2f} at {worst['entries']} entries")
    # The summary is the largest size's ratio: the size the goal is set at.
    print_summary(results[-1])


def print_summary(figures: dict) -> None:
    """The last line: the close against the raw-SQL close (the aggregate-only ratio is in
    the row above it)."""
    if figures.get("raw_ratio") is None:
        print("close/raw-sql ratio: n/a (the raw-SQL close does not bill this data)")
        return
    print(f"close/raw-sql ratio: {figures['raw_ratio']:.2f}")


if __name__ == "__main__":
    main()
