"""Risk limits, the worst case of a reservation, and the reservation table."""

from __future__ import annotations

import attrs
import pytest

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
    worst_case_cents,
)

LIMITS = RiskLimits(
    max_market_exposure_cents=1_000,
    max_total_exposure_cents=2_500,
    max_concurrent_markets=3,
    max_daily_loss_cents=800,
)


def _breach(
    exposure: dict[str, int], ticker: str, amount: int, loss: int = 0
) -> RejectReason | None:
    return limit_breached(
        LIMITS, exposure, ticker=ticker, amount_cents=amount, realised_loss_today_cents=loss
    )


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
        "worst_case_cents",
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
    opportunity = Opportunity("KX-A", 40, 55, 10)
    # 10 x (40 + 55) + ceil(0.07 x 10 x 0.40 x 0.60 x 100) + ceil(0.07 x 10 x 0.55 x 0.45 x 100)
    assert worst_case_cents(fees, opportunity) == 950 + 17 + 18
    assert worst_case_cents(FeeModel(taker_rate=FeeModel().maker_rate), opportunity) == 950


def test_the_worst_case_uses_the_given_fee_model_not_the_opportunitys() -> None:
    cheap = Opportunity("KX-A", 40, 55, 10, fees=FeeModel(taker_rate=FeeModel().maker_rate))
    assert worst_case_cents(FeeModel(), cheap) == 985


def test_a_reservation_exactly_at_a_limit_is_allowed_and_one_cent_more_is_not() -> None:
    assert _breach({"KX-A": 400}, "KX-A", 600) is None
    assert _breach({"KX-A": 400}, "KX-A", 601) is RejectReason.MARKET_EXPOSURE


def test_the_total_counts_every_market() -> None:
    exposure = {"KX-A": 1_000, "KX-B": 1_000}
    assert _breach(exposure, "KX-C", 500) is None
    assert _breach(exposure, "KX-C", 501) is RejectReason.TOTAL_EXPOSURE


def test_only_a_new_market_counts_against_the_concurrent_markets_limit() -> None:
    exposure = {"KX-A": 10, "KX-B": 10, "KX-C": 10, "KX-D": 0}
    assert _breach(exposure, "KX-D", 10) is RejectReason.CONCURRENT_MARKETS
    assert _breach(exposure, "KX-A", 10) is None


def test_todays_realised_loss_plus_the_worst_case_must_stay_within_the_daily_limit() -> None:
    assert _breach({}, "KX-A", 300, loss=500) is None
    assert _breach({}, "KX-A", 301, loss=500) is RejectReason.DAILY_LOSS


def test_limits_are_checked_in_a_stable_order() -> None:
    assert _breach({"KX-A": 1_000, "KX-B": 2_000}, "KX-A", 1, loss=800) is (
        RejectReason.MARKET_EXPOSURE
    )


@pytest.mark.parametrize(
    "field",
    [
        "max_market_exposure_cents",
        "max_total_exposure_cents",
        "max_concurrent_markets",
        "max_daily_loss_cents",
    ],
)
@pytest.mark.parametrize("value", [0, -5, 10.0, True, "10", None])
def test_a_bad_limit_names_the_field(field: str, value: object) -> None:
    values: dict[str, object] = {
        "max_market_exposure_cents": 1,
        "max_total_exposure_cents": 1,
        "max_concurrent_markets": 1,
        "max_daily_loss_cents": 1,
        field: value,
    }
    with pytest.raises(InvalidFieldError) as caught:
        RiskLimits(**values)  # type: ignore[arg-type]
    assert (caught.value.owner, caught.value.field, caught.value.value) == (
        "RiskLimits",
        field,
        value,
    )


def _reservation(rid: str, ticker: str = "KX-A", amount: int = 100, owner: int = 1) -> Reservation:
    return Reservation(rid, ticker, 1, 40, 55, amount, owner_epoch=owner)


def test_the_book_sums_live_reservations_by_market_and_forgets_released_ones() -> None:
    book = ReservationBook()
    book.add(_reservation("r-1"))
    book.add(_reservation("r-2", amount=50))
    book.add(_reservation("r-3", ticker="KX-B", amount=70))
    assert book.amounts_by_market() == {"KX-A": 150, "KX-B": 70}

    released = book.release("r-2")

    assert released.state is ReservationState.RELEASED
    assert book.amounts_by_market() == {"KX-A": 100, "KX-B": 70}
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
        "r-1", "KX-A", 1, 40, 55, 100, owner_epoch=3, state=ReservationState.IN_DOUBT
    )
    assert book.amounts_by_market() == {"KX-A": 200}  # in doubt still counts


def test_the_book_remembers_a_bounded_number_of_released_ids() -> None:
    book = ReservationBook(remember=2)
    for n in range(3):
        book.add(_reservation(f"r-{n}"))
        book.release(f"r-{n}")
    assert [book.is_used(f"r-{n}") for n in range(3)] == [False, True, True]


def test_the_risk_actor_refuses_a_config_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="RiskLimits"):
        actors.risk.RiskActor({"max_total_exposure_cents": 1}, actors.risk.BreakerConfig())  # type: ignore[arg-type]
