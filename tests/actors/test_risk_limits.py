"""Risk limits, the worst case of a reservation, and the reservation table."""

from __future__ import annotations

from decimal import Decimal as D

import attrs
import pytest
from hypothesis import assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

import actors.domain
import actors.errors
import actors.risk
from actors.domain import Action, Event, Side
from actors.errors import InvalidFieldError
from actors.fees import FeeModel
from actors.messages import Reservation, ReservationState, ReservedLeg, leg_client_order_id
from actors.money import KalshiFees
from actors.risk import (
    Exposure,
    RejectionCounts,
    RejectReason,
    ReservationBook,
    RiskLimits,
    limit_breached,
    reservation_for,
)
from actors.risk._limits import exact_sum
from tests.actors.risk_harness import NO_COMPLETION, complement

LIMITS = RiskLimits(
    max_market_exposure=D("10.00"),
    max_total_exposure=D("25.00"),
    max_concurrent_markets=3,
    max_daily_loss=D("8.00"),
)
CENT = D("0.01")
TICK = D("0.0001")


def _legs_in(rid: str, amounts: dict[str, D]) -> tuple[ReservedLeg, ...]:
    return tuple(
        ReservedLeg(
            index=i,
            ticker=ticker,
            side=Side.YES,
            action=Action.BUY,
            count=D(1),
            price=D("0.50"),
            max_price=D("0.50"),
            amount=amount,
            client_order_id=leg_client_order_id(rid, i),
        )
        for i, (ticker, amount) in enumerate(amounts.items())
    )


def _basket_reservation(
    amounts: dict[str, D], event: Event | None = None, rid: str = "r-new", owner: int = 1
) -> Reservation:
    """A reservation whose legs set aside ``amounts`` (one YES leg per market)."""
    if event is None:
        event = (
            Event.single(next(iter(amounts)))
            if len(amounts) == 1
            else Event("EV", tuple(amounts), True)
        )
    return Reservation(
        reservation_id=rid,
        event=event,
        purpose=actors.domain.Purpose.ARBITRAGE,
        legs=_legs_in(rid, amounts),
        amount=exact_sum(amounts),
        complete_within_s=0.0,
        max_complete_attempts=0,
        owner_epoch=owner,
    )


def _exposure(by_market: dict[str, D], by_event: dict[str, D] | None = None) -> Exposure:
    """Current exposure; by default every market is its own event."""
    events = dict(by_market) if by_event is None else by_event
    return Exposure(by_market=by_market, by_event=events, total=exact_sum(events))


def _breach(exposure: dict[str, D], ticker: str, amount: D, loss: D = D(0)) -> RejectReason | None:
    return limit_breached(
        LIMITS,
        _exposure(exposure),
        _basket_reservation({ticker: amount}),
        realised_loss_today=loss,
    )


def test_the_risk_package_exports_its_actor_configs_pure_parts_and_status() -> None:
    assert sorted(actors.risk.__all__) == [
        "BasketPolicy",
        "BreakerConfig",
        "BreakerState",
        "BreakerStatus",
        "Checkpoint",
        "CircuitBreaker",
        "Exposure",
        "ExposureStatus",
        "FillSource",
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
        "complete_sets",
        "event_exposure",
        "limit_breached",
        "reservation_for",
    ]
    assert all(hasattr(actors.risk, name) for name in actors.risk.__all__)


def test_rejection_counts_have_one_field_per_reject_reason_and_count_by_reason() -> None:
    assert [f.name for f in attrs.fields(RejectionCounts)] == [r.value for r in RejectReason]
    counts = RejectionCounts()
    for reason in (RejectReason.DAILY_LOSS, RejectReason.HALTED, RejectReason.DAILY_LOSS):
        counts.add(reason)
    assert counts == RejectionCounts(daily_loss=2, halted=1)


def test_a_complement_without_completion_sets_aside_both_legs_buy_cost() -> None:
    fees = FeeModel()
    made = reservation_for(complement("b-1"), NO_COMPLETION, fees.schedule)
    # 10 x (0.40 + 0.55) + each leg's fee: 0.07 x 10 x 0.40 x 0.60 = 0.168 and
    # 0.07 x 10 x 0.55 x 0.45 = 0.17325, rounded up to $0.0001 and the leg's cost to the cent
    assert made.amount == D("9.50") + D("0.17") + D("0.18")
    assert [leg.amount for leg in made.legs] == [
        D("4.00") + fees.taker_fee(D(10), D("0.40")),
        D("5.50") + fees.taker_fee(D(10), D("0.55")),
    ]
    assert [leg.max_price for leg in made.legs] == [D("0.40"), D("0.55")]
    assert made.amount_by_market() == {"KX-A": made.amount}
    free = KalshiFees(taker_rate=D(0))
    assert reservation_for(complement("b-1"), NO_COMPLETION, free).amount == D("9.50")


def test_the_amount_of_fractional_contracts_at_sub_penny_prices_is_exact() -> None:
    fees = FeeModel()
    made = reservation_for(
        complement("b-1", yes=D("0.4012"), no=D("0.5507"), count=D("2.55")),
        NO_COMPLETION,
        fees.schedule,
    )
    notional = D("2.55") * (D("0.4012") + D("0.5507"))  # 2.427345, not rounded
    expected = (
        notional + fees.taker_fee(D("2.55"), D("0.4012")) + fees.taker_fee(D("2.55"), D("0.5507"))
    )
    assert made.amount == expected
    assert isinstance(made.amount, D)


def test_leg_ids_are_the_baskets_entry_ids_and_an_exit_sets_nothing_aside() -> None:
    made = reservation_for(complement("b-1"), NO_COMPLETION, FeeModel().schedule)
    assert [leg.client_order_id for leg in made.legs] == [
        leg_client_order_id("b-1", 0),
        leg_client_order_id("b-1", 1),
    ]
    exit_ = reservation_for(
        actors.domain.Basket(
            "x-1",
            Event.single("KX-A"),
            (actors.domain.Leg("KX-A", Side.YES, Action.SELL, D("0.45"), D(3)),),
            purpose=actors.domain.Purpose.EXIT,
        ),
        actors.risk.BasketPolicy(
            complete_within_s=5.0, complete_slippage=D("0.02"), max_complete_attempts=3
        ),
        FeeModel().schedule,
    )
    assert (exit_.amount, exit_.legs[0].amount, exit_.legs[0].max_price) == (
        D(0),
        D(0),
        D("0.45"),
    )
    assert (exit_.complete_within_s, exit_.max_complete_attempts) == (0.0, 0)


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
_COUNT_LIMITS = [
    "max_concurrent_markets",
    "max_reservations_per_market",
    "max_reservations_per_event",
]
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


@pytest.mark.parametrize("value", [D(0), D("-0.01"), D("NaN"), 10, 10.0, True, "10"])
def test_a_bad_event_limit_names_the_field_and_none_means_the_total_limit(value: object) -> None:
    error = _refused("max_event_exposure", value)
    assert (error.owner, error.field) == ("RiskLimits", "max_event_exposure")
    limits = RiskLimits(**_GOOD)  # type: ignore[arg-type]
    assert (limits.max_event_exposure, limits.event_limit) == (None, CENT)
    assert attrs.evolve(limits, max_event_exposure=D("0.005")).event_limit == D("0.005")
    assert limits.max_reservations_per_event == 1


def test_the_event_limit_is_checked_after_the_market_limit_and_before_the_total() -> None:
    both = Event("KX-EV", ("KX-A", "KX-B"), True)
    limits = attrs.evolve(LIMITS, max_event_exposure=D("6.00"))
    made = _basket_reservation({"KX-A": D("3.00"), "KX-B": D("3.00")}, both)
    now = _exposure({"KX-C": D("1.00")}, {"KX-EV": D("0.01"), "KX-C": D("1.00")})
    assert limit_breached(limits, now, made, realised_loss_today=D(0)) is (
        RejectReason.EVENT_EXPOSURE
    )
    fits = _exposure({"KX-C": D("1.00")})
    assert limit_breached(limits, fits, made, realised_loss_today=D(0)) is None
    # one leg over its market limit refuses the whole basket first
    full = _exposure({"KX-B": D("7.01")}, {"KX-EV": D("0.01")})
    assert limit_breached(limits, full, made, realised_loss_today=D(0)) is (
        RejectReason.MARKET_EXPOSURE
    )


def _reservation(
    rid: str, ticker: str = "KX-A", amount: D = D("1.00"), owner: int = 1
) -> Reservation:
    return _basket_reservation({ticker: amount}, rid=rid, owner=owner)


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
    assert book.get("r-1") == attrs.evolve(
        _reservation("r-1"), owner_epoch=3, state=ReservationState.IN_DOUBT
    )
    assert book.amounts_by_market() == {"KX-A": D("2.00")}  # in doubt still counts


def test_the_book_remembers_a_bounded_number_of_released_ids() -> None:
    book = ReservationBook(remember=2)  # generations of 1 id: the last 2 to 5 are kept
    for n in range(8):
        book.add(_reservation(f"r-{n}"))
        book.release(f"r-{n}")
    assert [book.is_used(f"r-{n}") for n in range(8)] == [False] * 3 + [True] * 5
    assert book.released_remembered == 5


def test_the_risk_actor_refuses_a_config_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="RiskLimits"):
        actors.risk.RiskActor(
            {"max_total_exposure": D(1)},  # type: ignore[arg-type]
            actors.risk.BreakerConfig(),
            basket_policy=NO_COMPLETION,
        )
    with pytest.raises(TypeError, match="BasketPolicy"):
        actors.risk.RiskActor(LIMITS, actors.risk.BreakerConfig(), basket_policy=None)  # type: ignore[arg-type]


# -- the total limit holds under any sequence of reserves and releases ---------------------

_TICKERS = ("KX-A", "KX-B", "KX-C")
_cheap_prices = st.integers(min_value=1, max_value=4_500).map(lambda n: n * TICK)  # <= 0.45
_counts = st.integers(min_value=100, max_value=20_000).map(lambda n: n * CENT)  # 1.00-200.00
_dollars = st.integers(min_value=1, max_value=100_000).map(lambda n: n * CENT)  # 0.01-1000.00


_EVENT = Event("KX-EV", _TICKERS, True)
_basket_prices = st.integers(min_value=1, max_value=3_000).map(lambda n: n * TICK)  # <= 0.30


class ReserveAndRelease(RuleBasedStateMachine):
    """Risk's admission rule (``reservation_for`` then ``limit_breached`` then
    ``book.add``) against random limits, complements and three-leg baskets of one
    exclusive event, releases and owners dying: the live reservations never add up to
    more than a limit, a refusal is never spurious (the amount really would not fit),
    and a basket is booked with all its legs or not at all."""

    def __init__(self) -> None:
        super().__init__()
        self.schedule = FeeModel().schedule
        self.book = ReservationBook()
        self.limits = LIMITS
        self.model: dict[str, D] = {}  # what should be live: id -> amount
        self.made = 0

    @initialize(
        market=_dollars,
        total=_dollars,
        event=st.none() | _dollars,
        markets=st.integers(1, len(_TICKERS)),
    )
    def set_limits(self, market: D, total: D, event: D | None, markets: int) -> None:
        self.limits = RiskLimits(
            max_market_exposure=market,
            max_total_exposure=total,
            max_concurrent_markets=markets,
            max_daily_loss=D("1000000"),
            max_reservations_per_market=1_000,
            max_event_exposure=event,
            max_reservations_per_event=1_000,
        )

    @rule(ticker=st.sampled_from(_TICKERS), yes=_cheap_prices, no=_cheap_prices, count=_counts)
    def reserve_a_complement(self, ticker: str, yes: D, no: D, count: D) -> None:
        self._reserve(
            reservation_for(
                complement(f"r-{self.made + 1}", ticker, yes, no, count),
                NO_COMPLETION,
                self.schedule,
            )
        )

    @rule(prices=st.tuples(_basket_prices, _basket_prices, _basket_prices), count=_counts)
    def reserve_a_basket(self, prices: tuple[D, D, D], count: D) -> None:
        legs = tuple(
            actors.domain.Leg(t, Side.YES, Action.BUY, p, count)
            for t, p in zip(_TICKERS, prices, strict=True)
        )
        try:
            basket = actors.domain.Basket(f"r-{self.made + 1}", _EVENT, legs)
        except actors.errors.UnprofitableBasketError:
            assume(False)  # raises: hypothesis discards this step
        self._reserve(reservation_for(basket, NO_COMPLETION, self.schedule))

    def _reserve(self, made: Reservation) -> None:
        amount = made.amount
        by_market = self.book.amounts_by_market()
        by_event = self.book.amounts_by_event()
        now = Exposure(by_market, by_event, exact_sum(by_event))
        reason = limit_breached(self.limits, now, made, realised_loss_today=D(0))
        legs = made.amount_by_market()
        if reason is RejectReason.MARKET_EXPOSURE:
            assert any(
                by_market.get(t, D(0)) + a > self.limits.max_market_exposure
                for t, a in legs.items()
            )
        elif reason is RejectReason.EVENT_EXPOSURE:
            assert by_event.get(made.event_ticker, D(0)) + amount > self.limits.event_limit
        elif reason is RejectReason.TOTAL_EXPOSURE:
            assert exact_sum(by_event) + amount > self.limits.max_total_exposure
        elif reason is RejectReason.CONCURRENT_MARKETS:
            assert len(set(by_market) | set(legs)) > self.limits.max_concurrent_markets
        else:
            assert reason is None
            self.made += 1
            self.book.add(attrs.evolve(made, owner_epoch=1))
            self.model[made.reservation_id] = amount

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
        by_event = self.book.amounts_by_event()
        assert exact_sum(amounts) == exact_sum(by_event) == exact_sum(self.model)
        assert exact_sum(by_event) <= self.limits.max_total_exposure
        assert all(v <= self.limits.event_limit for v in by_event.values())
        assert all(v <= self.limits.max_market_exposure for v in amounts.values())
        assert len(amounts) <= self.limits.max_concurrent_markets


ReserveAndRelease.TestCase.settings = settings(max_examples=60, stateful_step_count=30)
test_reserves_and_releases_never_exceed_the_limits = ReserveAndRelease.TestCase
