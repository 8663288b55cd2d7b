"""schemathesis over every operation of /openapi.json, as an administrator (a consumer on the gateway) and
without credentials: no server error, no status code, media type or body the document does not name.
Bounded and seeded, it is a step of .ci/run of its own (RENSHE_FUZZ=1); the plain suite skips it."""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from sqlalchemy.orm import Session

from renshe.core.auth import SYSTEM
from renshe.sharing import service as sharing
from tests import factories

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

pytestmark = [pytest.mark.skipif(not os.environ.get("RENSHE_FUZZ"), reason="a step of .ci/run: RENSHE_FUZZ=1"),
              pytest.mark.usefixtures("call_log_inline")]  # the app shares the test connection
EXAMPLES = int(os.environ.get("RENSHE_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]


@pytest.fixture
def api_schema(app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture
def credentials(session: Session, client: Any) -> dict[str, dict[str, str]]:
    """An administrator of the province, a consumer of the gateway with every grant, and a person."""
    factories.person(session, county="110105", name="王秀英")
    admin = factories.staff_user(session, username="fuzz-admin", roles=("admin",), division="110000")
    consumer, secret = sharing.add_consumer(session, actor=SYSTEM, name="模糊测试局",
                                            grants=["identity-verification", "person-basic"],
                                            purpose="接口测试", legal_basis="依法履职")
    session.commit()
    token = client.post("/share/v1/token", data={"grant_type": "client_credentials", "client_id": consumer.client_id,
                                                 "client_secret": secret}).json()["access_token"]
    return {"staff": factories.bearer(admin), "consumer": {"Authorization": f"Bearer {token}"}}


def _fuzz(operation: Any, signed_in: dict[str, str], calls: list[int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case: Any) -> None:
        for headers in (signed_in, {}):
            case.call_and_validate(headers=headers, checks=CHECKS)
            calls[0] += 1

    run()


def test_every_operation(api_schema: Any, credentials: dict[str, dict[str, str]]) -> None:
    failures: list[str] = []
    calls = [0]
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 100
    for operation in operations:
        try:
            _fuzz(operation, credentials["consumer" if operation.path.startswith("/share/") else "staff"], calls)
        except (Exception, BaseExceptionGroup) as exc:  # every operation is tried; all that fail are named
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert not failures, f"{len(failures)} operations failed:\n\n" + "\n\n".join(failures)
    assert calls[0] >= 2 * len(operations)  # every operation was called, signed in and not
    print(f"schemathesis: {len(operations)} operations, {calls[0]} calls")
