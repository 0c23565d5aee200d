"""Tax on an invoice, as SPEC.md computes it: per rate, on the invoice, half-up, once.

Pure arithmetic (no database): the invoice, its PDF and XML, and later the credit note
compute their totals here. Per rate, tax = (sum of the nets at that rate) × percent / 100,
rounded half-up to the currency's places once per rate, as EN 16931 computes VAT per
category (rounding every line and adding would drift a cent from the e-invoice's check).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from portal.i18n import N_
from portal.money import round_money


@dataclass(frozen=True)
class Rate:
    """What a net amount is taxed at (a snapshot, not the row): name, percent and the
    EN 16931 category (UNCL 5305) with, for an exemption, the reason printed."""

    name: str
    percent: Decimal
    category: str = "S"
    exemption_reason: str = ""


# No rate configured at all: nothing charged, as before tax rates existed ("not subject").
# The names and notes below are printed on invoices: an invoice is issued in its client's
# language (`treatment_rate` and `treatment_notes` translate them as they are called).
NO_TAX = Rate(N_("No tax"), Decimal("0.000"), "O")
EXEMPT = N_("Exempt")
REVERSE_CHARGE = N_("Reverse charge")
REVERSE_CHARGE_NOTE = N_(
    "Reverse charge: VAT to be accounted for by the recipient "
    "(Article 196, Council Directive 2006/112/EC)"
)


def treatment_rate(treatment: str, exemption_reason: str, rate: tuple | None) -> Rate:
    """The rate a client's lines are taxed at, from its treatment (SPEC.md).

    `rate` is the (name, percent) of the client's chosen rate, else of the default rate,
    else None. Standard: that rate (a 0 % rate is zero-rated, "Z"), or no tax at all.
    Exempt and reverse charge: 0 %, with the reason the invoice prints.
    """
    if treatment == "exempt":
        return Rate(_(EXEMPT), Decimal("0.000"), "E", exemption_reason)
    if treatment == "reverse_charge":
        return Rate(_(REVERSE_CHARGE), Decimal("0.000"), "AE", _(REVERSE_CHARGE_NOTE))
    if rate is None:
        return Rate(_(NO_TAX.name), NO_TAX.percent, NO_TAX.category)
    name, percent = rate
    return Rate(name, percent, "S" if percent > 0 else "Z")


def treatment_notes(rate: Rate) -> list[str]:
    """What the invoice must say about its tax: the reverse-charge statement or the exemption."""
    if rate.category == "AE":
        return [_(REVERSE_CHARGE_NOTE)]
    if rate.category == "E":
        return [_("Exempt from VAT: %(reason)s", reason=rate.exemption_reason)]
    return []


@dataclass(frozen=True)
class TaxLine:
    """A net amount (an invoice line, already in the currency's places) and its rate."""

    net: Decimal
    rate: Rate | None = None


@dataclass(frozen=True)
class RateTotal:
    """One rate's part of an invoice: the nets at that rate, and the tax on their sum."""

    name: str
    percent: Decimal
    net: Decimal
    tax: Decimal
    category: str = "S"
    exemption_reason: str = ""


@dataclass(frozen=True)
class TaxTotals:
    """An invoice's taxes per rate (in the order the rates first appear) and its totals."""

    taxes: tuple[RateTotal, ...]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal


def compute_taxes(lines: Iterable[TaxLine], places: int) -> TaxTotals:
    """Group the nets by rate (name and percent) and tax each group once, half-up.

    A negative net (a credit note) rounds away from zero, so a credit note's tax is exactly
    its invoice's, negated. Raises ValueError for a net with more places than the currency.
    """
    nets: dict[Rate, Decimal] = {}
    # Lines of one rate come in runs (an invoice's lines share its client's rate): a run is
    # summed first and added to its rate once, sparing a hash of the rate per line.
    current, running = None, Decimal(0)
    for line in lines:
        if round_money(line.net, places) != line.net:
            raise ValueError(f"net {line.net} has more than {places} decimal places")
        rate = line.rate or NO_TAX
        if rate is not current:
            if current is not None:
                nets[current] = nets.get(current, Decimal(0)) + running
            current, running = rate, Decimal(0)
        running += line.net
    if current is not None:
        nets[current] = nets.get(current, Decimal(0)) + running
    return _taxed(nets.items(), places)


def taxes_at_one_rate(nets: Iterable[Decimal], rate: Rate | None, places: int) -> TaxTotals:
    """compute_taxes for nets that all share one rate, as an invoice's lines share its
    client's: the same totals, without a TaxLine per net nor the grouping by rate (the close
    taxes 10,000 invoices). Raises ValueError as compute_taxes does."""
    net, any_net = Decimal(0), False
    for line_net in nets:
        if round_money(line_net, places) != line_net:
            raise ValueError(f"net {line_net} has more than {places} decimal places")
        net += line_net
        any_net = True
    return _taxed([(rate or NO_TAX, net)] if any_net else [], places)


def _taxed(nets: Iterable[tuple[Rate, Decimal]], places: int) -> TaxTotals:
    """The totals of the sums of nets per rate: each rate's tax once, half-up."""
    taxes = tuple(
        RateTotal(
            name=rate.name,
            percent=rate.percent,
            net=round_money(net, places),
            tax=round_money(net * rate.percent / 100, places),
            category=rate.category,
            exemption_reason=rate.exemption_reason,
        )
        for rate, net in nets
    )
    net_total = round_money(sum((t.net for t in taxes), Decimal(0)), places)
    tax_total = round_money(sum((t.tax for t in taxes), Decimal(0)), places)
    return TaxTotals(taxes, net_total, tax_total, net_total + tax_total)
