"""The email log over the API: admins every message, a client token its own client mail
only (never staff mail or another client's), operators nothing; retry and release held,
with the sender delivering the result to a real SMTP server on loopback."""

import pytest

from portal.extensions import db
from portal.models import OutboxMessage
from portal.services.mail.sender import deliver_due
from tests.helpers import audit_rows, bearer
from tests.mail.smtp import SmtpServer

API = "/api/v1"
SHAPE = {
    "id",
    "kind",
    "to",
    "subject",
    "status",
    "attempts",
    "last_error",
    "created_at",
    "sent_at",
    "message_id",
    "invoice_id",
    "ticket_id",
}


@pytest.fixture
def world(f):
    """ACME and Globex with mail of each sort; tokens of an admin, an operator, ACME's user."""
    acme, globex = f.client("ACME GmbH"), f.client("Globex Ltd")
    rows = {
        "reply": f.outbox_message(acme, "ticket_reply", subject="ACME reply"),
        "failed": f.outbox_message(acme, "invoice_issued", status="failed", subject="Invoice"),
        "staff": f.outbox_message(acme, "ticket_client_reply", subject="Client answered"),
        "held": f.outbox_message(acme, "usage_80", status="held", subject="80 %"),
        "globex": f.outbox_message(globex, "ticket_reply", subject="Globex secret"),
        "invite": f.outbox_message(None, "invitation", subject="Welcome"),
    }
    tokens = {
        "admin": bearer(f.api_token(f.user("admin"))),
        "operator": bearer(f.api_token(f.user("operator"))),
        "client": bearer(f.api_token(f.user("client", client=acme))),
    }
    return rows, tokens, acme, globex


@pytest.fixture
def smtp(app):
    """A real SMTP server the app sends to."""
    server = SmtpServer().start()
    app.config["MAIL_URL"] = server.url
    yield server
    server.stop()


def listed(client, headers, query="") -> list[int]:
    answer = client.get(f"{API}/emails{query}", headers=headers)
    assert answer.status_code == 200, answer.json
    return [item["id"] for item in answer.json["items"]]


def test_admin_lists_every_email_newest_first_in_the_documented_shape(client, world):
    rows, tokens, _acme, _globex = world
    answer = client.get(f"{API}/emails", headers=tokens["admin"])
    assert answer.status_code == 200
    items = answer.json["items"]
    assert [i["id"] for i in items] == sorted((r.id for r in rows.values()), reverse=True)
    assert answer.json["total"] == len(rows)
    assert all(set(item) == SHAPE for item in items)
    failed = next(i for i in items if i["id"] == rows["failed"].id)
    assert failed["status"] == "failed" and failed["attempts"] == 6
    assert failed["to"] == rows["failed"].recipients and "550" in failed["last_error"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=held", ["held"]),
        ("?kind=ticket_reply", ["reply", "globex"]),
        ("?kind=ticket_reply&status=sent&client_id={globex}", ["globex"]),
        ("?client_id={acme}&status=failed", ["failed"]),
    ],
)
def test_admin_filters(client, world, query, expected):
    rows, tokens, acme, globex = world
    query = query.format(acme=acme.id, globex=globex.id)
    assert set(listed(client, tokens["admin"], query)) == {rows[k].id for k in expected}


def test_a_client_token_lists_its_own_sent_client_mail_only(client, world, f):
    rows, tokens, acme, globex = world
    usage = f.outbox_message(acme, "usage_100", subject="100 %")
    assert listed(client, tokens["client"]) == [usage.id, rows["reply"].id]
    assert listed(client, tokens["client"], "?kind=usage_100") == [usage.id]
    assert listed(client, tokens["client"], f"?client_id={acme.id}&kind=ticket_reply") == [
        rows["reply"].id
    ]
    for query in ("?status=failed", "?status=held", "?kind=ticket_client_reply"):
        assert listed(client, tokens["client"], query) == [], query
    assert listed(client, tokens["client"], f"?client_id={globex.id}") == []


def test_a_client_token_reads_its_own_email_and_gets_404_for_others(client, world):
    rows, tokens, _acme, _globex = world
    answer = client.get(f"{API}/emails/{rows['reply'].id}", headers=tokens["client"])
    assert answer.status_code == 200
    assert set(answer.json) == SHAPE | {"body_text"}
    assert answer.json["body_text"] == rows["reply"].body_text
    for key in ("globex", "staff", "invite", "failed", "held"):
        answer = client.get(f"{API}/emails/{rows[key].id}", headers=tokens["client"])
        assert answer.status_code == 404, key
        assert "secret" not in answer.text.lower()


def test_a_one_time_links_body_is_null_even_for_an_admin(client, world, f):
    _rows, tokens, _acme, _globex = world
    reset = f.outbox_message(None, "password_reset", body_text="https://x/reset/SECRET-LINK")
    answer = client.get(f"{API}/emails/{reset.id}", headers=tokens["admin"])
    assert answer.status_code == 200 and answer.json["body_text"] is None
    assert "SECRET-LINK" not in answer.text


def test_operators_are_refused(client, world):
    rows, tokens, _acme, _globex = world
    for path in ("/emails", f"/emails/{rows['reply'].id}"):
        assert client.get(API + path, headers=tokens["operator"]).status_code == 403
    for path in (f"/emails/{rows['failed'].id}/retry", "/emails/release-held"):
        for who in ("operator", "client"):
            assert client.post(API + path, headers=tokens[who]).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?kind=spam", "kind"),
        ("?status=bounced", "status"),
        ("?client_id=abc", "client_id"),
        ("?client_id=0", "client_id"),
        ("?client_id=2147483648", "client_id"),
        ("?client_id=%D9%A7", "client_id"),
        ("?page=0", "page"),
        ("?client_ld=1", "client_ld"),
    ],
)
def test_bad_query_arguments_are_400_with_the_field(client, world, query, field):
    _rows, tokens, _acme, _globex = world
    answer = client.get(f"{API}/emails{query}", headers=tokens["admin"])
    assert answer.status_code == 400
    assert answer.json["error"] == "validation" and field in answer.json["fields"]


def test_retry_requeues_a_failed_email_and_the_sender_delivers_it(client, world, smtp):
    rows, tokens, _acme, _globex = world
    failed = rows["failed"]
    answer = client.post(f"{API}/emails/{failed.id}/retry", headers=tokens["admin"])
    assert answer.status_code == 200
    assert answer.json["status"] == "queued" and answer.json["attempts"] == 0
    assert failed.id in deliver_due().sent
    [received] = [r for r in smtp.received if r.message["Message-ID"] == failed.message_id]
    assert received.rcpt_tos == failed.recipients
    again = client.get(f"{API}/emails/{failed.id}", headers=tokens["admin"]).json
    assert again["status"] == "sent" and again["sent_at"]
    [audited] = audit_rows("email.retry")
    assert (audited.object_type, audited.object_id) == ("email", failed.id)


def test_retry_of_an_email_that_did_not_fail_is_409(client, world):
    rows, tokens, _acme, _globex = world
    answer = client.post(f"{API}/emails/{rows['reply'].id}/retry", headers=tokens["admin"])
    assert answer.status_code == 409
    assert answer.json["error"] == "invalid_transition"
    db.session.expire_all()
    assert db.session.get(OutboxMessage, rows["reply"].id).status == "sent"


def test_retry_of_an_unknown_email_is_404(client, world):
    _rows, tokens, _acme, _globex = world
    assert client.post(f"{API}/emails/999999/retry", headers=tokens["admin"]).status_code == 404


def test_release_held_answers_how_many_and_the_sender_sends_them(client, world, smtp):
    rows, tokens, _acme, _globex = world
    answer = client.post(f"{API}/emails/release-held", headers=tokens["admin"])
    assert answer.status_code == 200 and answer.json == {"released": 1}
    assert rows["held"].id in deliver_due().sent
    assert [r.message["Subject"] for r in smtp.received] == ["80 %"]
    again = client.post(f"{API}/emails/release-held", headers=tokens["admin"])
    assert again.json == {"released": 0}
    [audited] = audit_rows("email.release_held")  # releasing nothing is not recorded
    assert audited.after == {"released": 1}


def test_the_openapi_document_describes_the_email_routes(client):
    document = client.get(f"{API}/openapi.json").json
    paths, schemas = document["paths"], document["components"]["schemas"]
    assert set(paths["/emails"]) == {"get"}
    names = {p["name"] for p in paths["/emails"]["get"]["parameters"]}
    assert {"client_id", "kind", "status", "page", "per_page"} <= names
    one = paths["/emails/{email_id}"]["get"]["responses"]["200"]["content"]["application/json"]
    assert one["schema"]["$ref"].endswith("/EmailDetailOut")
    assert SHAPE | {"body_text"} <= set(schemas["EmailDetailOut"]["properties"])
    assert "409" in paths["/emails/{email_id}/retry"]["post"]["responses"]
    assert "post" in paths["/emails/release-held"]
