"""The OpenAPI document describes exactly the routes the API serves."""

import re

from portal.api.openapi import OPERATIONS


def routes(app) -> dict[str, set[str]]:
    """API routes as OpenAPI paths with their methods."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        path = path.replace("{ticket_id}", "{id}").replace("{entry_id}", "{id}")
        path = re.sub(r"\{(invoice|client|plan|subscription)_id\}", "{id}", path)
        found.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return found


def test_document_matches_the_routes(app):
    described = {path: set(methods) for path, methods in OPERATIONS.items()}
    assert routes(app) == described


def test_document_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"].startswith("3.") and "/tickets/{id}/time-entries" in doc["paths"]
    post = doc["paths"]["/tickets/{id}/time-entries"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "TimeEntryInput"
    )
