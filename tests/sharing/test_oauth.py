"""The gateway's token endpoint against an outside OAuth2 client (authlib): client_secret_basic and
client_secret_post (RFC 6749 §2.3.1), errors as §5.2 names them, answers never cached (§5.1)."""

from __future__ import annotations

import base64
import warnings
from urllib.parse import quote_plus

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.sharing import service

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib's httpx integration announces httpx2
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError


def _consumer(session: Session) -> tuple[str, str]:
    consumer, secret = service.add_consumer(session, actor=SYSTEM, name="某市医保局", grants=["identity-verification"],
                                            purpose="参保核验", legal_basis="依法履职")
    session.commit()
    return consumer.client_id, secret


def _oauth_client(client: TestClient, client_id: str, secret: str, method: str) -> OAuth2Client:
    return OAuth2Client(client_id, secret, token_endpoint_auth_method=method, base_url="http://testserver",
                        transport=client._transport)  # the real app, in process


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_gets_a_token_and_uses_it(client: TestClient, session: Session, method: str) -> None:
    client_id, secret = _consumer(session)
    with _oauth_client(client, client_id, secret, method) as oauth:
        token = oauth.fetch_token("http://testserver/share/v1/token", grant_type="client_credentials")
        assert token["token_type"].lower() == "bearer"
        assert token["expires_in"] > 0
        allowed = oauth.get("http://testserver/share/v1/catalog/allowed")
    assert allowed.status_code == 200, allowed.text
    assert [r["short_name"] for r in allowed.json()] == ["identity-verification"]


def test_token_answers_are_not_cached(client: TestClient, session: Session) -> None:
    client_id, secret = _consumer(session)
    response = client.post("/share/v1/token", auth=(client_id, secret), data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"


def test_wrong_secret_by_basic_is_invalid_client_401_with_www_authenticate(client: TestClient,
                                                                         session: Session) -> None:
    client_id, _secret = _consumer(session)
    with _oauth_client(client, client_id, "wrong", "client_secret_basic") as oauth, \
            pytest.raises(OAuthError) as caught:
        oauth.fetch_token("http://testserver/share/v1/token", grant_type="client_credentials")
    assert caught.value.error == "invalid_client"
    response = client.post("/share/v1/token", auth=(client_id, "wrong"), data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    assert response.json()["error"] == "invalid_client"


def test_basic_credentials_are_form_urlencoded(client: TestClient, session: Session) -> None:
    """§2.3.1: id and secret are form-urlencoded before Basic; a secret with ":" or "+" must survive it."""
    client_id, secret = _consumer(session)
    raw = base64.b64encode(f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()).decode()
    response = client.post("/share/v1/token", headers={"Authorization": f"Basic {raw}"},
                           data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    wrong = base64.b64encode(f"{client_id}:{secret}+x".encode()).decode()
    assert client.post("/share/v1/token", headers={"Authorization": f"Basic {wrong}"},
                       data={"grant_type": "client_credentials"}).status_code == 401


@pytest.mark.parametrize(("data", "auth", "status", "error"), [
    ({"grant_type": "password", "client_id": "x", "client_secret": "y"}, None, 400, "unsupported_grant_type"),
    ({"client_id": "x", "client_secret": "y"}, None, 400, "invalid_request"),
    ({"grant_type": "client_credentials"}, None, 401, "invalid_client"),
    ({"grant_type": "client_credentials", "client_secret": "y"}, ("x", "y"), 400, "invalid_request"),
    ({"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "y"}, None, 401,
     "invalid_client"),
])
def test_token_errors_follow_rfc_6749(client: TestClient, session: Session, data: dict[str, str],
                                      auth: tuple[str, str] | None, status: int, error: str) -> None:
    response = client.post("/share/v1/token", data=data, auth=auth)
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert body["status"] == status  # the problem members stay beside RFC 6749's
    assert response.headers["cache-control"] == "no-store"
    if status == 401:
        assert "www-authenticate" in response.headers
