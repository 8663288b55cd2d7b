"""The gates in front of the included routers (`renshe.web.app._gate_included_routers`) change no answer: every
route of every gated router is still reached by a path of its own pattern, a wrong method still gets 405, and a
path no route has gets 404."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from starlette.routing import Match

from renshe.web.app import create_app


def _leaves(route: Any) -> list[Any]:
    if type(route).__name__ == "_IncludedRouter":
        return [leaf for candidate in route.effective_candidates() for leaf in _leaves(candidate)]
    return [getattr(route, "original_route", route)]


def test_every_route_of_a_gated_router_is_still_reached() -> None:
    app = create_app()
    gated = [r for r in app.router.routes if "matches" in vars(r)]
    assert len(gated) >= 20  # most routers are gated
    checked = 0
    for router in gated:
        for leaf in _leaves(router):
            path = re.sub(r"\{[^}:]+(:[a-z]+)?\}", "1", leaf.path)
            scope = {"type": "http", "path": path, "root_path": "", "method": sorted(leaf.methods)[0],
                     "headers": []}
            match, _ = router.matches(scope)
            assert match is not Match.NONE, leaf.path
            checked += 1
        foreign = {"type": "http", "path": "/no/such/route/anywhere", "root_path": "", "method": "GET",
                   "headers": []}
        assert router.matches(foreign)[0] is Match.NONE
    assert checked > 200


def test_answers_are_unchanged_for_unknown_paths_and_wrong_methods() -> None:
    client = TestClient(create_app())
    assert client.get("/no/such/route/anywhere").status_code == 404
    assert client.put("/citizen/insurance").status_code == 405  # the path exists for GET only
    assert client.get("/citizen/insurance", follow_redirects=False).status_code in (303, 307, 401)
