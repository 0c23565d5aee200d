"""Hours as people enter them (1:30) or as decimals (1.50), and the nearest allowed values."""

import pytest

from portal.money import HoursError, format_hours, format_hours_as, parse_hours
from tests.helpers import bearer, submit


@pytest.mark.parametrize(
    ("minutes", "hm", "decimal"),
    [(90, "1:30", "1.50"), (15, "0:15", "0.25"), (0, "0:00", "0.00"), (1440, "24:00", "24.00")],
)
def test_both_time_formats(minutes, hm, decimal):
    assert format_hours_as(minutes, "hm") == hm
    assert format_hours_as(minutes) == hm  # h:mm is the default
    assert format_hours_as(minutes, "decimal") == decimal == format_hours(minutes)


@pytest.mark.parametrize(
    ("typed", "hm", "decimal"),
    [
        ("2:10", "Use quarter hours: 2:00 or 2:15.", "Use quarter hours: 2.00 or 2.25."),
        ("2:20", "Use quarter hours: 2:15 or 2:30.", "Use quarter hours: 2.25 or 2.50."),
        ("2.1", "Use quarter hours: 2:00 or 2:15.", "Use quarter hours: 2.00 or 2.25."),
        ("0:05", "Use quarter hours: 0:15 is the least.", "Use quarter hours: 0.25 is the least."),
    ],
)
def test_an_off_quarter_value_suggests_the_nearest_allowed_ones(typed, hm, decimal):
    with pytest.raises(HoursError) as refused:
        parse_hours(typed)
    assert refused.value.message_for("hm") == hm
    assert refused.value.message_for("decimal") == decimal == str(refused.value)


@pytest.mark.parametrize("typed", ["24:15", "25", "0", "0:00", "-1", "abc"])
def test_values_outside_the_range_keep_the_rule_text(typed):
    with pytest.raises(HoursError) as refused:
        parse_hours(typed)
    assert "quarter-hour steps from 0.25 to 24" in refused.value.message_for("hm")


def test_the_account_page_switches_pages_to_decimal_hours(client, login_as, f):
    user = login_as("operator", email="op@example.com")
    assert user.time_format == "hm"
    page = client.get("/account/password")
    assert "Show time as" in page.text
    saved = submit(
        client, "/account/password", {"time_format": "decimal"}, post_url="/account/time-format"
    )
    assert saved.status_code == 302
    from portal.extensions import db
    from portal.models import User

    assert db.session.get(User, user.id).time_format == "decimal"
    bad = submit(
        client, "/account/password", {"time_format": "roman"}, post_url="/account/time-format"
    )
    assert bad.status_code == 422 and "One of: hm, decimal." in bad.text


def test_the_hours_filter_follows_the_reader(app, f):
    from flask_login import login_user

    template = app.jinja_env.from_string("{{ m | hours }} {{ m | decimal_hours }}")
    with app.test_request_context():
        assert template.render(m=90) == "1:30 1.50"  # nobody logged in: the default
    for time_format, shown in (("hm", "1:30 1.50"), ("decimal", "1.50 1.50")):
        user = f.user("operator", email=f"{time_format}@example.com")
        f.update(user, time_format=time_format)
        with app.test_request_context():
            login_user(user)
            assert template.render(m=90) == shown


def test_patch_me_sets_the_time_format(app, f):
    user = f.user("client", email="c@example.com", client=f.client("ACME"))
    token = f.api_token(user)
    api = app.test_client()
    assert api.get("/api/v1/me", headers=bearer(token)).json["time_format"] == "hm"
    changed = api.patch("/api/v1/me", json={"time_format": "decimal"}, headers=bearer(token))
    assert changed.status_code == 200 and changed.json["time_format"] == "decimal"
    bad = api.patch("/api/v1/me", json={"time_format": "x"}, headers=bearer(token))
    assert bad.status_code == 400 and "time_format" in bad.json["fields"]


@pytest.mark.parametrize(
    ("time_format", "expected"),
    [("hm", "Use quarter hours: 2:15 or 2:30."), ("decimal", "Use quarter hours: 2.25 or 2.50.")],
)
def test_the_inline_form_suggests_in_the_operators_format(
    client, login_as, f, time_format, expected
):
    from tests.helpers import submit

    operator = login_as("operator")
    f.update(operator, time_format=time_format)
    ticket = f.ticket(f.client())
    answer = submit(client, f"/admin/tickets/{ticket.id}", {"hours": "2:20", "billable": "y"})
    assert answer.status_code == 422
    assert expected in answer.text
