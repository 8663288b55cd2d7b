"""Fund monitoring indicators, dated warning thresholds and the central adjustment (国发〔2018〕18号)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from renshe.pooling import rules


def _figures(province: str, *, balance: int, monthly: int, insured: int, retired: int, wage: int = 0
             ) -> rules.Figures:
    return rules.Figures(province, "2026-06", 0, monthly, balance, insured, retired, wage)


def test_capacity_and_dependency() -> None:
    assert rules.capacity_months(1_200_00, 100_00) == Decimal("12.00")
    assert rules.capacity_months(5, 0) is None
    assert rules.dependency_ratio(250, 100) == Decimal("2.50")
    assert rules.dependency_ratio(5, 0) is None


def test_warnings_take_the_most_severe_threshold_in_force() -> None:
    low = _figures("220000", balance=500_00, monthly=100_00, insured=120, retired=100)
    found = {w.metric: w for w in rules.warnings(low, on=date(2026, 6, 30))}
    assert found["capacity_months"].level == "severe"
    assert found["capacity_months"].value == "5.00"
    assert found["dependency_ratio"].level == "warning"
    healthy = _figures("440000", balance=3_000_00, monthly=100_00, insured=500, retired=100)
    assert rules.warnings(healthy, on=date(2026, 6, 30)) == []
    mid = _figures("330000", balance=800_00, monthly=100_00, insured=500, retired=100)
    assert [(w.metric, w.level) for w in rules.warnings(mid, on=date(2026, 6, 30))] == [
        ("capacity_months", "warning")]
    # Thresholds are dated: before their date of effect they do not apply.
    assert rules.warnings(low, on=date(2017, 12, 31)) == []
    later = rules.Threshold("capacity_months", "warning", Decimal("9"), date(2027, 1, 1), "新阈值", "测试")
    rules_then = [*rules.thresholds(), later]
    assert [w.label for w in rules.warnings(mid, on=date(2027, 1, 1), rules=rules_then)] == ["新阈值"]
    assert [w.label for w in rules.warnings(mid, on=date(2026, 12, 31), rules=rules_then)] != ["新阈值"]


def test_central_adjustment_by_the_published_method() -> None:
    scheme = rules.scheme_for(date(2018, 12, 31))
    assert scheme.rate == Decimal("0.03")
    assert "国发〔2018〕18号" in scheme.source
    assert rules.scheme_for(date(2020, 6, 1)).rate == Decimal("0.04")
    # Demo figures: yearly average wages in fen, insured and retirees.
    a = _figures("440000", balance=0, monthly=0, insured=1000, retired=200, wage=100_000_00)
    b = _figures("220000", balance=0, monthly=0, insured=300, retired=300, wage=60_000_00)
    result = rules.central_adjustment([a, b], scheme=scheme)
    shares = {s.province: s for s in result.shares}
    # 上解 = wage × 90 % × insured × 3 %
    assert shares["440000"].contribution_fen == 100_000_00 * 9 * 1000 * 3 // 1000
    assert shares["220000"].contribution_fen == 60_000_00 * 9 * 300 * 3 // 1000
    total = shares["440000"].contribution_fen + shares["220000"].contribution_fen
    assert result.total_fen == total
    # 拨付 = retirees × (total ÷ all retirees)
    assert shares["440000"].allocation_fen == round(Decimal(total) * 200 / 500)
    assert shares["440000"].net_fen < 0 < shares["220000"].net_fen
    assert result.residual_fen == 0


@settings(deadline=None)  # a shared 2-core machine: time is not what these tests check
@given(st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**5), st.integers(30_000_00, 300_000_00)),
                min_size=1, max_size=31))
def test_the_adjustment_pays_out_what_it_collects(rows: list[tuple[int, int, int]]) -> None:
    figures = [_figures(f"{11 + i:02d}0000", balance=0, monthly=0, insured=ins, retired=ret, wage=wage)
               for i, (ins, ret, wage) in enumerate(rows)]
    result = rules.central_adjustment(figures, scheme=rules.scheme_for(date(2021, 1, 1)))
    paid_out = sum(s.allocation_fen for s in result.shares)
    if sum(r[1] for r in rows):
        assert abs(result.residual_fen) <= len(rows)
        assert result.total_fen - paid_out == result.residual_fen
    assert sum(s.net_fen for s in result.shares) == -result.residual_fen
