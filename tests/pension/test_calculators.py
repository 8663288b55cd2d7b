"""The calculators as a person and a program use them: `renshe pension … --json`, `GET`/`POST /api/v1/…`,
and the citizen page 养老金测算."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from typer.testing import CliRunner

from renshe.cli import app as cli_app

CALCULATE = {"average_wage": "8000", "index": "1.2", "months": "360", "account_balance": "200000", "age": "60y0m"}
EXPECTED = {"basic": "2640.00", "account": "1438.85", "transitional": "0.00", "total": "4078.85"}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.output


def cli_json(*args: str) -> dict[str, Any]:
    code, output = run(*args, "--json")
    assert code == 0, output
    answer: dict[str, Any] = json.loads(output)
    return answer


# ---------------------------------------------------------------- CLI


def test_cli_calculate_answers_the_issue_figures_exactly() -> None:
    answer = cli_json("pension", "calculate", "--average-wage", "8000", "--index", "1.2", "--months", "360",
                      "--account-balance", "200000", "--age", "60y0m")
    assert {k: answer[k] for k in EXPECTED} == EXPECTED
    steps = {s["name"]: s for s in answer["trace"]}
    assert steps["basic"]["value"] == "2640.00"
    assert steps["divisor"]["value"] == "139.0"
    assert all({"name", "label", "formula", "inputs", "value", "source"} <= set(s) for s in answer["trace"])


def test_cli_calculate_with_deemed_months_and_coefficient() -> None:
    answer = cli_json("pension", "calculate", "--average-wage", "8000", "--index", "1.2", "--months", "360",
                      "--account-balance", "200000", "--age", "60y0m", "--deemed-months", "120",
                      "--transitional-coefficient", "0.013")
    assert answer["transitional"] == "1248.00"  # 8000 × 1.2 × 10 × 1.3 %
    assert answer["total"] == "5326.85"


@pytest.mark.parametrize(("birth", "sex", "extra", "age", "months"), [
    ("1965-01", "male", [], "60y1m", 721),
    ("1967-05", "male", [], "60y8m", 728),
    ("1974-10", "female", ["--original-age", "55"], "56y3m", 675),
    ("1983-02", "male", [], "63y0m", 756),
])
def test_cli_retirement_age(birth: str, sex: str, extra: list[str], age: str, months: int) -> None:
    answer = cli_json("pension", "retirement-age", "--birth", birth, "--sex", sex, *extra)
    assert answer["age"] == age
    assert answer["age_months"] == months
    year, month = divmod(int(birth[:4]) * 12 + int(birth[5:]) - 1 + months, 12)
    assert answer["retirement_month"] == f"{year:04d}-{month + 1:02d}"
    assert answer["minimum_contribution_months"] >= 180


def test_cli_flexible_retirement_is_refused_with_the_rule() -> None:
    code, output = run("pension", "retirement-age", "--birth", "1983-02", "--sex", "male", "--requested-month",
                       "2042-02", "--contribution-months", "300", "--json")
    assert code == 1
    assert "renshe:pension/flexible-below-original-age" in output
    assert "原法定退休年龄" in output
    answer = cli_json("pension", "retirement-age", "--birth", "1983-02", "--sex", "male", "--requested-month",
                      "2044-02", "--contribution-months", "300")
    assert answer["flexible"]["kind"] == "early"
    assert answer["flexible"]["age"] == "61y0m"


def test_cli_divisor_transfer_and_surcharge() -> None:
    assert cli_json("pension", "divisor", "--age", "60y6m")["divisor"] == "135.5"
    assert cli_json("pension", "divisor", "--age", "60y1m")["divisor"] == "138.4"
    transfer = cli_json("pension", "transfer-amount", "--monthly-base", "5000", "--months", "12")
    assert transfer["amount"] == "7200.00"
    surcharge = cli_json("insurance", "surcharge", "--amount", "10000", "--days", "30")
    assert surcharge["surcharge"] == "150.00"
    assert surcharge["amount"] == "10000.00"


def test_cli_refuses_bad_input_in_chinese_and_exits_non_zero() -> None:
    code, output = run("pension", "calculate", "--average-wage", "八千", "--index", "0", "--months", "360",
                       "--account-balance", "200000", "--age", "60y13m", "--json")
    assert code == 1
    assert "上年度全省月平均工资应为数字" in output
    assert "平均缴费指数应大于0" in output
    assert "60y13m" in output
    code, output = run("insurance", "surcharge", "--amount", "-5", "--days", "30")
    assert code == 1
    assert "renshe:insurance/amount" in output
    code, output = run("pension", "divisor", "--age", "71y0m")
    assert code == 1
    assert "renshe:pension/age-range" in output


def test_the_installed_command_prints_json() -> None:
    result = subprocess.run([sys.executable, "-m", "renshe", "pension", "calculate", "--average-wage", "8000",
                             "--index", "1.2", "--months", "360", "--account-balance", "200000", "--age", "60y0m",
                             "--json"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert {k: json.loads(result.stdout)[k] for k in EXPECTED} == EXPECTED


# ---------------------------------------------------------------- API


def test_api_calculate_get_and_post(client: Any) -> None:
    got = client.get("/api/v1/pension/calculate", params=CALCULATE)
    assert got.status_code == 200, got.text
    assert {k: got.json()[k] for k in EXPECTED} == EXPECTED
    posted = client.post("/api/v1/pension/calculate", json={**CALCULATE, "index": 1.2, "months": 360})
    assert posted.status_code == 200, posted.text
    assert {k: posted.json()[k] for k in EXPECTED} == EXPECTED
    assert posted.json()["trace"] == got.json()["trace"]


def test_api_other_calculators(client: Any) -> None:
    age = client.get("/api/v1/pension/retirement-age", params={"birth": "1965-01", "sex": "male"}).json()
    assert (age["age"], age["age_months"], age["retirement_month"], age["minimum_contribution_months"]) == \
        ("60y1m", 721, "2025-02", 180)
    woman = client.post("/api/v1/pension/retirement-age", json={"birth": "1974-10", "sex": "female",
                                                                "original_age": 55}).json()
    assert woman["age"] == "56y3m"
    assert client.get("/api/v1/pension/divisor", params={"age": "50y1m"}).json()["divisor"] == "194.6"
    assert client.post("/api/v1/pension/divisor", json={"age": "60y6m"}).json()["divisor"] == "135.5"
    assert client.post("/api/v1/pension/transfer-amount", json={"monthly_base": "5000", "months": 12}
                       ).json()["amount"] == "7200.00"
    assert client.get("/api/v1/pension/transfer-amount", params={"monthly_base": "5000", "months": "12"}
                      ).json()["amount"] == "7200.00"
    assert client.get("/api/v1/insurance/surcharge", params={"amount": "10000", "days": "30"}
                      ).json()["surcharge"] == "150.00"
    assert client.post("/api/v1/insurance/surcharge", json={"amount": "10000", "days": 30}
                       ).json()["surcharge"] == "150.00"


def test_api_refusals_are_problems_with_stable_codes(client: Any) -> None:
    bad = client.get("/api/v1/pension/calculate", params={**CALCULATE, "months": "abc", "age": "80y0m"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    body = bad.json()
    assert body["type"] == "renshe:pension/months"
    assert {(e["field"], e["code"]) for e in body["errors"]} == {("months", "renshe:pension/months")}
    out_of_table = client.post("/api/v1/pension/calculate", json={**CALCULATE, "age": "80y0m"})
    assert out_of_table.status_code == 422
    assert out_of_table.json()["type"] == "renshe:pension/age-range"
    assert out_of_table.json()["errors"][0]["field"] == "age"
    missing = client.post("/api/v1/pension/retirement-age", json={"birth": "1965-1x"})
    assert missing.status_code == 422
    assert {e["field"] for e in missing.json()["errors"]} == {"birth", "sex"}
    deemed = client.post("/api/v1/pension/calculate", json={**CALCULATE, "deemed_months": "400"})
    assert deemed.json()["type"] == "renshe:pension/deemed-months"
    surcharge = client.get("/api/v1/insurance/surcharge", params={"amount": "1.234", "days": "x"})
    assert surcharge.status_code == 422
    assert [e["field"] for e in surcharge.json()["errors"]] == ["amount", "days"]


def test_openapi_lists_the_calculators(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/v1/pension/retirement-age", "/api/v1/pension/divisor", "/api/v1/pension/calculate",
                 "/api/v1/pension/transfer-amount", "/api/v1/insurance/surcharge"):
        assert {"get", "post"} <= set(paths[path])


# ---------------------------------------------------------------- page


def test_page_shows_the_result_and_trace(client: Any) -> None:
    empty = client.get("/citizen/pension/calculator")
    assert empty.status_code == 200
    assert "养老金测算" in empty.text
    page = client.get("/citizen/pension/calculator", params={"form": "benefit", **CALCULATE})
    assert page.status_code == 200
    assert "4078.85 元/月" in page.text
    assert "养老金计算过程" in page.text
    assert "国发〔2005〕38号" in page.text
    age = client.get("/citizen/pension/calculator", params={"form": "retirement", "birth": "1965-01",
                                                            "sex": "male"})
    assert "60岁1个月" in age.text
    assert "2025年2月" in age.text


def test_page_names_each_bad_field_in_chinese(client: Any) -> None:
    page = client.get("/citizen/pension/calculator", params={"form": "benefit", **CALCULATE, "index": "abc",
                                                             "months": ""})
    assert page.status_code == 422
    assert 'id="benefit-index-error"' in page.text
    assert "平均缴费指数应为数字" in page.text
    assert "请填写累计缴费月数" in page.text
    assert 'aria-invalid="true"' in page.text


def test_page_in_elderly_mode(client: Any) -> None:
    client.cookies.set("renshe_elderly", "1")
    page = client.get("/citizen/pension/calculator", params={"form": "benefit", **CALCULATE})
    assert 'class="elderly"' in page.text
    assert "4078.85" in page.text
