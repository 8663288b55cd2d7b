"""The API docs page works offline: Swagger UI from the package, no CDN, no inline script."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient


def test_api_docs_page_loads_everything_from_this_site(client: TestClient) -> None:
    page = client.get("/api/docs")
    assert page.status_code == 200
    assert "http://" not in page.text  # nothing from another host
    assert "https://" not in page.text
    assert not re.search(r"<script>(?!</script>)", page.text)  # every script has a src
    sources = re.findall(r'(?:src|href)="(/[^"]+)"', page.text)
    assert any(s.endswith("swagger-ui-bundle.js") for s in sources)
    for source in sources:
        asset = client.get(source)
        assert asset.status_code == 200, source
        assert len(asset.content) > 100, source
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "cdn" not in policy
