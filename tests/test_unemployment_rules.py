"""Unemployment benefit months (《失业保险条例》 art. 17) on the rules, the CLI and the API."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from renshe.cli import app
from renshe.unemployment import rules


@pytest.mark.parametrize(("months", "expected"), [(0, 0), (11, 0), (12, 12), (59, 12), (60, 18), (119, 18),
                                                  (120, 24), (480, 24)])
def test_the_bands_of_article_17(months: int, expected: int) -> None:
    assert rules.benefit_months(contribution_months=months).months == expected


def test_an_earlier_spells_unused_months_are_added_up_to_24() -> None:
    assert rules.benefit_months(contribution_months=30, unused_months=5).months == 17
    assert rules.benefit_months(contribution_months=70, unused_months=10).months == 24
    assert rules.benefit_months(contribution_months=6, unused_months=10).months == 0  # not eligible at all


@given(st.integers(min_value=0, max_value=839), st.integers(min_value=0, max_value=24))
def test_months_never_fall_with_more_contributions_and_never_exceed_24(months: int, unused: int) -> None:
    now = rules.benefit_months(contribution_months=months, unused_months=unused).months
    later = rules.benefit_months(contribution_months=months + 1, unused_months=unused).months
    assert now <= later <= 24


def test_bad_input_is_named() -> None:
    with pytest.raises(rules.UnemploymentRuleError) as bad:
        rules.benefit_months(contribution_months=-1)
    assert bad.value.code == "renshe:unemployment/contribution-months"
    with pytest.raises(rules.UnemploymentRuleError) as amount:
        rules.check_monthly_amount(amount_fen=250000, subsistence_fen=100000, minimum_wage_fen=240000)
    assert amount.value.code == "renshe:unemployment/amount"


def test_the_cli_answers_12_for_59_months_and_18_for_60() -> None:
    runner = CliRunner()
    for months, expected in (("59", 12), ("60", 18)):
        done = runner.invoke(app, ["unemployment", "benefit-months", "--contribution-months", months, "--json"])
        assert done.exit_code == 0, done.output
        assert json.loads(done.output)["months"] == expected
    carried = runner.invoke(app, ["unemployment", "benefit-months", "--contribution-months", "60",
                                  "--unused-months", "10", "--json"])
    assert json.loads(carried.output)["months"] == 24
    bad = runner.invoke(app, ["unemployment", "benefit-months", "--contribution-months", "六十", "--json"])
    assert bad.exit_code != 0
    assert "累计缴费月数" in bad.output


def test_the_api_answers_the_same(client: TestClient) -> None:
    got = client.get("/api/v1/unemployment/benefit-months", params={"contribution_months": "60"})
    assert got.status_code == 200
    assert got.json()["months"] == 18
    posted = client.post("/api/v1/unemployment/benefit-months", json={"contribution_months": 59})
    assert posted.json()["months"] == 12
    bad = client.post("/api/v1/unemployment/benefit-months", json={"contribution_months": "x", "unused_months": 99})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert {e["field"] for e in bad.json()["errors"]} == {"contribution_months", "unused_months"}
