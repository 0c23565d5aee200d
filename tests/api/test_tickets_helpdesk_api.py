"""The helpdesk additions to /tickets over the API: assignee, priority, filters, client close."""

import pytest

from portal.extensions import db
from tests.helpers import audit_rows, bearer


@pytest.fixture
def desk(f):
    """Two clients with a ticket each, an operator (with token), a client token for ACME."""
    acme_user = f.user("client", client=f.client("ACME GmbH"))
    other_user = f.user("client", client=f.client("Globex"))
    operator = f.user("operator", name="Olga Operator")
    return {
        "ticket": f.ticket(acme_user.client, subject="Mail down"),
        "other": f.ticket(other_user.client, subject="VPN"),
        "operator": operator,
        "op": bearer(f.api_token(operator)),
        "cl": bearer(f.api_token(acme_user)),
        "acme_user": acme_user,
    }


def patch(client, ticket, body, headers):
    """PATCH one ticket."""
    return client.patch(f"/api/v1/tickets/{ticket.id}", json=body, headers=headers)


def test_staff_assigns_prioritises_and_unassigns(client, desk):
    ticket, op = desk["ticket"], desk["operator"]
    response = patch(client, ticket, {"assignee_id": op.id, "priority": "Urgent"}, desk["op"])
    assert response.status_code == 200
    assert response.json["assignee_id"] == op.id
    assert response.json["assignee"] == "Olga Operator"
    assert response.json["priority"] == "Urgent"
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=desk["op"]).json["assignee_id"] == (
        op.id
    )
    assert len(audit_rows("ticket.assignee")) == 1
    assert len(audit_rows("ticket.priority")) == 1
    response = patch(client, ticket, {"assignee_id": None}, desk["op"])
    assert response.status_code == 200
    assert response.json["assignee_id"] is None
    assert response.json["assignee"] is None
    db.session.refresh(ticket)
    assert ticket.assignee_id is None


@pytest.mark.parametrize("who", ["client", "disabled", "missing"])
def test_bad_assignee_is_400_and_changes_nothing(client, desk, f, who):
    person_id = {
        "client": lambda: desk["acme_user"].id,
        "disabled": lambda: f.update(f.user("admin"), active=False).id,
        "missing": lambda: 999999,
    }[who]()
    body = {"assignee_id": person_id, "priority": "High"}
    response = patch(client, desk["ticket"], body, desk["op"])
    assert response.status_code == 400
    assert set(response.json["fields"]) == {"assignee_id"}
    db.session.refresh(desk["ticket"])
    assert (desk["ticket"].assignee_id, desk["ticket"].priority) == (None, "Medium")


@pytest.mark.parametrize(
    "body, field",
    [
        ({"priority": "Critical"}, "priority"),
        ({"priority": None, "assignee_id": "7"}, "assignee_id"),
        ({"assignee_id": 0}, "assignee_id"),
        ({"assignee_id": True}, "assignee_id"),
    ],
)
def test_bad_patch_values_name_the_field(client, desk, body, field):
    response = patch(client, desk["ticket"], body, desk["op"])
    assert response.status_code == 400
    assert field in response.json["fields"]


def test_list_filters(client, desk, f):
    op = desk["operator"]
    f.update(desk["ticket"], assignee_id=op.id, priority="High")
    f.update(desk["other"], status="Answered")

    def numbers(query, headers=desk["op"]):
        response = client.get(f"/api/v1/tickets?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return {item["subject"] for item in response.json["items"]}

    assert numbers(f"assignee_id={op.id}") == {"Mail down"}
    assert numbers("assignee_id=none") == {"VPN"}
    assert numbers("priority=High") == {"Mail down"}
    assert numbers("status=Answered") == {"VPN"}
    assert numbers("assignee_id=none&status=Open") == set()
    # A client token sees only its own tickets, whatever the filter.
    assert numbers("assignee_id=none", desk["cl"]) == set()
    assert numbers("status=Open", desk["cl"]) == {"Mail down"}
    item = client.get("/api/v1/tickets?priority=High", headers=desk["op"]).json["items"][0]
    assert (item["assignee_id"], item["assignee"]) == (op.id, "Olga Operator")


@pytest.mark.parametrize(
    "query, field",
    [
        ("assignee_id=nobody", "assignee_id"),
        ("assignee_id=-1", "assignee_id"),
        ("assignee_id=", "assignee_id"),
        ("priority=Critical", "priority"),
        ("status=Waiting", "status"),
    ],
)
def test_bad_list_filters_are_400(client, desk, query, field):
    response = client.get(f"/api/v1/tickets?{query}", headers=desk["op"])
    assert response.status_code == 400
    assert field in response.json["fields"]


def test_client_closes_own_ticket(client, desk):
    response = patch(client, desk["ticket"], {"status": "Closed"}, desk["cl"])
    assert response.status_code == 200
    assert response.json["status"] == "Closed"
    [row] = audit_rows("ticket.status")
    assert row.after == {"status": "Closed"}
    # A reply reopens it, waiting for support.
    reply = client.post(
        f"/api/v1/tickets/{desk['ticket'].id}/replies",
        json={"message": "Still broken."},
        headers=desk["cl"],
    )
    assert reply.status_code == 201
    db.session.refresh(desk["ticket"])
    assert desk["ticket"].status == "Customer-Reply"


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"status": "Open"}, {"status"}),
        ({}, {"status"}),
        ({"priority": "Urgent"}, {"priority", "status"}),
        ({"status": "Closed", "assignee_id": None}, {"assignee_id"}),
        ({"status": "Closed", "time_tracking": False}, {"time_tracking"}),
    ],
)
def test_client_may_only_close(client, desk, body, fields):
    response = patch(client, desk["ticket"], body, desk["cl"])
    assert response.status_code == 400
    assert set(response.json["fields"]) == fields
    db.session.refresh(desk["ticket"])
    assert (desk["ticket"].status, desk["ticket"].priority) == ("Open", "Medium")


def test_client_cannot_close_another_clients_ticket(client, desk):
    response = patch(client, desk["other"], {"status": "Closed"}, desk["cl"])
    assert response.status_code == 404
    db.session.refresh(desk["other"])
    assert desk["other"].status == "Open"
