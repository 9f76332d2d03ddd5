"""The OpenAPI document: valid, complete, and the same shapes the views validate with."""
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from web.api.errors import STATUS
from web.api.openapi import OPERATIONS


def fetch(client):
    response = client.get("/api/v1/station/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def validator(doc, name):
    # The components ride along in the root, so "#/components/schemas/..." resolves.
    return OAS30Validator({"$ref": f"#/components/schemas/{name}", "components": doc["components"]})


def test_the_document_is_valid_openapi_3(client, world):
    doc = fetch(client)
    assert doc["openapi"].startswith("3.")
    validate(doc)


def test_every_route_of_the_api_is_in_the_document(app, client, world):
    doc = fetch(client)
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("station_api.")
              for method in rule.methods - {"HEAD", "OPTIONS"} if not rule.rule.endswith("/openapi.json")}
    documented = {(method.upper(), path.replace("{", "<").replace("}", ">"))
                  for path, methods in doc["paths"].items() for method in methods}
    normalised = {(m, r.replace("<int:", "<")) for m, r in routes}
    assert normalised == documented
    assert len(OPERATIONS) == len(documented)


def test_every_error_code_is_documented_with_its_status(client, world):
    doc = fetch(client)
    described = {}
    for methods in doc["paths"].values():
        for op in methods.values():
            for status, response in op["responses"].items():
                if response["description"].startswith("错误码"):
                    for code in response["description"].split(": ", 1)[1].split(", "):
                        described.setdefault(code, set()).add(int(status))
    assert {code: {status} for code, status in STATUS.items()} == described


def test_requests_and_answers_fit_the_document(client, pos, member, code):
    doc = fetch(client)
    body = {"pos_txn_no": "T1", "member_code": code(), "station_nozzle": "3", "pay_with": "balance",
            "lines": [{"kind": "fuel", "grade": "92", "litres": "40.00", "unit_price_fen": 765},
                      {"kind": "shop", "category": "drinks", "sku": "COLA", "amount_fen": 500}]}
    validator(doc, "SaleRequest").validate(body)
    answer = pos.post("/sales", body)
    assert answer.status_code == 201
    validator(doc, "SaleReply").validate(answer.get_json())
    assert not validator(doc, "SaleRequest").is_valid({**body, "lines": [{"kind": "fuel", "litres": 40}]})
