"""Money on the command line: ``warden venue-sim --trader-cash`` is exact dollars."""

from __future__ import annotations

from decimal import Decimal

import pytest

from warden.cli import build_parser


def test_trader_cash_is_read_as_exact_dollars() -> None:
    parser = build_parser()
    cash = parser.parse_args(["venue-sim", "--trader-cash", "2500.05"]).trader_cash
    assert cash == Decimal("2500.05")
    assert isinstance(cash, Decimal)
    assert parser.parse_args(["venue-sim"]).trader_cash == Decimal("10000.00")
    assert parser.parse_args(["venue-sim", "--trader-cash", "7"]).trader_cash == Decimal(7)


@pytest.mark.parametrize("text", ["12.345", "-1", "1e3", "1,000", "", " 5", "NaN", "0x10"])
def test_trader_cash_that_is_not_plain_dollars_is_a_usage_error_naming_the_flag(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(["venue-sim", "--trader-cash", text])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "argument --trader-cash" in error
    assert "not an amount of dollars" in error
