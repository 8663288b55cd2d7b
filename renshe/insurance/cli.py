"""`renshe insurance …` commands: the late-surcharge calculator here; the ledger's commands follow it."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn
from sqlalchemy.orm import Session

from renshe.core import clikit, db, tabular
from renshe.core.auth import Principal
from renshe.core.clikit import fail_domain
from renshe.core.errors import DomainError, NotFound
from renshe.insurance import contributions, enrolment, flexible, history, jobs, monthly, parameters, rules, service
from renshe.insurance.models import InsuredUnit

insurance_app = typer.Typer(help="Social insurance (社会保险): contributions, accounts", no_args_is_help=True)
console = Console(soft_wrap=True, highlight=False)


@insurance_app.command("surcharge")
def surcharge(
    amount: Annotated[str, typer.Option(help="欠缴金额（元）")],
    days: Annotated[str, typer.Option(help="滞纳天数（缴费期限届满次日起至缴纳之日）")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """Late surcharge (滞纳金, 社会保险法 art. 86): amount × 0.05 % × days, half-up to the fen."""
    try:
        found = rules.surcharge_from_text(amount=amount, days=days)
    except DomainError as exc:
        raise fail_domain(exc) from None
    answer = {"amount": rules.yuan(found.amount_fen), "days": found.days,
              "daily_rate": str(rules.SURCHARGE_DAILY_RATE), "surcharge": rules.yuan(found.surcharge_fen),
              "trace": [step.as_dict() for step in found.trace]}
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    console.print(f"欠缴 {answer['amount']} 元，滞纳 {found.days} 天，滞纳金 {answer['surcharge']} 元"
                  f"（{rules.SURCHARGE_SOURCE}）")


# ---------------------------------------------------------------- the ledger (helper D's commands)

AsUser = Annotated[str | None, typer.Option("--as", help="以该经办人员的身份执行（默认：系统）")]


def _unit(session: Session, actor: Principal, credit_code: str, insurance_type: str) -> InsuredUnit:
    employer = enrolment.employer_for(session, actor=actor, credit_code=credit_code)
    unit = next((u for u in enrolment.units_of(session, employer=employer) if u.insurance_type == insurance_type),
                None)
    if unit is None:
        raise NotFound(f"该单位的{enrolment.type_label(insurance_type)}参保登记",
                       code="renshe:insurance/unit-not-found")
    return unit


@insurance_app.command("load-parameters")
def load_parameters() -> None:
    """Load the shipped national default parameters (idempotent)."""
    with db.unit_of_work() as session:
        added = parameters.load_defaults(session)
    console.print(f"已载入{added}个全国默认参数值")


@insurance_app.command("export-parameters")
def export_parameters(
    out: Annotated[Path, typer.Argument(help="输出的XLSX文件")],
    province: Annotated[str, typer.Option(help="省份代码，000000为全国默认")] = "000000",
) -> None:
    """Export a province's parameter set (with the national defaults) as XLSX."""
    with db.unit_of_work() as session:
        parameters.load_defaults(session)
        out.write_bytes(parameters.export_xlsx(session, province=province))
    console.print(f"已导出到 {out}")


@insurance_app.command("import-parameters")
def import_parameters(path: Annotated[Path, typer.Argument(help="参数XLSX文件")], as_user: AsUser = None) -> None:
    """Import a parameter workbook, whole or not at all (every bad row named)."""
    try:
        with db.unit_of_work() as session:
            added = parameters.import_xlsx(session, actor=clikit.acting_as(session, as_user), data=path.read_bytes())
    except DomainError as exc:
        raise fail_domain(exc) from None
    console.print(f"已导入{added}个参数值")


@insurance_app.command("assess")
def assess(
    credit_code: Annotated[str, typer.Option(help="单位统一社会信用代码")],
    month: Annotated[str, typer.Option(help="核定月份 YYYY-MM")],
    insurance_type: Annotated[str, typer.Option("--type", help="险种代码")] = "110",
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """核定 one month of a unit (idempotent; a new declaration adds only the differences)."""
    try:
        with db.unit_of_work() as session:
            actor = clikit.acting_as(session, as_user)
            unit = _unit(session, actor, credit_code, insurance_type)
            result = contributions.assess(session, actor=actor, unit=unit, month=contributions.parse_month(month))
            answer = {"assessment": result.assessment.public_id, "month": month, "created": result.created,
                      "rows": result.assessment.rows, "missing_base": [r.person_name for r in result.missing_base]}
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    state = "已核定" if result.created else "已按最新申报核定过，没有变化"
    console.print(f"{month}：{state}，{answer['rows']}条应缴记录")


@insurance_app.command("month-run")
def month_run(
    province: Annotated[str, typer.Option(help="省级区划代码，如 330000")],
    month: Annotated[str, typer.Option(help="核定月份 YYYY-MM")],
    on: Annotated[str, typer.Option(help="按此日已到账的费款记账 YYYY-MM-DD（默认今天）")] = "",
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """核定 the month for every insured unit of a province and post what is paid in full (idempotent)."""
    try:
        as_of = date.fromisoformat(on) if on else date.today()
    except ValueError:
        raise typer.BadParameter(f"记账日期 {on!r} 应为 YYYY-MM-DD", param_hint="--on") from None
    try:
        with db.unit_of_work() as session:
            result = monthly.run_month(session, actor=clikit.acting_as(session, as_user), province=province,
                                       month=contributions.parse_month(month), on=as_of)
    except DomainError as exc:
        raise fail_domain(exc) from None
    answer = {"province": province, "month": month, "units_assessed": result.units_assessed,
              "dues_written": result.dues_written, "units_posted": result.units_posted,
              "entries_posted": result.entries_posted}
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    console.print(f"{month}：核定{result.units_assessed}个单位，写入{result.dues_written}条应缴记录；"
                  f"{result.units_posted}个单位足额到账，记入个人账户{result.entries_posted}条")


@insurance_app.command("receipts")
def receipts(path: Annotated[Path, typer.Argument(help="税务征收到账XLSX文件")], as_user: AsUser = None) -> None:
    """Import tax-bureau receipts (whole or nothing) and list those that match no amount due."""
    data = path.read_bytes()
    try:
        with db.unit_of_work() as session:
            result = service.import_receipts(session, actor=clikit.acting_as(session, as_user),
                                             rows=contributions.read_receipts_xlsx(data),
                                             batch=contributions.file_key(data)[:64])
            unmatched = [(r.receipt_no, r.payer_code, r.month.strftime("%Y-%m"), rules.yuan(r.amount_fen))
                         for r in result.unmatched]
    except DomainError as exc:
        raise fail_domain(exc) from None
    console.print(f"已导入{result.added}条，{result.skipped}条此前已导入；未匹配{len(unmatched)}条")
    for row in unmatched:
        console.print("  " + "  ".join(row))


@insurance_app.command("interest")
def interest(
    province: Annotated[str, typer.Option(help="省份代码，如110000")],
    year: Annotated[int, typer.Option(help="计息年度")],
    chunk: Annotated[int, typer.Option(help="每批账户数")] = jobs.CHUNK,
    as_user: AsUser = None,
) -> None:
    """Credit a year's interest to every pension account of the province; resumes after a kill."""
    with db.unit_of_work() as session:
        actor = clikit.acting_as(session, as_user)
    try:
        with Progress(TextColumn("计息"), BarColumn(), TextColumn("{task.completed}个账户"),
                      console=console) as bar:
            task = bar.add_task("interest", total=None)
            summary = jobs.run_interest(actor=actor, province=province, year=year, chunk_size=chunk,
                                        progress=lambda done: bar.update(task, completed=done))
    except DomainError as exc:
        raise fail_domain(exc) from None
    console.print(f"{summary.year}年计息{'完成' if summary.status == 'done' else '未完成'}：{summary.accounts}个账户，"
                  f"利息{rules.yuan(summary.interest_fen)}元，记账利率{summary.rate}")


@insurance_app.command("assess-flexible")
def assess_flexible(
    province: Annotated[str, typer.Option(help="省份代码，如330000")],
    month: Annotated[str, typer.Option(help="核定月份 YYYY-MM")],
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON")] = False,
) -> None:
    """核定 one month of every flexible worker (灵活就业人员) of a province at the flexible rate (idempotent)."""
    try:
        with db.unit_of_work() as session:
            result = flexible.assess(session, actor=clikit.acting_as(session, as_user), province=province,
                                     month=contributions.parse_month(month))
            answer = {"assessment": result.assessment.public_id, "month": month, "created": result.created,
                      "rows": result.assessment.rows}
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False))
        return
    console.print(f"灵活就业人员{month}：{'已核定' if result.created else '已按最新申报核定过，没有变化'}，"
                  f"{answer['rows']}条应缴记录")


@insurance_app.command("import-history")
def import_history(
    path: Annotated[Path, typer.Argument(help="历史数据XLSX文件（缴费记录、账户余额、视同缴费、控制合计）")],
    report: Annotated[Path | None, typer.Option(help="把对账报告另存为XLSX")] = None,
    as_user: AsUser = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
) -> None:
    """历史数据入库: import a workbook whole or not at all (every bad row named), once per file, with its
    reconciliation report (totals against the control totals, conflicts with the ledger listed)."""
    try:
        with db.unit_of_work() as session:
            result = service.import_history(session, actor=clikit.acting_as(session, as_user), path=path,
                                            filename=path.name)
            out = service.history_out(result.batch)
            out.created = result.created
            if report is not None:
                report.write_bytes(history.report_xlsx(result.batch))
    except tabular.ImportRejected as exc:
        for error in exc.report.errors:
            console.print(f"  {error.message} [dim]({error.code})[/dim]")
        raise fail_domain(exc) from None
    except DomainError as exc:
        raise fail_domain(exc) from None
    if as_json:
        typer.echo(out.model_dump_json())
        return
    console.print(f"{'已入库' if result.created else '该文件此前已入库，本次未重复入库'}：{out.persons}人，"
                  f"缴费{out.months}个月，账户余额{out.balances}人{out.balance}元，视同缴费{out.deemed_months}个月；"
                  f"冲突未入库{out.conflicts_total}条（批次 {out.public_id}）")
    for total in out.totals:
        console.print(f"  {total.item}：文件{total.file}，控制{total.control}，入库{total.posted}")
    for c in out.conflicts:
        console.print(f"  冲突：{c.sheet}第{c.row}行 {c.id_number_masked} {c.what}：{c.reason}")


def register(app: typer.Typer) -> None:
    """Add this capability's sub-commands to the `renshe` command."""
    app.add_typer(insurance_app, name="insurance")
