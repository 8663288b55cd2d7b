"""`renshe pension …` calculators: retirement age, divisor, benefit and pooled-fund transfer, with `--json`;
the monthly payment run (`pay --month YYYY-MM`) and the yearly adjustment run (`adjust --year YYYY`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table

from renshe.core import clikit, db
from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError
from renshe.core.settings import get_settings
from renshe.pension import jobs, schemas

pension_app = typer.Typer(help="Enterprise employee pension (企业职工基本养老保险): calculators, payment and "
                          "adjustment runs", no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)
Json = Annotated[bool, typer.Option("--json", help="Print the answer as JSON")]


def _answer(compute: Callable[[], BaseModel], *, as_json: bool, render: Callable[[BaseModel], None]) -> None:
    try:
        answer = compute()
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(answer.model_dump_json())
        return
    render(answer)
    trace = getattr(answer, "trace", [])
    if trace:
        table = Table(title="计算过程")
        for column in ("步骤", "公式", "输入", "结果", "依据"):
            table.add_column(column, overflow="fold")
        for step in trace:
            inputs = "，".join(f"{k}={v}" for k, v in step.inputs.items())
            table.add_row(step.label, step.formula, inputs, step.value, step.source)
        console.print(table)


@pension_app.command("retirement-age")
def retirement_age(
    birth: Annotated[str, typer.Option(help="出生年月 YYYY-MM")],
    sex: Annotated[str, typer.Option(help="male 男 / female 女")],
    original_age: Annotated[str | None, typer.Option(help="原法定退休年龄 60 / 55 / 50（女职工默认50）")] = None,
    requested_month: Annotated[str | None, typer.Option(help="弹性退休：申请的退休年月 YYYY-MM")] = None,
    contribution_months: Annotated[str | None, typer.Option(help="弹性提前退休：已缴费月数（含视同）")] = None,
    employer_agrees: Annotated[bool, typer.Option(help="弹性延迟退休：单位与职工协商一致")] = False,
    as_json: Json = False,
) -> None:
    """Statutory retirement age and month (2024-09-13 decision), and the minimum contribution months."""
    data = schemas.RetirementAgeIn(birth=birth, sex=sex, original_age=original_age, requested_month=requested_month,
                                   contribution_months=contribution_months,
                                   employer_agrees="true" if employer_agrees else "false")

    def render(answer: BaseModel) -> None:
        assert isinstance(answer, schemas.RetirementAgeOut)  # noqa: S101 - narrows the type for mypy
        console.print(f"{answer.cohort_label}，出生于{answer.birth}：法定退休年龄 {answer.age_label}（{answer.age}），"
                      f"退休时间 {answer.retirement_month}，最低缴费 {answer.minimum_contribution_months} 个月")
        if answer.flexible is not None:
            f = answer.flexible
            console.print(f"申请 {f.month} 退休：{f.kind_label}，退休年龄 {f.age_label}"
                          f"（可选范围 {f.earliest} 至 {f.latest}）")

    _answer(lambda: schemas.retirement_answer(schemas.read_retirement(data)), as_json=as_json, render=render)


@pension_app.command("divisor")
def divisor(age: Annotated[str, typer.Option(help="退休年龄，如 60y6m")], as_json: Json = False) -> None:
    """Account divisor (计发月数) at a retirement age, interpolated by month."""

    def render(answer: BaseModel) -> None:
        assert isinstance(answer, schemas.DivisorOut)  # noqa: S101
        console.print(f"{answer.age_label}退休，个人账户养老金计发月数 {answer.divisor}")

    _answer(lambda: schemas.divisor_answer(schemas.DivisorIn(age=age)), as_json=as_json, render=render)


@pension_app.command("calculate")
def calculate(
    average_wage: Annotated[str, typer.Option(help="上年度全省全口径城镇单位就业人员月平均工资（元）")],
    index: Annotated[str, typer.Option(help="本人平均缴费指数")],
    months: Annotated[str, typer.Option(help="累计缴费月数（含视同缴费月数）")],
    account_balance: Annotated[str, typer.Option(help="个人账户储存额（元）")],
    age: Annotated[str, typer.Option(help="退休年龄，如 60y0m")],
    deemed_months: Annotated[str | None, typer.Option(help="其中视同缴费月数")] = None,
    transitional_coefficient: Annotated[str | None, typer.Option(help="过渡性养老金计发系数，默认0.012")] = None,
    as_json: Json = False,
) -> None:
    """Monthly basic pension at retirement: basic + account + transitional, with the trace."""
    data = schemas.CalculateIn(average_wage=average_wage, index=index, months=months, account_balance=account_balance,
                               age=age, deemed_months=deemed_months, transitional_coefficient=transitional_coefficient)

    def render(answer: BaseModel) -> None:
        assert isinstance(answer, schemas.CalculateOut)  # noqa: S101
        console.print(f"基础养老金 {answer.basic} 元，个人账户养老金 {answer.account} 元，过渡性养老金 "
                      f"{answer.transitional} 元，合计每月 {answer.total} 元")

    _answer(lambda: schemas.calculate_answer(data), as_json=as_json, render=render)


@pension_app.command("transfer-amount")
def transfer_amount(
    monthly_base: Annotated[str, typer.Option(help="月缴费基数（元）")],
    months: Annotated[str, typer.Option(help="缴费月数")],
    year: Annotated[str | None, typer.Option(help="缴费年度（1998年以前不计）")] = None,
    as_json: Json = False,
) -> None:
    """Pooled fund moved on a cross-province transfer: 12 % of the bases (国办发〔2009〕66号)."""
    data = schemas.TransferIn(monthly_base=monthly_base, months=months, year=year)

    def render(answer: BaseModel) -> None:
        assert isinstance(answer, schemas.TransferOut)  # noqa: S101
        console.print(f"统筹基金转移额 {answer.amount} 元（缴费基数合计 {answer.bases} 元 × {answer.rate}）")

    _answer(lambda: schemas.transfer_answer(data), as_json=as_json, render=render)


AsUser = Annotated[str | None, typer.Option("--as", help="以该经办人员的身份执行（默认：系统）")]
Province = Annotated[str, typer.Option(help="省份代码，如110000（默认：本节点）")]


def _batch(run: Callable[[Callable[[int, int], None]], jobs.RunSummary], label: str) -> jobs.RunSummary:
    try:
        with Progress(TextColumn(label), BarColumn(), TextColumn("{task.completed}/{task.total}笔"),
                      console=console) as bar:
            task = bar.add_task(label, total=None)
            return run(lambda done, total: bar.update(task, completed=done, total=total))
    except DomainError as exc:
        raise fail_domain(exc) from None


@pension_app.command("pay")
def pay(
    month: Annotated[str, typer.Option(help="发放月份 YYYY-MM")],
    province: Province = "",
    chunk: Annotated[int, typer.Option(help="每批笔数")] = jobs.CHUNK,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Pay a month's pension into the social security card of every award in payment; resumes after a kill."""
    where = province or get_settings().province_code
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
    summary = _batch(lambda progress: jobs.run_payments(actor=actor, province=where, month=month, chunk_size=chunk,
                                                        progress=progress), "养老金发放")
    _report(summary, as_json, f"{summary.period}养老金发放{'完成' if summary.status == 'done' else '未完成'}："
                              f"{summary.done}笔，合计{summary.amount_fen / 100:.2f}元")


@pension_app.command("adjust")
def adjust(
    year: Annotated[int, typer.Option(help="调整年度")],
    province: Province = "",
    chunk: Annotated[int, typer.Option(help="每批笔数")] = jobs.CHUNK,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Apply the year's adjustment scheme (养老金调整) to every award in payment, once a year; resumable."""
    where = province or get_settings().province_code
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
    summary = _batch(lambda progress: jobs.run_adjustment(actor=actor, province=where, year=year, chunk_size=chunk,
                                                          progress=progress), "养老金调整")
    _report(summary, as_json, f"{summary.period}年养老金调整{'完成' if summary.status == 'done' else '未完成'}："
                              f"{summary.done}笔，月增加合计{summary.amount_fen / 100:.2f}元")


def _report(summary: jobs.RunSummary, as_json: bool, text: str) -> None:
    if as_json:
        typer.echo(json.dumps({"kind": summary.kind, "province": summary.province, "period": summary.period,
                               "status": summary.status, "total": summary.total, "done": summary.done,
                               "amount": f"{summary.amount_fen / 100:.2f}"}, ensure_ascii=False))
        return
    console.print(text)


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(pension_app, name="pension")
