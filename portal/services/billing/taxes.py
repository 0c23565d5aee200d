"""Tax on an invoice, as SPEC.md computes it: per rate, on the invoice, half-up, once.

Pure arithmetic (no database): the invoice, its PDF and XML, and later the credit note
compute their totals here. Per rate, tax = (sum of the nets at that rate) × percent / 100,
rounded half-up to the currency's places once per rate, as EN 16931 computes VAT per
category (rounding every line and adding would drift a cent from the e-invoice's check).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from portal.money import round_money


@dataclass(frozen=True)
class Rate:
    """The name and percent a net amount is taxed at (a snapshot, not the row)."""

    name: str
    percent: Decimal


# A line without a rate is taxed at 0 %.
NO_TAX = Rate("No tax", Decimal("0.000"))


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
    for line in lines:
        if round_money(line.net, places) != line.net:
            raise ValueError(f"net {line.net} has more than {places} decimal places")
        rate = line.rate or NO_TAX
        nets[rate] = nets.get(rate, Decimal(0)) + line.net
    taxes = tuple(
        RateTotal(
            name=rate.name,
            percent=rate.percent,
            net=round_money(net, places),
            tax=round_money(net * rate.percent / 100, places),
        )
        for rate, net in nets.items()
    )
    net_total = round_money(sum((t.net for t in taxes), Decimal(0)), places)
    tax_total = round_money(sum((t.tax for t in taxes), Decimal(0)), places)
    return TaxTotals(taxes, net_total, tax_total, net_total + tax_total)
