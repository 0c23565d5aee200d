"""Security tests: who may call what, and CSRF on every form.

What both test modules share: the seeded world the URLs are filled from, one role's session
(browser and API token), and a digest of the whole database to prove nothing changed.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from werkzeug.routing import Rule

from portal.extensions import db
from portal.models import ApiToken, Attachment, Invoice
from portal.services.billing.close import close_period
from portal.services.billing.periods import period_of
from portal.services.billing.profiles import save_business_profile
from portal.services.tickets.time_entries import TimeInput, log_time
from tests.helpers import AuthActions, csrf_token_from, last_month_start, today
from tests.security.routes import is_api

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
OWN_TOKEN = object()  # RoleSession.send: use the session's own CSRF token


@dataclass
class World:
    """Two client accounts with a ticket, an entry, an invoice, emails and a token each;
    staff."""

    args: dict[str, dict[str, object]]  # "a" / "b" -> URL argument values
    emails: dict[str, str]  # role -> login email
    tokens: dict[str, str]  # role -> API token
    secrets: tuple[str, ...]  # client A's data that nobody else may see

    def url_values(self, rule: Rule, owner: str = "a") -> dict[str, object]:
        """Values for the rule's arguments from client `owner`'s ("a" or "b") objects."""
        return {name: self.args[owner][name] for name in rule.arguments}


def seed_world(f) -> World:
    """Clients A and B on one plan with a ticket, an operator's entry, an invoice, a sent
    and a held email each."""
    f.currency("EUR", is_default=True)
    plan = f.plan("Standard", prices={"EUR": ("200.00", "60.00")})
    tax_rate = f.tax_rate("VAT 23%", "23", country="PL", is_default=True)
    operator = f.user("operator", email="olga.operator@example.com", name="Olga Operator")
    admin = f.user("admin", email="adam.admin@example.com", name="Adam Admin")
    seller = {"legal_name": "Seller Sp. z o.o.", "address_lines": ["ul. Prosta 1"]}
    save_business_profile(seller | {"city": "Warszawa", "country": "PL"}, admin)
    closed_month_start = (last_month_start() - timedelta(days=1)).replace(day=1)
    period = period_of(closed_month_start)
    names = {"a": "Acme Secretcorp Alpha", "b": "Bravo Holdings Beta"}
    subjects = {"a": "Alpha mail server leaks", "b": "Bravo printer jam"}
    people = {"a": "alice.alpha@example.com", "b": "bob.beta@example.com"}
    made = {}
    for side in ("a", "b"):
        client = f.client(name=names[side])
        person = f.user("client", email=people[side], client=client, name=f"Person {side}")
        sub = f.subscription(client, plan, closed_month_start)
        ticket = f.ticket(client, subject=subjects[side])
        entry = log_time(ticket, operator, TimeInput(60, today(), "Checked the logs"))
        file = Attachment(filename=f"{side}.log", content_type="text/plain", size=3, data=b"log")
        ticket.messages[0].attachments.append(file)
        db.session.commit()
        # A ticket answer sent to the client's person, its subject the ticket's (a secret),
        # and an invoice mail held for review (what "release held" sends).
        email = f.outbox_message(
            client,
            "ticket_reply",
            subject=f"[#{ticket.number}] {ticket.subject}",
            recipients=[person.email],
            ticket_id=ticket.id,
        )
        f.outbox_message(client, "invoice_issued", status="held", recipients=[person.email])
        made[side] = (client, person, sub, ticket, entry, email)
    close_period(period)
    db.session.commit()
    tokens = {
        "client_a": f.api_token(made["a"][1]),
        "client_b": f.api_token(made["b"][1]),
        "operator": f.api_token(operator),
        "admin": f.api_token(admin),
    }
    args = {}
    invoice_numbers = {}
    for side, (client, person, sub, ticket, entry, email) in made.items():
        invoice = db.session.scalar(db.select(Invoice).filter_by(client_id=client.id))
        token = db.session.scalar(db.select(ApiToken).filter_by(user_id=person.id))
        invoice_numbers[side] = invoice.number
        args[side] = {
            "client_id": client.id,
            "ticket_id": ticket.id,
            "attachment_id": ticket.messages[0].attachments[0].id,
            "email_id": email.id,
            "entry_id": entry.id,
            "invoice_id": invoice.id,
            "subscription_id": sub.id,
            "user_id": person.id,
            "token_id": token.id,
            "plan_id": plan.id,  # shared: plans and currencies belong to nobody
            "currency_id": plan.prices[0].currency_id,
            "tax_rate_id": tax_rate.id,
            "period": period,
            "action": "cancel",
            "token": "not-a-mailed-link",  # a reset or invitation link's token
        }
    return World(
        args=args,
        emails={
            "client_a": people["a"],
            "client_b": people["b"],
            "operator": operator.email,
            "admin": admin.email,
        },
        tokens=tokens,
        secrets=(names["a"], subjects["a"], invoice_numbers["a"]),
    )


class RoleSession:
    """One role's two doors: a browser session with its CSRF token, and its API token."""

    def __init__(self, app, world: World, role: str):
        """Log in through the real form (unless anonymous) and take a CSRF token."""
        self.role = role
        self.browser = app.test_client()
        self.api = app.test_client(use_cookies=False)
        self.token = world.tokens.get(role)
        self.home = "/login"
        if role == "anonymous":
            page = self.browser.get(self.home)
        else:
            answer = AuthActions(self.browser).login(world.emails[role])
            assert answer.status_code == 302, f"{role} could not log in"
            self.home = answer.headers["Location"]
            page = self.browser.get(self.home)
        self.csrf = csrf_token_from(page.text)

    def send(self, rule: Rule, method: str, url: str, data=None, csrf_token=OWN_TOKEN):
        """Request `url` through its rule's door: the API with the bearer token, pages with
        this session's CSRF token on writes (or `csrf_token`: another one, or None)."""
        if is_api(rule.endpoint):
            headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
            body = {"json": data or {}} if method in WRITE_METHODS - {"DELETE"} else {}
            return self.api.open(url, method=method, headers=headers, **body)
        if method in WRITE_METHODS:
            data = dict(data or {})
            token = self.csrf if csrf_token is OWN_TOKEN else csrf_token
            if token is not None:
                data["csrf_token"] = token
        return self.browser.open(url, method=method, data=data)


def database_digest() -> str:
    """A digest of every row of every table: equal digests mean nothing changed."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        query = db.select(table).order_by(*table.primary_key.columns)
        rows = db.session.execute(query).all()
        digest.update(f"{table.name}:{rows!r};".encode())
    db.session.commit()  # end the read, so the next request starts from a fresh transaction
    return digest.hexdigest()
