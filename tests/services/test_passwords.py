"""Password rules: at least 12 characters, no composition rules, nothing common or guessable."""

import pytest

from portal.services.accounts.users import password_problem


@pytest.mark.parametrize(
    "password",
    [
        "lantern orchard velvet compass",
        "correct-horse-battery",
        "all lowercase no digits",  # no composition rules
        "ZUGSPITZE-FJORD-8841",
        "zażółć gęślą jaźń 2026",  # any Unicode
        "x" * 9 + "Q7#kd" + "y" * 1000,  # long is fine up to 1024
    ],
)
def test_long_unguessable_passwords_are_accepted(password):
    assert password_problem(password, email="acme@example.com") is None


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("", "at least 12"),
        ("Tr0ub4dor&3", "at least 12"),
        ("passwordpassword", "too easy"),
        ("123456789012", "too easy"),
        ("qwertyuiopasdf", "too easy"),
        ("Password1234", "too easy"),
        ("iloveyou1234", "too easy"),
        ("aaaaaaaaaaaaaaaa", "too easy"),
        ("acme@example.com", "too easy"),  # the user's own email
        ("supporthoursportal", "too easy"),  # the product's name
        ("x" * 1025, "at most 1024"),
    ],
)
def test_short_common_and_personal_passwords_are_refused(password, reason):
    problem = password_problem(password, email="acme@example.com", name="Acme Billing")
    assert problem is not None and reason in problem


def test_create_user_applies_the_rules(app):
    from portal.services.accounts.users import create_user
    from portal.services.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        create_user("new@example.com", "password1234", "operator")
    assert "too easy" in refused.value.fields["password"]
