"""The tax arithmetic of SPEC.md: per rate, on the invoice, half-up to the currency, once."""

from decimal import Decimal as D

import pytest

from portal.services.billing.taxes import (
    NO_TAX,
    REVERSE_CHARGE_NOTE,
    Rate,
    TaxLine,
    compute_taxes,
    taxes_at_one_rate,
    treatment_notes,
    treatment_rate,
)

VAT23 = Rate("VAT 23%", D("23.000"))
VAT8 = Rate("VAT 8%", D("8.000"))
VAT19 = Rate("MwSt 19%", D("19.000"))
EXEMPT = Rate("Exempt", D("0.000"))
JP10 = Rate("Consumption tax 10%", D("10.000"))


def lines(*pairs) -> list[TaxLine]:
    """TaxLines from (net as text, rate) pairs."""
    return [TaxLine(D(net), rate) for net, rate in pairs]


CASES = [
    pytest.param(
        # SPEC.md's worked example: 800.00 + 2.75 h × 250.00 = 1,487.50 PLN at 23 %.
        lines(("800.00", VAT23), ("687.50", VAT23)),
        2,
        [("VAT 23%", "23.000", "1487.50", "342.13")],
        ("1487.50", "342.13", "1829.63"),
        id="spec-worked-example",
    ),
    pytest.param(
        lines(("100.00", VAT23), ("50.00", VAT8), ("10.00", VAT23), ("25.00", VAT8)),
        2,
        [("VAT 23%", "23.000", "110.00", "25.30"), ("VAT 8%", "8.000", "75.00", "6.00")],
        ("185.00", "31.30", "216.30"),
        id="several-rates-in-order-of-appearance",
    ),
    pytest.param(
        # Each line's tax is 0.115 (0.12 rounded); per rate it is 0.345 -> 0.35, not 0.36.
        lines(("0.50", VAT23), ("0.50", VAT23), ("0.50", VAT23)),
        2,
        [("VAT 23%", "23.000", "1.50", "0.35")],
        ("1.50", "0.35", "1.85"),
        id="rounded-once-per-rate-not-per-line",
    ),
    pytest.param(
        lines(("12345", JP10), ("1", JP10)),
        0,
        [("Consumption tax 10%", "10.000", "12346", "1235")],
        ("12346", "1235", "13581"),
        id="jpy-zero-places",
    ),
    pytest.param(
        # A credit note: the worked example negated, half-up rounds away from zero.
        lines(("-800.00", VAT23), ("-687.50", VAT23)),
        2,
        [("VAT 23%", "23.000", "-1487.50", "-342.13")],
        ("-1487.50", "-342.13", "-1829.63"),
        id="negative-nets-credit-note",
    ),
    pytest.param(
        lines(("193.33", EXEMPT), ("100.00", VAT19)),
        2,
        [("Exempt", "0.000", "193.33", "0.00"), ("MwSt 19%", "19.000", "100.00", "19.00")],
        ("293.33", "19.00", "312.33"),
        id="exempt-line-beside-a-taxed-one",
    ),
    pytest.param(
        lines(("193.33", None)),
        2,
        [(NO_TAX.name, "0.000", "193.33", "0.00")],
        ("193.33", "0.00", "193.33"),
        id="no-rate-is-zero-percent",
    ),
    pytest.param(
        lines(("10.00", Rate("Odd", D("7.125")))),
        2,
        [("Odd", "7.125", "10.00", "0.71")],
        ("10.00", "0.71", "10.71"),
        id="three-decimal-percent",
    ),
    pytest.param([], 2, [], ("0.00", "0.00", "0.00"), id="no-lines"),
]


@pytest.mark.parametrize(("given", "places", "taxes", "totals"), CASES)
def test_tax_per_rate_and_totals(given, places, taxes, totals):
    result = compute_taxes(given, places)
    assert tuple((t.name, t.percent, t.net, t.tax) for t in result.taxes) == tuple(
        (name, D(percent), D(net), D(tax)) for name, percent, net, tax in taxes
    )
    assert (result.net_total, result.tax_total, result.total) == tuple(D(t) for t in totals)
    # The same digits as the document prints: the currency's places, no more.
    for amount in (result.net_total, result.tax_total, result.total):
        assert amount.as_tuple().exponent == -places


def test_rounding_per_line_would_differ_by_a_cent():
    three = lines(("0.50", VAT23), ("0.50", VAT23), ("0.50", VAT23))
    per_line = sum(compute_taxes([line], 2).tax_total for line in three)
    assert per_line == D("0.36")
    assert compute_taxes(three, 2).tax_total == D("0.35")


def test_a_credit_note_is_exactly_its_invoice_negated():
    invoice = lines(("333.33", VAT23), ("0.05", VAT8), ("17.39", VAT23))
    credit = [TaxLine(-line.net, line.rate) for line in invoice]
    a, b = compute_taxes(invoice, 2), compute_taxes(credit, 2)
    assert [(t.net, t.tax) for t in b.taxes] == [(-t.net, -t.tax) for t in a.taxes]
    assert b.total == -a.total


def test_a_net_with_more_places_than_the_currency_is_refused():
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        compute_taxes(lines(("100.5", JP10)), 0)


def test_floats_are_refused():
    with pytest.raises(TypeError):
        compute_taxes([TaxLine(0.1, VAT23)], 2)
    with pytest.raises(TypeError):
        taxes_at_one_rate([0.1], VAT23, 2)


@pytest.mark.parametrize("rate", [VAT23, JP10, EXEMPT, Rate("Odd", D("7.125")), None])
@pytest.mark.parametrize(
    ("nets", "places"),
    [
        (["800.00", "687.50"], 2),
        (["0.50", "0.50", "0.50"], 2),
        (["-333.33", "-0.05", "17.39"], 2),
        (["0.01"], 2),
        (["12345", "1"], 0),
        (["10.000", "0.5"], 3),
        ([], 2),
    ],
)
def test_one_rate_totals_are_compute_taxes_totals(nets, places, rate):
    """The close's fast path for an invoice whose lines share a rate gives what the general
    grouping gives, to the digit (exponents included)."""
    general = compute_taxes([TaxLine(D(net), rate) for net in nets], places)
    fast = taxes_at_one_rate([D(net) for net in nets], rate, places)
    assert fast == general
    assert [str(t.tax) for t in fast.taxes] == [str(t.tax) for t in general.taxes]
    assert (str(fast.net_total), str(fast.tax_total), str(fast.total)) == (
        str(general.net_total),
        str(general.tax_total),
        str(general.total),
    )


def test_one_rate_refuses_a_net_with_more_places_than_the_currency():
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        taxes_at_one_rate([D("100"), D("100.5")], JP10, 0)


@pytest.mark.parametrize(
    ("treatment", "reason", "rate", "expected", "notes"),
    [
        ("standard", "", ("VAT 23%", D("23.000")), ("VAT 23%", D("23.000"), "S"), []),
        ("standard", "", ("Zero", D("0.000")), ("Zero", D("0.000"), "Z"), []),
        ("standard", "", None, ("No tax", D("0.000"), "O"), []),
        (
            "exempt",
            "Art. 43 ust. 1 pkt 37 VAT Act",
            ("VAT 23%", D("23.000")),
            ("Exempt", D("0.000"), "E"),
            ["Exempt from VAT: Art. 43 ust. 1 pkt 37 VAT Act"],
        ),
        (
            "reverse_charge",
            "",
            ("VAT 23%", D("23.000")),
            ("Reverse charge", D("0.000"), "AE"),
            [REVERSE_CHARGE_NOTE],
        ),
    ],
)
def test_treatment_gives_the_rate_and_the_note(treatment, reason, rate, expected, notes):
    given = treatment_rate(treatment, reason, rate)
    assert (given.name, given.percent, given.category) == expected
    assert treatment_notes(given) == notes


def test_reverse_charge_invoice_is_net_with_the_statement():
    rate = treatment_rate("reverse_charge", "", ("VAT 19%", D("19.000")))
    totals = compute_taxes(lines(("133.33", rate), ("60.00", rate)), 2)
    assert (totals.net_total, totals.tax_total, totals.total) == (
        D("193.33"),
        D("0.00"),
        D("193.33"),
    )
    assert totals.taxes[0].category == "AE"
    assert totals.taxes[0].exemption_reason.startswith("Reverse charge: VAT to be accounted")
