"""The ground-truth log stays bounded in memory and complete (issue 15 item 5)."""

from __future__ import annotations

import pytest

from warden.venue import TruthKind, TruthLog


def _fill(i: int) -> dict[str, object]:
    return {"trade_id": f"t-{i}", "count_fp": f"{i}.00", "yes_price_dollars": "0.4100", "x": None}


def _filled(log: TruthLog, n: int) -> list[tuple[float, TruthKind, str, dict[str, object]]]:
    appended = []
    for i in range(n):
        kind = TruthKind.FILL if i % 3 else TruthKind.ORDER_ACCEPTED
        account = "trader" if i % 2 else "competitor"
        appended.append((float(i), kind, account, _fill(i)))
        log.append(float(i), kind, account, _fill(i))  # type: ignore[arg-type]
    return appended


def test_past_the_spool_limit_memory_holds_at_most_the_limit_and_reading_gives_everything() -> None:
    log = TruthLog(spool_at=10)
    appended = _filled(log, 95)
    assert len(log) == 95
    assert log.in_memory <= 10
    entries = list(log)
    assert [e.seq for e in entries] == list(range(1, 96))
    assert [(e.ts, e.kind, e.account, e.record) for e in entries] == appended
    log.close()


@pytest.mark.parametrize("after", [0, 3, 40, 89, 94, 95])
def test_select_pages_across_the_spool_and_memory_by_account_and_kind(after: int) -> None:
    log = TruthLog(spool_at=8)
    _filled(log, 95)
    everything = [e for e in log if e.seq > after]
    chosen = log.select(after=after, account="trader", kind=TruthKind.FILL)
    assert chosen == [e for e in everything if e.account == "trader" and e.kind is TruthKind.FILL]
    assert log.select(after=after, limit=7) == everything[:7]
    log.close()


def test_a_spool_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="spool_at"):
        TruthLog(spool_at=0)


def test_reading_the_spool_a_page_at_a_time_misses_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("warden.venue._truth._PAGE", 4)
    log = TruthLog(spool_at=10)
    appended = _filled(log, 57)
    assert [(e.ts, e.kind, e.account, e.record) for e in log] == appended
    assert [e.seq for e in log.select(after=5, account="trader")] == list(range(6, 57, 2))
    log.close()
