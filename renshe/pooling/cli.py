"""`renshe pooling report --period YYYY-MM`: report this province's fund figures to the ministry hub."""

from __future__ import annotations

import json

import typer

from renshe.core import db
from renshe.core.auth import SYSTEM
from renshe.pooling import service

app = typer.Typer(help="全国统筹、基金监测预警", no_args_is_help=True)


@app.command("report")
def report(period: str = typer.Option(..., help="统计期 YYYY-MM")) -> None:
    """Report the month's figures (income, expenditure, balance, insured, retired) through the federation."""
    with db.unit_of_work() as session:
        f = service.report(session, actor=SYSTEM, period=period)
    typer.echo(json.dumps({"province": f.province, "period": f.period, "income_fen": f.income_fen,
                           "expenditure_fen": f.expenditure_fen, "balance_fen": f.balance_fen,
                           "insured": f.insured, "retired": f.retired}, ensure_ascii=False))
