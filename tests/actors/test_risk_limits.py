"""Risk limits, the worst case of a reservation, and the reservation table."""

from __future__ import annotations

from decimal import Decimal as D

import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import actors.risk
from actors.domain import Opportunity
from actors.errors import InvalidFieldError
from actors.fees import FeeModel
from actors.messages import Reservation, ReservationState
from actors.risk import (
    RejectionCounts,
    RejectReason,
    ReservationBook,
    RiskLimits,
    limit_breached,
    worst_case,
)
from actors.risk._limits import exact_sum

LIMITS = RiskLimits(
    max_market_exposure=D("10.00"),
    max_total_exposure=D("25.00"),
    max_concurrent_markets=3,
    max_daily_loss=D("8.00"),
)
CENT = D("0.01")
TICK = D("0.0001")


def _breach(exposure: dict[str, D], ticker: str, amount: D, loss: D = D(0)) -> RejectReason | None:
    return limit_breached(LIMITS, exposure, ticker=ticker, amount=amount, realised_loss_today=loss)


def test_the_risk_package_exports_its_actor_configs_pure_parts_and_status() -> None:
    assert sorted(actors.risk.__all__) == [
        "BreakerConfig",
        "BreakerState",
        "BreakerStatus",
        "CircuitBreaker",
        "ExposureStatus",
        "Holding",
        "PositionView",
        "RejectReason",
        "Rejected",
        "RejectionCounts",
        "ReservationBook",
        "ReservationView",
        "ReservationsStatus",
        "RiskActor",
        "RiskCounts",
        "RiskLimits",
        "RiskStatus",
        "limit_breached",
        "worst_case",
    ]
    assert all(hasattr(actors.risk, name) for name in actors.risk.__all__)


def test_rejection_counts_have_one_field_per_reject_reason_and_count_by_reason() -> None:
    assert [f.name for f in attrs.fields(RejectionCounts)] == [r.value for r in RejectReason]
    counts = RejectionCounts()
    for reason in (RejectReason.DAILY_LOSS, RejectReason.HALTED, RejectReason.DAILY_LOSS):
        counts.add(reason)
    assert counts == RejectionCounts(daily_loss=2, halted=1)


def test_the_worst_case_is_both_legs_at_their_asks_plus_both_taker_fees() -> None:
    fees = FeeModel()
    opportunity = Opportunity("KX-A", D("0.40"), D("0.55"), D(10))
    # 10 x (0.40 + 0.55) + each leg's fee: 0.07 x 10 x 0.40 x 0.60 = 0.168 and
    # 0.07 x 10 x 0.55 x 0.45 = 0.17325, rounded up to $0.0001 and the leg's cost to the cent
    assert worst_case(fees, opportunity) == D("9.50") + D("0.17") + D("0.18")
    assert worst_case(fees, opportunity) == D("9.50") + fees.taker_fee(
        D(10), D("0.40")
    ) + fees.taker_fee(D(10), D("0.55"))
    assert worst_case(FeeModel(taker_rate=FeeModel().maker_rate), opportunity) == D("9.50")


def test_the_worst_case_of_fractional_contracts_at_sub_penny_prices_is_exact() -> None:
    fees = FeeModel()
    opportunity = Opportunity("KX-A", D("0.4012"), D("0.5507"), D("2.55"))
    notional = D("2.55") * (D("0.4012") + D("0.5507"))  # 2.427345, not rounded
    expected = (
        notional + fees.taker_fee(D("2.55"), D("0.4012")) + fees.taker_fee(D("2.55"), D("0.5507"))
    )
    assert worst_case(fees, opportunity) == expected
    assert isinstance(worst_case(fees, opportunity), D)


def test_the_worst_case_uses_the_given_fee_model_not_the_opportunitys() -> None:
    cheap = Opportunity(
        "KX-A", D("0.40"), D("0.55"), D(10), fees=FeeModel(taker_rate=FeeModel().maker_rate)
    )
    assert worst_case(FeeModel(), cheap) == D("9.85")


def test_a_reservation_exactly_at_a_limit_is_allowed_and_one_tick_more_is_not() -> None:
    assert _breach({"KX-A": D("4.00")}, "KX-A", D("6.00")) is None
    assert _breach({"KX-A": D("4.00")}, "KX-A", D("6.0001")) is RejectReason.MARKET_EXPOSURE
    assert _breach({"KX-A": D("3.999999")}, "KX-A", D("6.000001")) is None  # exact: no float


def test_the_total_counts_every_market() -> None:
    exposure = {"KX-A": D("10.00"), "KX-B": D("10.00")}
    assert _breach(exposure, "KX-C", D("5.00")) is None
    assert _breach(exposure, "KX-C", D("5.01")) is RejectReason.TOTAL_EXPOSURE
    assert _breach(exposure, "KX-C", D("5.0001")) is RejectReason.TOTAL_EXPOSURE


def test_only_a_new_market_counts_against_the_concurrent_markets_limit() -> None:
    exposure = {"KX-A": D("0.10"), "KX-B": D("0.10"), "KX-C": D("0.10"), "KX-D": D(0)}
    assert _breach(exposure, "KX-D", D("0.10")) is RejectReason.CONCURRENT_MARKETS
    assert _breach(exposure, "KX-A", D("0.10")) is None


def test_todays_realised_loss_plus_the_worst_case_must_stay_within_the_daily_limit() -> None:
    assert _breach({}, "KX-A", D("3.00"), loss=D("5.00")) is None
    assert _breach({}, "KX-A", D("3.01"), loss=D("5.00")) is RejectReason.DAILY_LOSS


def test_limits_are_checked_in_a_stable_order() -> None:
    exposure = {"KX-A": D("10.00"), "KX-B": D("20.00")}
    assert _breach(exposure, "KX-A", CENT, loss=D("8.00")) is RejectReason.MARKET_EXPOSURE


def test_limits_hold_exact_dollars_and_compare_equal_to_the_same_amount_written_otherwise() -> None:
    limits = RiskLimits(
        max_market_exposure=D("50.00"),
        max_total_exposure=D("200.00"),
        max_concurrent_markets=3,
        max_daily_loss=D("50"),
    )
    assert limits.max_total_exposure == D("200")
    assert isinstance(limits.max_daily_loss, D)


_MONEY_LIMITS = ["max_market_exposure", "max_total_exposure", "max_daily_loss"]
_COUNT_LIMITS = ["max_concurrent_markets", "max_reservations_per_market"]
_GOOD: dict[str, object] = {
    "max_market_exposure": CENT,
    "max_total_exposure": CENT,
    "max_concurrent_markets": 1,
    "max_daily_loss": CENT,
}


def _refused(field: str, value: object) -> InvalidFieldError:
    with pytest.raises(InvalidFieldError) as caught:
        RiskLimits(**(_GOOD | {field: value}))  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("field", _MONEY_LIMITS)
@pytest.mark.parametrize(
    "value",
    [D(0), D("-5"), D("-0.01"), D("NaN"), D("Infinity"), 0, 10, 10.0, True, "10", None],
)
def test_a_bad_money_limit_names_the_field(field: str, value: object) -> None:
    error = _refused(field, value)
    assert (error.owner, error.field) == ("RiskLimits", field)
    assert error.value is value


@pytest.mark.parametrize("field", _COUNT_LIMITS)
@pytest.mark.parametrize("value", [0, -5, 10.0, True, "10", None, D(3)])
def test_a_bad_count_limit_names_the_field(field: str, value: object) -> None:
    error = _refused(field, value)
    assert (error.owner, error.field, error.value) == ("RiskLimits", field, value)


def _reservation(
    rid: str, ticker: str = "KX-A", amount: D = D("1.00"), owner: int = 1
) -> Reservation:
    return Reservation(rid, ticker, D(1), D("0.40"), D("0.55"), amount, owner_epoch=owner)


def test_the_book_sums_live_reservations_by_market_and_forgets_released_ones() -> None:
    book = ReservationBook()
    book.add(_reservation("r-1"))
    book.add(_reservation("r-2", amount=D("0.5001")))
    book.add(_reservation("r-3", ticker="KX-B", amount=D("0.70")))
    assert book.amounts_by_market() == {"KX-A": D("1.5001"), "KX-B": D("0.70")}

    released = book.release("r-2")

    assert released.state is ReservationState.RELEASED
    assert book.amounts_by_market() == {"KX-A": D("1.00"), "KX-B": D("0.70")}
    assert book.is_used("r-2")
    with pytest.raises(ValueError, match="r-2"):
        book.add(_reservation("r-2"))
    with pytest.raises(KeyError):
        book.release("r-2")


def test_the_book_marks_only_the_dead_owners_reservations_in_doubt() -> None:
    book = ReservationBook()
    book.add(_reservation("r-1", owner=1))
    book.add(_reservation("r-2", owner=2))

    marked = book.mark_in_doubt(1)

    assert [r.reservation_id for r in marked] == ["r-1"]
    assert [r.reservation_id for r in book.in_doubt()] == ["r-1"]
    assert [r.reservation_id for r in book.held()] == ["r-2"]
    assert book.set_owner("r-1", 3).owner_epoch == 3
    assert book.get("r-1") == Reservation(
        "r-1",
        "KX-A",
        D(1),
        D("0.40"),
        D("0.55"),
        D("1.00"),
        owner_epoch=3,
        state=ReservationState.IN_DOUBT,
    )
    assert book.amounts_by_market() == {"KX-A": D("2.00")}  # in doubt still counts


def test_the_book_remembers_a_bounded_number_of_released_ids() -> None:
    book = ReservationBook(remember=2)
    for n in range(3):
        book.add(_reservation(f"r-{n}"))
        book.release(f"r-{n}")
    assert [book.is_used(f"r-{n}") for n in range(3)] == [False, True, True]


def test_the_risk_actor_refuses_a_config_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="RiskLimits"):
        actors.risk.RiskActor({"max_total_exposure": D(1)}, actors.risk.BreakerConfig())  # type: ignore[arg-type]


# -- the total limit holds under any sequence of reserves and releases ---------------------

_TICKERS = ("KX-A", "KX-B", "KX-C")
_cheap_prices = st.integers(min_value=1, max_value=4_500).map(lambda n: n * TICK)  # <= 0.45
_counts = st.integers(min_value=100, max_value=20_000).map(lambda n: n * CENT)  # 1.00-200.00
_dollars = st.integers(min_value=1, max_value=100_000).map(lambda n: n * CENT)  # 0.01-1000.00


class ReserveAndRelease(RuleBasedStateMachine):
    """Risk's admission rule (``worst_case`` then ``limit_breached`` then ``book.add``)
    against random limits, opportunities, releases and owners dying: the live
    reservations never add up to more than a limit, and a refusal is never
    spurious (the amount really would not fit)."""

    def __init__(self) -> None:
        super().__init__()
        self.fees = FeeModel()
        self.book = ReservationBook()
        self.limits = LIMITS
        self.model: dict[str, D] = {}  # what should be live: id -> amount
        self.made = 0

    @initialize(market=_dollars, total=_dollars, markets=st.integers(1, len(_TICKERS)))
    def set_limits(self, market: D, total: D, markets: int) -> None:
        self.limits = RiskLimits(
            max_market_exposure=market,
            max_total_exposure=total,
            max_concurrent_markets=markets,
            max_daily_loss=D("1000000"),
            max_reservations_per_market=1_000,
        )

    @rule(ticker=st.sampled_from(_TICKERS), yes=_cheap_prices, no=_cheap_prices, count=_counts)
    def reserve(self, ticker: str, yes: D, no: D, count: D) -> None:
        amount = worst_case(self.fees, Opportunity(ticker, yes, no, count))
        before = self.book.amounts_by_market()
        reason = limit_breached(
            self.limits, before, ticker=ticker, amount=amount, realised_loss_today=D(0)
        )
        if reason is RejectReason.MARKET_EXPOSURE:
            assert before.get(ticker, D(0)) + amount > self.limits.max_market_exposure
        elif reason is RejectReason.TOTAL_EXPOSURE:
            assert exact_sum(before) + amount > self.limits.max_total_exposure
        elif reason is RejectReason.CONCURRENT_MARKETS:
            assert ticker not in before
            assert len(before) >= self.limits.max_concurrent_markets
        else:
            assert reason is None
            self.made += 1
            rid = f"r-{self.made}"
            self.book.add(Reservation(rid, ticker, count, yes, no, amount, owner_epoch=1))
            self.model[rid] = amount

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted(self.model)))
        assert self.book.release(rid).amount == self.model.pop(rid)

    @rule()
    def owner_dies(self) -> None:
        self.book.mark_in_doubt(1)  # in doubt: still counts until released

    @invariant()
    def live_reservations_stay_within_the_limits(self) -> None:
        amounts = self.book.amounts_by_market()
        assert exact_sum(amounts) == exact_sum(self.model)
        assert exact_sum(amounts) <= self.limits.max_total_exposure
        assert all(v <= self.limits.max_market_exposure for v in amounts.values())
        assert len(amounts) <= self.limits.max_concurrent_markets


ReserveAndRelease.TestCase.settings = settings(max_examples=60, stateful_step_count=30)
test_reserves_and_releases_never_exceed_the_limits = ReserveAndRelease.TestCase
