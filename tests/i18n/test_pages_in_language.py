"""Every main page of every role, in Polish and in German, through the real login and the
browser's Accept-Language, on the demo shop: no text on it is an English message of the
catalog (what the English and the translation write alike, "Status", is not counted, nor
the shop's own data: names, subjects, plans)."""

import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po

from portal.extensions import db
from portal.models import (
    AuditLogEntry,
    BillableItem,
    Client,
    Currency,
    OutboxMessage,
    Plan,
    TaxRate,
    Ticket,
    User,
)
from portal.seeding import demo
from portal.services.billing.close import due_periods
from tests.helpers import AuthActions, close_committed
from tests.i18n.test_catalogs import TRANSLATIONS

ADMIN = ("admin@example.com", "admin-demo-2026")
OPERATOR = ("anna@example.com", "operator-demo-2026")
CLIENT = ("nowak@example.com", demo.CLIENT_PASSWORD)

PAGES = {
    ADMIN: [
        "/admin/",
        "/admin/tickets/new",
        "/admin/clients",
        "/admin/clients/new",
        "/admin/reports/hours",
        "/admin/invoices",
        "/admin/billing",
        "/admin/plans",
        "/admin/plans/new",
        "/admin/currencies",
        "/admin/tax-rates",
        "/admin/users",
        "/admin/api-tokens",
        "/admin/audit",
        "/admin/emails",
        "/admin/settings",
        "/admin/settings/business-profile",
        "/account/password",
    ],
    OPERATOR: ["/admin/", "/admin/clients", "/admin/invoices", "/account/password"],
    CLIENT: [
        "/client/",
        "/client/tickets",
        "/client/tickets/new",
        "/client/usage",
        "/client/invoices",
        "/client/emails",
        "/account/password",
    ],
}
# Detail pages: the first link of its kind on a list page.
DETAILS = {
    ADMIN: [
        ("/admin/", r"/admin/tickets/\d+"),
        ("/admin/clients", r"/admin/clients/\d+"),
        ("/admin/invoices", r"/admin/invoices/\d+"),
        ("/admin/emails", r"/admin/emails/\d+"),
        ("/admin/plans", r"/admin/plans/\d+/edit"),
        # A detail page's own link: the list_url is a page found above.
        (r"/admin/clients/\d+", r"/admin/clients/\d+/edit"),
    ],
    OPERATOR: [("/admin/", r"/admin/tickets/\d+")],
    CLIENT: [
        ("/client/tickets", r"/client/tickets/\d+"),
        ("/client/invoices", r"/client/invoices/\d+"),
    ],
}
ANONYMOUS = ["/login", "/password/forgot"]
ATTRIBUTES = {"placeholder", "title", "aria-label", "alt"}
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]")


class _Texts(HTMLParser):
    """The text nodes and readable attributes of a page, outside scripts and styles and
    outside parts in another language (an invoice is in its client's, whoever reads it)."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.texts, self._skip, self.language = [], 0, language
        self._other = []  # [tag, depth] of the open element in another language

    def handle_starttag(self, tag, attrs):
        if self._other and tag == self._other[0]:
            self._other[1] += 1
        elif not self._other and dict(attrs).get("lang") not in (None, self.language):
            if tag != "html":
                self._other = [tag, 1]
        if self._other:
            return
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if value and (name in ATTRIBUTES or (tag == "input" and name == "value")):
                if name != "value" or dict(attrs).get("type") in ("submit", "button"):
                    self.texts.append(value)

    def handle_endtag(self, tag):
        if self._other:
            if tag == self._other[0]:
                self._other[1] -= 1
                if not self._other[1]:
                    self._other = []
            return
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and not self._other:
            self.texts.append(data)


def texts_of(html: str, language: str) -> set[str]:
    parser = _Texts(language)
    parser.feed(html)
    found = set()
    for text in parser.texts:
        text = " ".join(text.split())
        if text:
            found.add(text)
            found.add(text.rstrip(":").strip())
    return found


def english_messages(language: str):
    """The catalog's English messages that read differently in `language`: exact texts,
    and patterns for the messages with placeholders."""
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        catalog = read_po(po, locale=language)
    exact, patterns, translated = set(), [], set()
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        translated.update(" ".join(t.split()) for t in strings if t)
        if not message.id or isinstance(message.id, tuple) or message.string == message.id:
            continue
        if _PLACEHOLDER.search(message.id):
            letters = _PLACEHOLDER.sub("", message.id)
            if sum(c.isalpha() for c in letters) >= 8:
                pieces = [re.escape(p) for p in _PLACEHOLDER.split(message.id)]
                patterns.append((message.id, re.compile(".+?".join(pieces))))
        else:
            exact.add(" ".join(message.id.split()))
    # A translation that reads like another message's English ("Filter" is German for
    # "Filters") is German, not a leftover.
    return exact - translated, patterns


def shop_data() -> set[str]:
    """Texts that are the shop's own data, shown as they were typed or written: names, and
    what was written in an English-speaking client's language (its items, its mail)."""
    values = set()
    for column in (
        Client.name,
        Plan.name,
        Ticket.subject,
        User.name,
        Currency.code,
        TaxRate.name,
        BillableItem.description,
        OutboxMessage.subject,
    ):
        values.update(v for v in db.session.scalars(db.select(column)) if v)
    # The audit log shows the recorded field names as they were recorded.
    for before, after in db.session.execute(db.select(AuditLogEntry.before, AuditLogEntry.after)):
        values.update((before or {}).keys())
        values.update((after or {}).keys())
    return values


def walk(client, who) -> dict[str, str]:
    """Every page of one role: url -> html (each must answer 200)."""
    pages = {}
    for url in PAGES.get(who, []):
        pages[url] = client.get(url)
    for list_url, pattern in DETAILS.get(who, []):
        if list_url not in pages:
            list_url = next(url for url in pages if re.fullmatch(list_url, url))
        match = re.search(rf'href="({pattern})"', client.get(list_url).text)
        assert match, f"no link {pattern} on {list_url}"
        pages[match.group(1)] = client.get(match.group(1))
    for url, response in pages.items():
        assert response.status_code == 200, f"{url} answered {response.status_code}"
    return {url: response.text for url, response in pages.items()}


@pytest.mark.parametrize("language", ["pl", "de"])
def test_every_main_page_speaks_the_browsers_language(app, language):
    demo.seed(2026)
    db.session.commit()
    close_committed(due_periods()[0])  # invoices to look at: the oldest month's
    exact, patterns = english_messages(language)
    data = shop_data()
    long_data = sorted((v for v in data if len(v) >= 12), key=len, reverse=True)
    assert len(exact) > 300, "the catalog is not filled"
    problems = []
    pages = {}
    anonymous = app.test_client()
    anonymous.environ_base["HTTP_ACCEPT_LANGUAGE"] = f"{language},en;q=0.5"
    for url in ANONYMOUS:
        response = anonymous.get(url)
        assert response.status_code == 200
        pages[url] = response.text
    for who in PAGES:
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = f"{language},en;q=0.5"
        assert AuthActions(client).login(*who).status_code == 302
        pages.update({f"{who[0]} {url}": html for url, html in walk(client, who).items()})
    for where, html in pages.items():
        assert f'lang="{language}"' in html, f"{where} does not declare its language"
        for text in texts_of(html, language) - data:
            for value in long_data:
                if value in text:
                    text = text.replace(value, "…")
            if text in exact:
                problems.append(f"{where}: {text!r}")
                continue
            for msgid, pattern in patterns:
                if pattern.fullmatch(text):
                    problems.append(f"{where}: {text!r} ({msgid!r})")
                    break
    assert not problems, f"{len(problems)} English texts:\n" + "\n".join(sorted(problems)[:60])
