"""RFC 9457 everywhere machines call: every error of a machine path is application/problem+json whatever the
Accept header, and content negotiation on pages takes problem+json and */* as asking for JSON."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

pytestmark = pytest.mark.usefixtures("call_log_inline")  # the app shares the test connection

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("path", [
    "/certs/status/no-such-purpose/1",
    "/certs/status/revocation/not-a-number",
    "/.well-known/no-such-thing",
    "/share/v1/no-such-resource",
    "/api/v1/no-such-route",
    "/api/v1/persons",  # no credentials: 401
])
@pytest.mark.parametrize("accept", ["*/*", "application/problem+json", "application/json", BROWSER, ""])
def test_machine_paths_answer_problem_json(client: TestClient, path: str, accept: str) -> None:
    response = client.get(path, headers={"Accept": accept} if accept else {}, follow_redirects=False)
    assert response.status_code >= 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text[:200]
    body = response.json()
    assert body["status"] == response.status_code
    assert body["type"].startswith("renshe:")
    assert body["title"]


@pytest.mark.parametrize("accept", ["application/problem+json", "application/json", "application/problem+json, */*"])
def test_pages_answer_problem_json_when_asked(client: TestClient, accept: str) -> None:
    response = client.get("/staff/no-such-page", headers={"Accept": accept})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "renshe:http/404"


def test_pages_answer_html_to_browsers(client: TestClient) -> None:
    response = client.get("/staff/no-such-page", headers={"Accept": BROWSER})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_openapi_documents_every_error_as_a_problem(client: TestClient) -> None:
    import jsonschema_rs

    spec = client.get("/openapi.json").json()
    problem = spec["components"]["schemas"]["Problem"]
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    bearer = spec["components"]["securitySchemes"]["bearer"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "403", "404", "422", "429"):
                answer = operation["responses"][status]
                assert answer["content"], (method, path, status)
                oauth = path == "/share/v1/token" and status == "401"  # RFC 6749 §5.2 names application/json
                media = "application/json" if oauth else "application/problem+json"
                assert answer["content"][media]["schema"] == {"$ref": "#/components/schemas/Problem"}
    # a real 422 body is what the document says
    bad = client.post("/api/v1/certs/verify", json={"value": 12})
    assert bad.status_code == 422
    jsonschema_rs.validator_for(problem).validate(bad.json())
