"""The README keeps the promises a new user reads (issue 9, item 18): a section listing every import and
export (each such route and command of the app is named there), and how to serve on another port."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

README = Path(__file__).resolve().parent.parent / "README.md"
TRANSFER = re.compile(r"(import|export|receipts|upload|produced|/batch/identity|/result$|\.xlsx$|\.pdf$|/pdf$)")


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert f"\n## {title}\n" in text, f"README has no section “{title}”"
    return text.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _routes() -> set[str]:
    from renshe.web.app import create_app
    from tests.browser.test_narrow_pages import _walk

    return {path for path, route in _walk(create_app().routes) if TRANSFER.search(path)
            and (route.methods or set()) & {"GET", "POST"} and not path.startswith("/api/docs")}


def test_the_import_export_section_names_every_import_and_export() -> None:
    section = _section("Import and export (导入导出)")
    routes = _routes()
    assert "/api/v1/imports/persons" in routes
    assert "/staff/insurance/parameters.xlsx" in routes
    missing = sorted(r for r in routes if r not in section)
    assert not missing, f"imports/exports the README does not name: {missing}"
    for command in ("renshe import persons", "renshe import employers", "renshe export persons",
                    "renshe insurance receipts", "renshe hall export", "renshe sharing export-catalog",
                    "renshe calendar load"):
        assert command in section or command.replace("persons", "persons\\|employers") in section, command


def test_the_readme_says_how_to_choose_another_port() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make demo PORT=" in text
    assert "renshe serve --port" in text
    makefile = (README.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^PORT \?= 8000$", makefile, re.M)
    assert "--port $(PORT)" in makefile
    from renshe.cli import app

    assert "--port" in CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"}).output
