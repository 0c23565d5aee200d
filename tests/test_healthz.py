"""/healthz answers without touching the database (load balancers poll it often)."""

from sqlalchemy import event

from portal.extensions import db


def test_healthz_answers_ok_without_sql(app, client):
    statements = []

    def note(_conn, _cursor, statement, *_args):
        statements.append(statement)

    db.session.commit()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert response.status_code == 200
    assert response.text == "ok\n"
    assert statements == []
