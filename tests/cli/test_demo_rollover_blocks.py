"""The demo shop sells hours the new ways too: a rollover client (Flex) and a prepaid-block
client (Block20, with a top-up), and the scheduler's catch-up closes every past month of it,
oldest first, as `make run` does on a fresh database."""

from portal.extensions import db
from portal.jobs import close_past_months
from portal.models import BillableItem, BillingPeriod, Client, HourPool, Plan
from portal.services.billing.close import due_periods
from portal.services.billing.periods import period_of
from tests.helpers import AuthActions, this_month_start


def client_named(name: str) -> Client:
    """A demo client by name."""
    return db.session.scalar(db.select(Client).filter_by(name=name))


def test_demo_has_a_rollover_plan_and_a_block_client_with_a_top_up(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    flex = db.session.scalar(db.select(Plan).filter_by(name="Flex"))
    assert (flex.model, flex.included_minutes, flex.rollover_months) == ("package", 600, 1)
    block = db.session.scalar(db.select(Plan).filter_by(name="Block20"))
    assert (block.model, block.block_minutes, block.validity_months) == ("block", 1200, 3)
    delta = client_named("Delta Logistics")
    blocks = db.session.scalars(db.select(HourPool).filter_by(client_id=delta.id)).all()
    assert len(blocks) == 2  # bought with the plan, and a top-up last month
    fees = db.session.scalars(db.select(BillableItem).filter_by(kind="block_fee")).all()
    assert len(fees) == 2 and all(item.invoice_id for item in fees)
    assert "delta@example.com / client-demo-2026" in result.output
    assert "flexwork@example.com / client-demo-2026" in result.output


def test_the_demos_past_months_close_oldest_first(app, runner):
    runner.invoke(args=["seed-demo"])
    due = due_periods()
    db.session.commit()  # the job runs in a session of its own: end this one's read
    assert len(due) == 3
    assert close_past_months(app) == due
    db.session.expire_all()
    assert due_periods() == []
    assert set(db.session.scalars(db.select(BillingPeriod.period))) == set(due)
    flexwork = client_named("Flexwork Studio")
    carry = db.session.scalars(
        db.select(HourPool).filter_by(client_id=flexwork.id, kind="carry")
    ).all()
    # Each close of Flexwork's months left its unused hours for the month after it.
    assert carry and all(period_of(pool.valid_from) > pool.period.period for pool in carry)


def test_demo_clients_see_their_carry_over_and_blocks(app, runner, client):
    runner.invoke(args=["seed-demo"])
    close_past_months(app)
    auth = AuthActions(client)
    auth.login("flexwork@example.com", "client-demo-2026")
    page = client.get("/client/")
    assert page.status_code == 200
    assert "Carried over from" in page.text
    assert "Carried in h" in client.get("/client/usage").text
    auth.logout()
    auth.login("delta@example.com", "client-demo-2026")
    page = client.get("/client/")
    assert page.status_code == 200 and 'id="blocks"' in page.text
    assert this_month_start().strftime("%Y-%m") in client.get("/client/usage").text
