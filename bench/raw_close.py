# ruff: noqa: S608 - the SQL is this file's own text; every value is a bound parameter
"""The raw-SQL close: what `close_period` writes, as hand-written set-based SQL.

One `INSERT … SELECT` per table the close writes (billing_period, subscription_usage,
invoice, billable_item, invoice_tax, invoice_line, audit_log, outbox_message, counter), in
the same schema with all its constraints and indexes, on SQLite and PostgreSQL. Python
only works out the close's constants once (the period's dates, the first free ids and
invoice number, the seller snapshot, the texts of the items and the invoice mail with
stand-ins for the values that differ); every row is computed by the database.

It bills what the benchmark's data holds (bench/close.py without --mix, `seed_load`):
package and hourly subscriptions, not prorated (started before the month), no carry-over or
blocks, clients in English with the default tax treatment and rate, no billing emails and
no pending one-off items. `check_assumptions` refuses any other database rather than write
different rows; bench/close.py compares every row it writes with the close's.

The invoice mail: the close renders each message from the templates through a stencil
(portal.services.mail.billing); the floor takes the same stencil's text and fills in the
values by SQL string concatenation, with HTML escaping done by REPLACE — the same bytes as
the close's (checked), only the Message-ID differs (random in the close, id-based here).
"""

import json
import re
import time
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import Date, bindparam, text

from portal.extensions import db
from portal.models.types import UTCDateTime, utcnow

# What the floor writes, in the order of its statements (bench/close.py compares these).
TABLES = (
    "billing_period",
    "subscription_usage",
    "hour_pool_use",
    "hour_pool",
    "invoice",
    "billable_item",
    "invoice_tax",
    "invoice_line",
    "audit_log",
    "outbox_message",
)
# Pools valid in the month, with what closed months left of them (one per subscription).
POOLS = """
    SELECT h.subscription_id, h.id, h.kind, h.valid_until,
        h.minutes - COALESCE((SELECT SUM(x.minutes) FROM hour_pool_use x
                              WHERE x.pool_id = h.id), 0) AS left_minutes
    FROM hour_pool h WHERE h.valid_from <= :last AND h.valid_until >= :first"""
KIND_ORDER = "CASE {k} WHEN 'block_fee' THEN 0 WHEN 'package_fee' THEN 1 WHEN 'overtime' THEN 2 WHEN 'hourly' THEN 3 ELSE 4 END"  # noqa: E501


class Unsupported(Exception):
    """The database holds something the raw floor does not bill."""


def check_assumptions(first, last) -> None:
    """Refuse data the floor's SQL does not bill as the close would."""
    checks = {
        "a prorated or ended subscription": """
            SELECT COUNT(*) FROM subscription s
            WHERE s.start_date <= :last AND (s.end_date IS NULL OR s.end_date >= :first)
              AND (s.start_date > :first OR s.end_date IS NOT NULL)""",
        "rollover plans of different lengths": """
            SELECT COUNT(DISTINCT rollover_months) > 1 FROM subscription
            WHERE rollover_months > 0""",
        "more than one pool of hours in a subscription's month": """
            SELECT COUNT(*) FROM (
                SELECT subscription_id FROM hour_pool
                WHERE valid_from <= :last AND valid_until >= :first
                GROUP BY subscription_id HAVING COUNT(*) > 1) x""",
        "a pool its plan does not draw on": """
            SELECT COUNT(*) FROM hour_pool h JOIN subscription s ON s.id = h.subscription_id
            WHERE h.valid_from <= :last AND h.valid_until >= :first
              AND NOT ((h.kind = 'carry' AND s.model = 'package')
                       OR (h.kind = 'block' AND s.model = 'block'))""",
        "a client not in English, with billing emails, or not standard-taxed": """
            SELECT COUNT(*) FROM client c
            WHERE COALESCE(c.language, 'en') <> 'en' OR c.tax_treatment <> 'standard'
               OR c.tax_rate_id IS NOT NULL OR c.email = ''
               OR (c.billing_emails IS NOT NULL AND CAST(c.billing_emails AS TEXT) <> '[]')""",
        "a pending one-off item": """
            SELECT COUNT(*) FROM billable_item b
            WHERE b.kind = 'one_off' AND b.period_id IS NULL AND b.invoice_id IS NULL""",
        "more than one currency": "SELECT COUNT(DISTINCT currency_id) > 1 FROM subscription",
    }
    for what, sql in checks.items():
        used = [name for name in ("first", "last") if f":{name}" in sql]
        found = db.session.execute(
            text(sql).bindparams(*(bindparam(name, type_=Date) for name in used)),
            {name: {"first": first, "last": last}[name] for name in used},
        ).scalar()
        if found:
            raise Unsupported(f"the raw-SQL close does not bill {what}")


def _money(dialect: str):
    """SQL for the money arithmetic: SQLite keeps 1/10000s in integers, PostgreSQL NUMERIC."""
    if dialect == "sqlite":
        return SimpleNamespace(
            # minutes x rate / 60, half-up to cents (quarter hours: exact before rounding)
            hours_at=lambda m, r: f"((({m}) * ({r}) + 3000) / 6000 * 100)",
            quantity=lambda m: f"(({m}) * 10000 / 60)",
            one="10000",
            tax=lambda net, pct: f"((({net}) * ({pct}) + 5000000) / 10000000 * 100)",
            # 1234.5000 -> '1234.50' (str of the rounded Decimal) and '1,234.50'
            plain=lambda v: f"printf('%d.%02d', ({v}) / 10000, (({v}) / 100) % 100)",
            grouped=lambda v: f"printf('%,d.%02d', ({v}) / 10000, (({v}) / 100) % 100)",
            least=lambda a, b: f"min({a}, {b})",
            greatest=lambda a, b: f"max({a}, {b})",
            json_object="json_object",
            json_array="json_array",
            json=lambda v: f"json({v})",
            text=lambda v: f"CAST({v} AS TEXT)",
        )
    return SimpleNamespace(
        hours_at=lambda m, r: f"round(({m}) * ({r}) / 60, 2)",
        quantity=lambda m: f"round(({m})::numeric / 60, 4)",
        one="1",
        tax=lambda net, pct: f"round(({net}) * ({pct}) / 100, 2)",
        plain=lambda v: f"round({v}, 2)::text",
        grouped=lambda v: (
            f"to_char(trunc({v}), 'FM999,999,999,999,990') || '.' ||"
            f" lpad((round({v} * 100)::bigint % 100)::text, 2, '0')"
        ),
        least=lambda a, b: f"LEAST({a}, {b})",
        greatest=lambda a, b: f"GREATEST({a}, {b})",
        json_object="json_build_object",
        json_array="json_build_array",
        json=lambda v: f"({v})::json",
        text=lambda v: f"({v})::text",
    )


def _escape(expression: str) -> str:
    """HTML escaping in SQL, as markupsafe escapes a value in an autoescaped template."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;")):
        expression = f"REPLACE({expression}, '{char}', '{entity}')"
    return f"REPLACE({expression}, '''', '&#39;')"


def _concat(template: str, values: dict[str, str], params: dict, prefix: str) -> str:
    """A text with stand-ins as SQL: its literal pieces as parameters, joined by `||` with
    the SQL of each stand-in's value."""
    from portal.services.mail.billing import _STAND_IN

    parts, position = [], 0
    for found in _STAND_IN.finditer(template):
        parts.append(template[position : found.start()])
        parts.append((found.group(1),))
        position = found.end()
    parts.append(template[position:])
    sql = []
    for part in parts:
        if isinstance(part, tuple):
            sql.append(f"({values[part[0]]})")
        elif part:
            name = f"{prefix}{len(params)}"
            params[name] = part
            sql.append(f":{name}")
    return " || ".join(sql) or "''"


def constants(period: str) -> dict:
    """What the close works out once per close, as the close works it out (in English)."""
    from portal.i18n import speaking

    with speaking("en"):
        return _constants(period)


def _constants(period: str) -> dict:
    """See constants."""
    from portal.models import Currency, TaxRate
    from portal.services.billing.close import describe
    from portal.services.billing.invoices import format_number, seller_snapshot
    from portal.services.billing.periods import period_bounds
    from portal.services.billing.taxes import treatment_rate
    from portal.services.mail.billing import _STAND_INS, _issued_subject, _issued_values
    from portal.services.mail.compose import new_message_id, sender_address
    from portal.services.mail.outbox import portal_url
    from portal.services.settings import business_today, get_settings

    first, last = period_bounds(period)
    settings = get_settings()
    issue = business_today()
    currency = db.session.scalar(db.select(Currency).order_by(Currency.id).limit(1))
    if currency.decimals != 2 or not (currency.prefix or currency.suffix):
        raise Unsupported("the raw-SQL close formats amounts of two places with a prefix")
    default = db.session.scalar(db.select(TaxRate).filter_by(is_default=True))
    rate = treatment_rate("standard", "", (default.name, default.percent) if default else None)
    number = format_number(settings["invoice_number_format"], issue, 987654321).split("987654321")
    url = portal_url("client.invoice", invoice_id=987654321).split("987654321")
    stand_in = "\ue000plan\ue001"
    texts = {}
    for key, kind, model in (
        ("package_fee", "package_fee", "package"),
        ("overtime", "overtime", "package"),
        ("hourly", "hourly", "hourly"),
        ("block_overtime", "overtime", "block"),
    ):
        month = SimpleNamespace(
            bill=SimpleNamespace(period=period, fraction=Decimal(1)),
            plan_name=stand_in,
            terms=SimpleNamespace(model=model),
        )
        texts[key] = describe(month, kind).split(stand_in)
    seller = seller_snapshot()
    invoice = {
        "id": 987654321,
        "number": "N",
        "kind": "invoice",
        "client_id": None,
        "issue_date": issue,
        "due_date": issue + timedelta(days=int(settings["due_days"])),
        "seller": seller,
        "buyer": {"emails": ["x@example.com"]},
    }
    held = not settings["send_invoices_automatically"]
    mail = _issued_values(invoice, held, "T", **_STAND_INS)
    return {
        "first": first,
        "last": last,
        "issue": issue,
        "due": invoice["due_date"],
        "currency": currency,
        "rate": rate,
        "number": number,
        "url": url,
        "texts": texts,
        "seller": json.dumps(seller),
        "mail": mail,
        "subject": _issued_subject(invoice, _STAND_INS["number"]),
        "domain": new_message_id().rstrip(">").rpartition("@")[2],
        "sender": sender_address(),
    }


def raw_close(period: str) -> dict[str, tuple[int, float]]:
    """Close `period` with one INSERT … SELECT per table; (rows, seconds) per table. The
    caller commits (or rolls back)."""
    dialect = db.session.get_bind().dialect.name
    m = _money(dialect)
    c = constants(period)
    check_assumptions(c["first"], c["last"])
    now = utcnow()
    params: dict = {
        "period": period,
        "first": c["first"],
        "last": c["last"],
        "issue": c["issue"],
        "due": c["due"],
        "now": now,
        "seller": c["seller"],
        "tax_name": c["rate"].name,
        "tax_category": c["rate"].category,
        "number_head": c["number"][0],
        "number_tail": c["number"][1],
        "status": c["mail"]["status"],
        "sender": c["sender"],
        "stem": f"<{int(now.timestamp() * 100)}.raw.",
        "domain": c["domain"],
        "no": False,
        "key_head": "invoice:",
        "key_tail": ":issued",
    }
    for kind, (head, tail) in c["texts"].items():
        params[f"{kind}_head"], params[f"{kind}_tail"] = head, tail
    from portal.services.billing.ledger import carry_validity

    months = db.session.execute(
        text("SELECT MAX(rollover_months) FROM subscription WHERE rollover_months > 0")
    ).scalar()
    params["carry_from"], params["carry_until"] = carry_validity(
        SimpleNamespace(rollover_months=months or 1, end_date=None), period
    )
    percent = c["rate"].percent
    params["tax_percent"] = int(percent * 1000) if dialect == "sqlite" else percent
    if dialect == "postgresql":
        # The ids the close's reserve_ids would take: the next values of the sequences.
        bases = {
            t: db.session.execute(
                text(f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {s}")  # noqa: S608
            ).scalar()
            for t, s in (
                ("billable_item", "billable_item_id_seq"),
                ("invoice", "invoice_id_seq"),
            )
        }
    else:
        bases = {
            t: db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {t}")).scalar()  # noqa: S608
            for t in ("billable_item", "invoice")
        }
    params["item_base"], params["invoice_base"] = bases["billable_item"], bases["invoice"]
    db.session.execute(
        text(
            "INSERT INTO counter (name, value) VALUES ('invoice', 0) ON CONFLICT (name) DO NOTHING"
        )
    )
    params["seq_base"] = db.session.execute(
        text("SELECT value FROM counter WHERE name = 'invoice'")
    ).scalar()
    # The texts of the mail, as SQL over the invoice (i) and its client (c).
    name = "COALESCE(NULLIF(c.legal_name, ''), c.name)"
    values = {
        "recipient_name": name,
        "number": "i.number",
        "total": f":currency_prefix || {m.grouped('i.total')} || :currency_suffix",
        "invoice_url": f":url_head || {m.text('i.id')} || :url_tail",
    }
    params["currency_prefix"] = c["currency"].prefix
    params["currency_suffix"] = c["currency"].suffix
    params["url_head"], params["url_tail"] = c["url"]
    values["subject"] = _concat(c["subject"], values, params, "subject")
    escaped = {key: _escape(value) for key, value in values.items()}
    body_text = _concat(c["mail"]["body_text"], values, params, "text")
    body_html = _concat(c["mail"]["body_html"], escaped, params, "html")
    ot_amount = m.hours_at("u.overtime_minutes", "s.rate")
    package_fee = "CASE WHEN s.model = 'package' AND s.fee > 0 THEN s.fee ELSE 0 END"
    usage = """
        FROM subscription_usage u JOIN subscription s ON s.id = u.subscription_id
        WHERE u.period_id = :period_id"""
    line = """SELECT s.client_id, s.id AS subscription_id, s.start_date, s.currency_id,
               p.name AS plan, {order} AS ord, '{kind}' AS kind, '{text}' AS text_key,
               {minutes} AS minutes,
               {quantity} AS quantity, {rate} AS unit_rate, {amount} AS amount
        FROM subscription_usage u JOIN subscription s ON s.id = u.subscription_id
        JOIN plan p ON p.id = s.plan_id
        WHERE u.period_id = :period_id AND {where}"""
    lines = " UNION ALL ".join(
        line.format(order=order, kind=kind, text=key, minutes=minutes, quantity=quantity,
                    rate=rate, amount=amount, where=where)
        for order, kind, key, minutes, quantity, rate, amount, where in (
            (1, "package_fee", "package_fee", "u.included_minutes", m.one, "s.fee", "s.fee",
             "s.model = 'package' AND s.fee > 0"),
            (2, "overtime", "overtime", "u.overtime_minutes", m.quantity("u.overtime_minutes"),
             "s.rate", ot_amount, f"s.model = 'package' AND {ot_amount} > 0"),
            (3, "hourly", "hourly", "u.overtime_minutes", m.quantity("u.overtime_minutes"),
             "s.rate", ot_amount, f"s.model = 'hourly' AND {ot_amount} > 0"),
            (2, "overtime", "block_overtime", "u.overtime_minutes",
             m.quantity("u.overtime_minutes"), "s.rate", ot_amount,
             f"s.model = 'block' AND {ot_amount} > 0"),
        )
    )  # fmt: skip
    describe = " ".join(
        f"WHEN '{key}' THEN :{key}_head || l.plan || :{key}_tail" for key in c["texts"]
    )
    buyer = (
        f"{m.json_object}('name', {name},"
        f" 'address_lines', {m.json('COALESCE(c.address_lines, ' + chr(39) + '[]' + chr(39) + ')')},"  # noqa: E501
        " 'postal_code', c.postal_code, 'city', c.city, 'country', c.country,"
        f" 'tax_id', c.tax_id, 'emails', {m.json_array}(c.email),"
        " 'po_reference', c.po_reference, 'language', c.language)"
    )
    statements = {
        "billing_period": """
            INSERT INTO billing_period (period, closed_at) VALUES (:period, :now)""",
        # The month's billable minutes of tracked tickets, per subscription.
        # The month's billable minutes of tracked tickets, per subscription, drawn from its
        # pool (a carry-over for a rollover package, a block for a block plan) first.
        "subscription_usage": f"""
            INSERT INTO subscription_usage (client_id, subscription_id, period_id,
                included_minutes, used_minutes, overtime_minutes, carried_in_minutes,
                carry_used_minutes, carried_out_minutes, block_in_minutes, block_used_minutes)
            SELECT client_id, id, :period_id, included, used,
                CASE WHEN model = 'package' THEN {m.greatest("0", "used - taken - included")}
                     ELSE used - taken END,
                carry_in, carry_taken,
                CASE WHEN carry_out_months = 0 THEN 0
                     WHEN cap IS NULL THEN {m.greatest("0", "included - (used - taken)")}
                     ELSE {
            m.greatest(
                "0",
                m.least(
                    m.greatest("0", "included - (used - taken)"),
                    "cap - (carry_in - carry_taken) * staying",
                ),
            )
        }
                END,
                block_in, taken - carry_taken
            FROM (
                SELECT s.id, s.client_id, s.start_date, s.model, s.rollover_cap_minutes AS cap,
                    s.rollover_months AS carry_out_months,
                    CASE WHEN s.model = 'package' THEN s.included_minutes ELSE 0 END AS included,
                    COALESCE(t.used, 0) AS used,
                    {m.least("COALESCE(p.left_minutes, 0)", "COALESCE(t.used, 0)")} AS taken,
                    CASE WHEN p.kind = 'carry' THEN p.left_minutes ELSE 0 END AS carry_in,
                    CASE WHEN p.kind = 'carry'
                         THEN {m.least("p.left_minutes", "COALESCE(t.used, 0)")} ELSE 0 END
                        AS carry_taken,
                    CASE WHEN p.kind = 'block' THEN p.left_minutes ELSE 0 END AS block_in,
                    CASE WHEN p.valid_until > :last THEN 1 ELSE 0 END AS staying
                FROM subscription s
                LEFT JOIN (
                    SELECT e.subscription_id, SUM(e.minutes) AS used
                    FROM time_entry e JOIN ticket k ON k.id = e.ticket_id
                    WHERE e.billable AND k.time_tracking
                      AND e.work_date >= :first AND e.work_date <= :last
                    GROUP BY e.subscription_id
                ) t ON t.subscription_id = s.id
                LEFT JOIN ({POOLS}) p ON p.subscription_id = s.id
                WHERE s.start_date <= :last AND (s.end_date IS NULL OR s.end_date >= :first)
            ) b
            ORDER BY client_id, start_date""",
        "hour_pool_use": f"""
            INSERT INTO hour_pool_use (pool_id, period_id, minutes)
            SELECT p.id, :period_id, u.carry_used_minutes + u.block_used_minutes
            FROM subscription_usage u JOIN subscription s ON s.id = u.subscription_id
            JOIN ({POOLS}) p ON p.subscription_id = u.subscription_id
            WHERE u.period_id = :period_id AND u.carry_used_minutes + u.block_used_minutes > 0
            ORDER BY s.client_id, s.start_date""",
        "hour_pool": """
            INSERT INTO hour_pool (client_id, subscription_id, kind, minutes, valid_from,
                valid_until, period_id, created_at)
            SELECT u.client_id, u.subscription_id, 'carry', u.carried_out_minutes,
                :carry_from, :carry_until, :period_id, :now
            FROM subscription_usage u JOIN subscription s ON s.id = u.subscription_id
            WHERE u.period_id = :period_id AND u.carried_out_minutes > 0
            ORDER BY s.client_id, s.start_date""",
        "invoice": f"""
            INSERT INTO invoice (id, number, kind, client_id, period_id, currency_id, status,
                issue_date, due_date, net_total, tax_total, total, paid_total, seller, buyer,
                tax_treatment, notes, created_at)
            SELECT :invoice_base + n.rn,
                :number_head || {
            "printf('%04d', :seq_base + n.rn)"
            if dialect == "sqlite"
            else "lpad((:seq_base + n.rn)::text, GREATEST(4, length((:seq_base + n.rn)::text)), '0')"
        } || :number_tail,
                'invoice', n.client_id, :period_id, n.currency_id, 'Unpaid', :issue, :due,
                n.net, {m.tax("n.net", ":tax_percent")}, n.net + {m.tax("n.net", ":tax_percent")},
                0, {m.json(":seller")}, {buyer}, c.tax_treatment, {m.json("'[]'")}, :now
            FROM (
                SELECT s.client_id, MIN(s.currency_id) AS currency_id,
                       SUM({package_fee} + CASE WHEN {ot_amount} > 0 THEN {ot_amount} ELSE 0 END)
                           AS net,
                       ROW_NUMBER() OVER (ORDER BY s.client_id) AS rn
                {usage}
                GROUP BY s.client_id
                HAVING SUM({package_fee} + CASE WHEN {ot_amount} > 0 THEN {
            ot_amount
        } ELSE 0 END) > 0
            ) n JOIN client c ON c.id = n.client_id
            ORDER BY n.rn""",  # noqa: E501
        "billable_item": f"""
            INSERT INTO billable_item (id, client_id, subscription_id, period_id, kind,
                description, minutes, quantity, unit_rate, amount, currency_id, invoice_id,
                created_at)
            SELECT :item_base + ROW_NUMBER() OVER (ORDER BY l.client_id, l.start_date, l.ord),
                l.client_id, l.subscription_id, :period_id, l.kind,
                CASE l.text_key {describe} END, l.minutes, l.quantity, l.unit_rate, l.amount,
                l.currency_id, i.id, :now
            FROM ({lines}) l JOIN invoice i ON i.client_id = l.client_id AND i.period_id = :period_id
            ORDER BY l.client_id, l.start_date, l.ord""",  # noqa: E501
        "invoice_tax": """
            INSERT INTO invoice_tax (invoice_id, position, name, percent, category,
                exemption_reason, net, tax)
            SELECT i.id, 1, :tax_name, :tax_percent, :tax_category, '', i.net_total, i.tax_total
            FROM invoice i WHERE i.period_id = :period_id ORDER BY i.id""",
        "invoice_line": f"""
            INSERT INTO invoice_line (invoice_id, billable_item_id, position, kind, description,
                minutes, quantity, unit_rate, amount, tax_name, tax_percent, tax_category)
            SELECT b.invoice_id, b.id,
                ROW_NUMBER() OVER (PARTITION BY b.invoice_id
                                   ORDER BY {KIND_ORDER.format(k="b.kind")}, b.id),
                b.kind, b.description, b.minutes, b.quantity, b.unit_rate, b.amount,
                :tax_name, :tax_percent, :tax_category
            FROM billable_item b WHERE b.period_id = :period_id
            ORDER BY b.invoice_id, {KIND_ORDER.format(k="b.kind")}, b.id""",
        "audit_log": f"""
            INSERT INTO audit_log (at, action, object_type, object_id, "before", "after")
            SELECT :now, action, object_type, object_id, "before", "after" FROM (
                SELECT 0 AS o, i.id AS object_id, 'invoice.issue' AS action,
                    'invoice' AS object_type, NULL AS "before",
                    {m.json_object}('number', i.number, 'total', {m.plain("i.total")}) AS "after"
                FROM invoice i WHERE i.period_id = :period_id
                UNION ALL
                SELECT 1, :period_id, 'period.close', 'billing_period', {m.json("'null'")},
                    {m.json_object}('period', {m.text(":period")},
                        'items', (SELECT COUNT(*) FROM billable_item WHERE period_id = :period_id),
                        'invoices', (SELECT COUNT(*) FROM invoice WHERE period_id = :period_id))
            ) a ORDER BY o, object_id""",
        "outbox_message": f"""
            INSERT INTO outbox_message (event_key, kind, status, message_id, sender,
                recipients, subject, body_text, body_html, attempts, next_attempt_at,
                created_at, client_id, invoice_id, to_staff)
            SELECT :key_head || {m.text("i.id")} || :key_tail, 'invoice_issued', :status,
                :stem || {m.text("i.id")} || '@' || :domain || '>', :sender,
                {m.json_array}(c.email), {values["subject"]}, {body_text}, {body_html}, 0,
                :now, :now, i.client_id, i.id, :no
            FROM invoice i JOIN client c ON c.id = i.client_id
            WHERE i.period_id = :period_id ORDER BY i.id""",
        "counter": """
            UPDATE counter SET value = :seq_base
                + (SELECT COUNT(*) FROM invoice WHERE period_id = :period_id)
            WHERE name = 'invoice'""",
    }
    types = {
        "carry_from": Date(),
        "carry_until": Date(),
        "first": Date(),
        "last": Date(),
        "issue": Date(),
        "due": Date(),
        "now": UTCDateTime(),
    }
    counts, seconds = {}, {}
    for table, sql in statements.items():
        started = time.perf_counter()
        statement = text(sql)
        used = set(re.findall(r"(?<!:):(\w+)", sql))
        statement = statement.bindparams(
            *(bindparam(key, type_=types[key]) for key in used if key in types)
        )
        result = db.session.execute(statement, {k: v for k, v in params.items() if k in used})
        counts[table] = result.rowcount
        seconds[table] = time.perf_counter() - started
        if table == "billing_period":
            params["period_id"] = db.session.execute(
                text("SELECT id FROM billing_period WHERE period = :period"), {"period": period}
            ).scalar()
    if dialect == "postgresql":
        for table in ("billable_item", "invoice"):
            db.session.execute(
                text(
                    f"SELECT setval('{table}_id_seq', GREATEST(:base,"
                    f" (SELECT COALESCE(MAX(id), 0) FROM {table})), true)"
                ),
                {"base": bases[table] or 1},
            )
    return {table: (counts[table], seconds[table]) for table in counts}


# Columns that differ between two closes of the same data by nature: the times they ran
# and the random part of a Message-ID. Everything else, ids included, must be equal.
IGNORED = {"closed_at", "created_at", "at", "next_attempt_at", "message_id"}


def first_ids() -> dict[str, int]:
    """The largest id of every table the close writes, before it writes."""
    return {
        table: db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar()  # noqa: S608
        for table in TABLES
    }


def _normal(value):
    """A value as compared: JSON by content (key order and spacing aside)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, default=str)
    return value


def _rows(table: str, after: int):
    """The rows a close wrote to a table (id above `after`), by id, compared columns only."""
    model = db.metadata.tables[table]
    columns = [c for c in model.columns if c.name not in IGNORED]
    query = db.select(*columns).where(model.c.id > after).order_by(model.c.id)
    result = db.session.execute(query.execution_options(yield_per=2000))
    for row in result:
        yield tuple(_normal(v) for v in row)


def digests(after: dict[str, int]) -> dict[str, list[bytes]]:
    """Per table, a short hash of each row the close wrote (streamed: the bodies of 10,000
    messages are never held at once), and the invoice counter."""
    import hashlib

    found = {
        table: [
            hashlib.blake2b(repr(row).encode(), digest_size=8).digest()
            for row in _rows(table, after[table])
        ]
        for table in TABLES
    }
    value = db.session.execute(text("SELECT value FROM counter WHERE name = 'invoice'")).scalar()
    found["counter"] = [repr(value).encode()]
    return found


def row_at(table: str, after: int, index: int):
    """The index-th row a close wrote to a table, as compared (for a report of a difference)."""
    for position, row in enumerate(_rows(table, after)):
        if position == index:
            return row
    return None


def first_difference(mine: dict, theirs: dict) -> tuple[str, int] | None:
    """(table, row index) of the first row that differs, or None when every row is equal."""
    for table in mine:
        a, b = mine[table], theirs.get(table, [])
        for index in range(max(len(a), len(b))):
            if index >= len(a) or index >= len(b) or a[index] != b[index]:
                return table, index
    return None
