"""An issued invoice as a document: the values its page, PDF and Factur-X XML are made of.

Everything comes from the invoice's own rows and snapshot, never from today's profiles or
rates, so a document made a year later says what was issued. The documents show the
invoice as issued (nothing paid yet): the XML and the PDF of an invoice never change; its
page adds the payments and the status beside them.
"""

from dataclasses import replace
from decimal import Decimal
from functools import cache
from pathlib import Path

from flask import render_template
from flask_babel import gettext as _
from markupsafe import Markup

from portal.documents.model import DocumentLine, DocumentTax, InvoiceDocument, Party
from portal.extensions import db
from portal.formatting import format_day
from portal.i18n import document_language, speaking
from portal.models import Invoice, InvoiceKind, UsageRecord
from portal.services.billing.periods import period_bounds
from portal.services.errors import DomainError

HOUR_KINDS = frozenset({"overtime", "hourly"})


class DocumentIncomplete(DomainError):
    """The snapshot lacks what EN 16931 requires (the seller's name and country)."""

    code = "document_incomplete"
    status = 409


def _party(snapshot: dict, name_key: str) -> Party:
    """A seller or buyer snapshot as a document party."""
    emails = snapshot.get("emails") or [snapshot.get("email", "")]
    return Party(
        name=snapshot.get(name_key, ""),
        address_lines=tuple(snapshot.get("address_lines") or ()),
        postal_code=snapshot.get("postal_code", ""),
        city=snapshot.get("city", ""),
        country=snapshot.get("country", ""),
        tax_id=snapshot.get("tax_id", ""),
        email=emails[0] if emails else "",
        phone=snapshot.get("phone", ""),
    )


def _month_hours(invoice: Invoice) -> dict:
    """Hours used and included in the billed month, over the client's subscriptions."""
    billed = invoice.credited_invoice or invoice
    if billed.period_id is None:
        return {}
    query = db.select(
        db.func.sum(UsageRecord.used_minutes), db.func.sum(UsageRecord.included_minutes)
    ).where(UsageRecord.client_id == billed.client_id, UsageRecord.period_id == billed.period_id)
    rows = db.session.execute(query).one()
    if rows[0] is None:
        return {}
    return {"used_minutes": int(rows[0]), "included_minutes": int(rows[1])}


def invoice_document(invoice: Invoice) -> InvoiceDocument:
    """The document of an issued invoice or credit note, as its snapshot says."""
    seller = invoice.seller or {}
    buyer = invoice.buyer or {}
    credited = invoice.credited_invoice
    billed = credited or invoice
    period = period_bounds(billed.period.period) if billed.period else (None, None)
    is_note = invoice.kind == InvoiceKind.CREDIT_NOTE
    return InvoiceDocument(
        kind=invoice.kind,
        number=invoice.number,
        issue_date=invoice.issue_date,
        due_date=None if is_note else invoice.due_date,
        currency=invoice.currency.code,
        places=invoice.currency.decimals,
        seller=_party(seller, "legal_name"),
        buyer=_party(buyer, "name"),
        lines=tuple(
            DocumentLine(
                position=line.position,
                description=line.description,
                quantity=line.quantity,
                unit_code="HUR" if line.kind in HOUR_KINDS else "C62",
                # A package line is quantity 1 at what it costs this month (SPEC.md): its
                # fraction is in the words, and quantity × price = net, as EN 16931 checks.
                unit_price=line.amount / line.quantity
                if line.kind == "package_fee"
                else line.unit_rate,
                net=line.amount,
                tax_category=line.tax_category,
                tax_percent=line.tax_percent,
            )
            for line in invoice.lines
        ),
        taxes=tuple(
            DocumentTax(t.category, t.percent, t.net, t.tax, t.exemption_reason, t.name)
            for t in invoice.taxes
        ),
        net_total=invoice.net_total,
        tax_total=invoice.tax_total,
        total=invoice.total,
        paid_total=Decimal(0),
        balance=invoice.total,
        notes=tuple(invoice.notes or ()),
        po_reference=(invoice.buyer or {}).get("po_reference", ""),
        credited_number=credited.number if credited else "",
        credited_issue_date=credited.issue_date if credited else None,
        period_start=period[0],
        period_end=period[1],
        bank_account_holder=seller.get("bank_account_holder", ""),
        iban=seller.get("iban", ""),
        bic=seller.get("bic", ""),
        payment_terms=seller.get("payment_terms", ""),
        footer=seller.get("invoice_footer", ""),
        extra=_month_hours(invoice),
    )


def can_have_xml(doc: InvoiceDocument) -> bool:
    """True when the snapshot has what EN 16931 requires of the seller: name and country
    (the business profile requires both; an invoice issued before it was saved has none)."""
    return bool(doc.seller.name and doc.seller.country)


def invoice_xml(invoice: Invoice, doc: InvoiceDocument | None = None) -> bytes:
    """The Factur-X EN 16931 XML, or DocumentIncomplete (409) for a snapshot without it."""
    doc = doc or invoice_document(invoice)
    if not can_have_xml(doc):
        raise DocumentIncomplete(
            _(
                "%(number)s was issued before the business profile was filled in: it has no "
                "e-invoice (its PDF and page show it as issued).",
                number=invoice.number,
            )
        )
    from portal.documents.facturx import cii_xml  # factur-x and drafthorse: 0.5 s to import

    if not doc.buyer.country:
        # EN 16931 requires the buyer's country (BT-55): a client nobody gave an address is
        # declared in the seller's country. The page and the PDF print what is on file.
        doc = replace(doc, buyer=replace(doc.buyer, country=doc.seller.country))
    return cii_xml(doc)


def invoice_language(invoice: Invoice) -> str:
    """The language of an invoice's documents: its client's when it was issued (an invoice
    issued before languages existed reads in English)."""
    return document_language((invoice.buyer or {}).get("language"))


def pdf_metadata(doc: InvoiceDocument) -> dict:
    """The PDF's title, subject, author and keywords, in the language being spoken (the
    factur-x library would write its own, in English)."""
    if doc.kind == InvoiceKind.CREDIT_NOTE:
        kind = _("Credit note")
        title = _("%(seller)s: Credit note %(number)s", seller=doc.seller.name, number=doc.number)
        subject = _(
            "Credit note %(number)s dated %(date)s issued by %(seller)s",
            number=doc.number,
            date=format_day(doc.issue_date),
            seller=doc.seller.name,
        )
    else:
        kind = _("Invoice")
        title = _("%(seller)s: Invoice %(number)s", seller=doc.seller.name, number=doc.number)
        subject = _(
            "Invoice %(number)s dated %(date)s issued by %(seller)s",
            number=doc.number,
            date=format_day(doc.issue_date),
            seller=doc.seller.name,
        )
    return {
        "author": doc.seller.name,
        "keywords": f"{kind}, Factur-X",
        "title": title,
        "subject": subject,
    }


def invoice_pdf(invoice: Invoice) -> bytes:
    """The PDF: the invoice page's template on A4, with the Factur-X XML embedded when the
    snapshot allows one. Its words, money, dates and hours are in the invoice's language
    (its client's when issued); the XML is the same in every language."""
    from portal.documents.pdf import STATIC_DIR, render_pdf

    language = invoice_language(invoice)
    doc = invoice_document(invoice)
    xml = invoice_xml(invoice, doc) if can_have_xml(doc) else None
    with speaking(language):
        html = render_template("documents/invoice.html", invoice=invoice, doc=doc)
        metadata = pdf_metadata(doc)
    css = _stylesheet(STATIC_DIR / "css" / "document.css")
    return render_pdf(
        html,
        xml,
        base_url=STATIC_DIR.as_uri() + "/",
        stylesheets=[css],
        metadata=metadata,
        language=language,
    )


def invoice_body(invoice: Invoice, doc: InvoiceDocument) -> Markup:
    """The document part of the invoice page, in the invoice's language like its PDF; the
    page around it (navigation, buttons, payments) speaks the reader's."""
    language = invoice_language(invoice)
    with speaking(language):
        body = render_template("_partials/invoice.html", invoice=invoice, doc=doc, on_page=True)
    # The body is Jinja's autoescaped output, as safe as the page that includes it.
    return Markup('<div lang="%s">%s</div>') % (language, Markup(body))  # noqa: S704


@cache
def _stylesheet(path: Path) -> str:
    """A stylesheet of the static folder, read once (every PDF uses the same)."""
    return path.read_text(encoding="utf-8")


def invoice_file(invoice: Invoice, kind: str) -> tuple[bytes, str, str]:
    """An invoice's "pdf" or "xml" as (body, media type, download name); DocumentIncomplete
    for the XML of a snapshot without one."""
    if kind == "pdf":
        return invoice_pdf(invoice), "application/pdf", document_filename(invoice, "pdf")
    return invoice_xml(invoice), "application/xml", document_filename(invoice, "xml")


def document_filename(invoice: Invoice, extension: str) -> str:
    """A download name from the number: "invoice-2026-11-0001.pdf", "credit-note-CN-2026-0001.xml".

    Only letters, digits and dashes, so it needs no quoting in Content-Disposition."""
    kind = "credit-note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "invoice"
    safe = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in invoice.number)
    safe = safe.strip("-")
    return f"{kind}-{safe}.{extension}"
