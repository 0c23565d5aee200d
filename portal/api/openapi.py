"""The OpenAPI 3 description of API v1, served at /api/v1/openapi.json (no token needed)."""

from flask import jsonify

from portal.api import bp

MONEY = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "example": "133.33"}
HOURS = {"type": "string", "pattern": r"^\d+\.\d{2}$", "example": "4.25"}
DATE = {"type": "string", "format": "date", "example": "2026-09-11"}
PERIOD = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-09"}
ID = {"type": "integer"}


def obj(required: list[str] | None = None, **props) -> dict:
    """A JSON object schema."""
    schema = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def ref(name: str) -> dict:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def listing(name: str) -> dict:
    """The list envelope around a schema."""
    return obj(items={"type": "array", "items": ref(name)}, page=ID, per_page=ID, total=ID)


SCHEMAS = {
    "Error": obj(
        ["error"],
        error={"type": "string"},
        message={"type": "string"},
        fields={"type": "object", "additionalProperties": {"type": "string"}},
    ),
    "Me": obj(
        id=ID,
        email={"type": "string"},
        role={"enum": ["admin", "operator", "client"]},
        client_id={"type": ["integer", "null"]},
    ),
    "Settings": obj(
        business_timezone={"type": "string"},
        invoice_on_close={"type": "boolean"},
        due_days=ID,
        invoice_number_format={"type": "string"},
    ),
    "Currency": obj(
        id=ID,
        code={"type": "string"},
        decimals=ID,
        prefix={"type": "string"},
        suffix={"type": "string"},
        is_default={"type": "boolean"},
    ),
    "Price": obj(["currency", "rate"], currency={"type": "string"}, fee=MONEY, rate=MONEY),
    "Plan": obj(
        id=ID,
        name={"type": "string"},
        description={"type": "string"},
        model={"enum": ["package", "hourly"]},
        included_hours=HOURS,
        prorate={"type": "boolean"},
        active={"type": "boolean"},
        prices={"type": "array", "items": ref("Price")},
    ),
    "Subscription": obj(
        id=ID,
        client_id=ID,
        plan_id=ID,
        plan={"type": "string"},
        model={"type": "string"},
        start_date=DATE,
        end_date=DATE,
        fee=MONEY,
        rate=MONEY,
        included_hours=HOURS,
        prorate={"type": "boolean"},
        currency={"type": "string"},
    ),
    "Client": obj(
        id=ID,
        name={"type": "string"},
        email={"type": "string"},
        currency={"type": "string"},
        subscription=ref("Subscription"),
    ),
    "Ticket": obj(
        id=ID,
        number={"type": "string"},
        client_id=ID,
        subject={"type": "string"},
        department={"type": "string"},
        priority={"type": "string"},
        status={"type": "string"},
        time_tracking={"type": "boolean"},
        total_hours=HOURS,
        created_at={"type": "string"},
        updated_at={"type": "string"},
    ),
    "Message": obj(
        id=ID,
        ticket_id=ID,
        author_id=ID,
        from_staff={"type": "boolean"},
        message={"type": "string"},
        created_at={"type": "string"},
    ),
    "TimeEntry": obj(
        id=ID,
        ticket_id=ID,
        subscription_id={"type": ["integer", "null"]},
        minutes=ID,
        hours=HOURS,
        work_date=DATE,
        billable={"type": "boolean"},
        note={"type": "string"},
        operator_id=ID,
    ),
    "TimeEntryInput": obj(
        ["hours"],
        hours={"type": "string", "example": "1:30"},
        work_date=DATE,
        note={"type": "string"},
        billable={"type": "boolean"},
        assign_plan_id=ID,
    ),
    "Usage": obj(
        period=PERIOD,
        plan={"type": ["string", "null"]},
        model={"type": ["string", "null"]},
        currency={"type": "string"},
        included_hours=HOURS,
        used_hours=HOURS,
        remaining_hours=HOURS,
        overtime_hours=HOURS,
        overtime_amount=MONEY,
    ),
    "BillingPeriod": obj(
        period=PERIOD,
        status={"enum": ["open", "closed"]},
        closed_at={"type": ["string", "null"]},
        items=ID,
        invoices=ID,
        total_by_currency={"type": "object", "additionalProperties": MONEY},
    ),
    "BillableItem": obj(
        id=ID,
        client_id=ID,
        subscription_id=ID,
        period=PERIOD,
        kind={"enum": ["package_fee", "overtime", "hourly"]},
        description={"type": "string"},
        hours=HOURS,
        unit_rate=MONEY,
        amount=MONEY,
        currency={"type": "string"},
        invoice_id={"type": ["integer", "null"]},
    ),
    "Invoice": obj(
        id=ID,
        number={"type": "string"},
        client_id=ID,
        period=PERIOD,
        currency={"type": "string"},
        status={"enum": ["Unpaid", "Paid", "Cancelled"]},
        issue_date=DATE,
        due_date=DATE,
        paid_date=DATE,
        total=MONEY,
        lines={"type": "array", "items": {"type": "object"}},
    ),
    "Close": obj(
        period=PERIOD,
        already_closed={"type": "boolean"},
        items={"type": "array", "items": ref("BillableItem")},
        invoices={"type": "array", "items": ref("Invoice")},
    ),
}

# path -> method -> (summary, who may call, request schema or None, response schema, status)
OPERATIONS = {
    "/me": {"get": ("Who the token acts as", "any", None, "Me", 200)},
    "/settings": {
        "get": ("Business settings", "admin", None, "Settings", 200),
        "put": ("Change business settings", "admin", "Settings", "Settings", 200),
    },
    "/currencies": {
        "get": ("Currencies", "any", None, "Currency", 200),
        "post": ("Add a currency", "admin", "Currency", "Currency", 201),
    },
    "/plans": {
        "get": ("Plans", "staff", None, "Plan", 200),
        "post": ("Add a plan", "admin", "Plan", "Plan", 201),
    },
    "/plans/{id}": {
        "get": ("One plan", "staff", None, "Plan", 200),
        "patch": ("Change a plan and its prices", "admin", "Plan", "Plan", 200),
    },
    "/clients": {
        "get": ("Clients", "staff", None, "Client", 200),
        "post": ("Add a client", "admin", "Client", "Client", 201),
    },
    "/clients/{id}": {"get": ("One client", "staff", None, "Client", 200)},
    "/clients/{id}/subscriptions": {
        "get": ("A client's subscriptions", "staff", None, "Subscription", 200),
        "post": ("Assign a plan", "staff", "Subscription", "Subscription", 201),
    },
    "/subscriptions/{id}/cancel": {
        "post": ("Cancel at the end of the current month", "admin", None, "Subscription", 200)
    },
    "/tickets": {
        "get": ("Tickets (a client's own for client tokens)", "staff, client", None, "Ticket", 200),
        "post": ("Open a ticket", "staff, client", "Ticket", "Ticket", 201),
    },
    "/tickets/{id}": {
        "get": ("One ticket", "staff, client (own)", None, "Ticket", 200),
        "patch": ("Change status or tracking", "staff", "Ticket", "Ticket", 200),
    },
    "/tickets/{id}/replies": {"post": ("Reply", "staff, client (own)", "Message", "Message", 201)},
    "/tickets/{id}/time-entries": {
        "get": ("A ticket's time", "staff, client (own)", None, "TimeEntry", 200),
        "post": (
            "Log time (assign_plan_id: plan on the spot)",
            "staff",
            "TimeEntryInput",
            "TimeEntry",
            201,
        ),
    },
    "/time-entries/{id}": {
        "patch": (
            "Change time (409 period_closed)",
            "author or admin",
            "TimeEntryInput",
            "TimeEntry",
            200,
        ),
        "delete": ("Delete time (409 period_closed)", "author or admin", None, None, 204),
    },
    "/clients/{id}/usage": {
        "get": ("Hours for a period (?period=YYYY-MM)", "staff, client (own)", None, "Usage", 200)
    },
    "/billing/periods": {"get": ("Months and their state", "admin", None, "BillingPeriod", 200)},
    "/billing/periods/{period}/preview": {
        "post": ("What a close would create; writes nothing", "admin", None, "Close", 200)
    },
    "/billing/periods/{period}/close": {
        "post": (
            "Close a past month exactly once (400 period_not_ended)",
            "admin",
            None,
            "Close",
            200,
        )
    },
    "/billable-items": {
        "get": (
            "Billable items (?client_id=&period=)",
            "staff, client (own)",
            None,
            "BillableItem",
            200,
        )
    },
    "/invoices": {
        "get": ("Invoices (?client_id=&period=)", "staff, client (own)", None, "Invoice", 200)
    },
    "/invoices/{id}": {"get": ("One invoice", "staff, client (own)", None, "Invoice", 200)},
    "/invoices/{id}/mark-paid": {"post": ("Unpaid -> Paid", "admin", None, "Invoice", 200)},
    "/invoices/{id}/cancel": {"post": ("Unpaid -> Cancelled", "admin", None, "Invoice", 200)},
}
LISTS = {
    "/plans",
    "/clients",
    "/tickets",
    "/tickets/{id}/time-entries",
    "/billable-items",
    "/invoices",
    "/clients/{id}/subscriptions",
    "/currencies",
}


def document() -> dict:
    """Build the OpenAPI document."""
    paths = {}
    for path, methods in OPERATIONS.items():
        paths[path] = {}
        for method, (summary, who, request_schema, response_schema, status) in methods.items():
            op = {
                "summary": summary,
                "description": f"Who may call: {who}.",
                "responses": {
                    "400": {
                        "description": "Validation error",
                        "content": {"application/json": {"schema": ref("Error")}},
                    },
                    "401": {"description": "Missing or invalid token"},
                    "403": {"description": "Role not allowed"},
                    "404": {"description": "Not found (or another client's)"},
                },
            }
            if request_schema:
                op["requestBody"] = {
                    "content": {"application/json": {"schema": ref(request_schema)}}
                }
            if response_schema:
                schema = (
                    listing(response_schema)
                    if method == "get" and path in LISTS
                    else ref(response_schema)
                )
                op["responses"][str(status)] = {
                    "description": "OK",
                    "content": {"application/json": {"schema": schema}},
                }
            else:
                op["responses"][str(status)] = {"description": "Done"}
            paths[path][method] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "Support Hours Portal API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": SCHEMAS,
        },
        "paths": paths,
    }


@bp.get("/openapi.json")
def openapi():
    """The API description; public, it holds no data."""
    return jsonify(document())
