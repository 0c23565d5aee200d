"""The OpenAPI document is generated from the schemas the API validates with: every route is
in it with its parameters, and it is a valid OpenAPI 3.1 document."""

import re

from openapi_spec_validator import validate

PUBLIC = {"api.openapi"}


def routes(app) -> dict[str, set[str]]:
    """API routes as OpenAPI paths with their methods."""
    found: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint in PUBLIC:
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule[len("/api/v1") :])
        found.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return found


def operations(doc: dict):
    """(path, method, operation) for every operation of the document."""
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield path, method, operation


def test_document_is_served_without_a_token_and_is_valid_openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.json
    assert doc["openapi"] == "3.1.0"
    validate(doc)  # raises on an invalid document


def test_document_describes_exactly_the_routes(app, client):
    doc = client.get("/api/v1/openapi.json").json
    described = {path: set(item) - {"parameters"} for path, item in doc["paths"].items()}
    assert described == routes(app)


def test_every_path_parameter_is_declared(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, method, operation in operations(doc):
        declared = {
            p["name"]
            for p in doc["paths"][path].get("parameters", []) + operation.get("parameters", [])
            if p["in"] == "path"
        }
        assert declared == set(re.findall(r"\{(\w+)\}", path)), (method, path)


def test_ids_in_paths_are_bounded_integers(client):
    doc = client.get("/api/v1/openapi.json").json
    params = doc["paths"]["/tickets/{ticket_id}"]["parameters"]
    assert params[0]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


def test_writes_declare_a_body_with_required_fields_and_no_read_only_ones(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    post = doc["paths"]["/tickets/{ticket_id}/time-entries"]["post"]
    name = post["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert schemas[name]["required"] == ["hours"]
    assert "id" not in schemas[name]["properties"]
    assert schemas[name]["additionalProperties"] is False
    assert schemas[name]["properties"]["assign_plan_id"]["minimum"] == 1


def test_lists_declare_their_query_parameters(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/currencies", "/clients/{client_id}/subscriptions", "/tickets", "/invoices"):
        names = {p["name"] for p in doc["paths"][path]["get"]["parameters"]}
        assert {"page", "per_page"} <= names, path
    invoices = {p["name"] for p in doc["paths"]["/invoices"]["get"]["parameters"]}
    assert {"client_id", "period"} <= invoices


def test_responses_say_what_can_be_null(client):
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    assert "null" in schemas["SubscriptionOut"]["properties"]["end_date"]["type"]
    assert "null" in schemas["InvoiceOut"]["properties"]["paid_date"]["type"]
    subscription = schemas["ClientOut"]["properties"]["subscription"]
    assert {"type": "null"} in subscription["anyOf"]


def test_periods_list_is_an_array(client):
    doc = client.get("/api/v1/openapi.json").json
    schema = doc["paths"]["/billing/periods"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert schema["type"] == "array"


def test_error_statuses_are_documented_with_the_error_body(client):
    doc = client.get("/api/v1/openapi.json").json
    for path, method, operation in operations(doc):
        statuses = set(operation["responses"])
        expected = {"400", "401", "403", "404", "405", "413", "415"}
        if method != "get":
            expected |= {"409", "503"}
        assert expected <= statuses, (method, path)
        error = operation["responses"]["404"]["content"]["application/json"]["schema"]
        assert error["$ref"].endswith("/ErrorOut")
