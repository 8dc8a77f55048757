"""A risk actor in a real supervision tree, between a fake execution and a fake persistence.

Not tests: the harness the ``test_risk_*`` actor tests share.  The fakes are
SupervisedActors that journal what they receive; the execution fake says
``ExecutionReady`` when it starts (as a real one does) and crashes on demand,
which is how the tests produce a real ``Down``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from decimal import Decimal
from typing import Any

import attrs

from actors.domain import Action, Basket, Event, Fill, Leg, OrderRole, Purpose, Side
from actors.fees import FeeModel
from actors.messages import (
    ExecutionReady,
    Reconciled,
    Record,
    Recorded,
    RecordFailed,
    Reservation,
    ReservationChanged,
    ReservationState,
    Reserve,
    leg_client_order_id,
)
from actors.risk import (
    BasketPolicy,
    BreakerConfig,
    FillSource,
    Rejected,
    RiskActor,
    RiskLimits,
    RiskStatus,
    reservation_for,
)
from supervision import (
    ChildSpec,
    ChildUnavailable,
    ManualClock,
    RestartType,
    Strategy,
    SupervisedActor,
    SupervisionTree,
    TreeThread,
)
from tests.supervision.conftest import eventually, tree_spec

ASK_TIMEOUT = 10.0  # generous: a loaded 2-core machine must still pass
WIDE = RiskLimits(
    max_market_exposure=Decimal("10000.00"),
    max_total_exposure=Decimal("100000.00"),
    max_concurrent_markets=1_000,
    max_daily_loss=Decimal("10000.00"),
    max_reservations_per_market=1_000,
    max_reservations_per_event=1_000,
)
NO_COMPLETION = BasketPolicy(
    complete_within_s=0.0, complete_slippage=Decimal(0), max_complete_attempts=0
)
"""Each leg bought by its entry order only: a leg's amount is its ``buy_cost`` (today's)."""
BREAKER = BreakerConfig(
    failure_threshold=3, window_s=10.0, cooldown_s=30.0, half_open_max_reservations=2
)
# 10 x (0.40 + 0.55) plus the taker fees: trade fees 0.1680 and 0.1733 (0.168 and 0.17325
# rounded up to $0.0001), each leg's balance change floored to the cent: 0.17 and 0.18
AMOUNT_10_AT_40_55 = Decimal("9.50") + Decimal("0.17") + Decimal("0.18")


@attrs.frozen
class Crash:
    """Makes a fake's handler raise (execution or persistence): its incarnation ends."""


class ExecutionCrashed(Exception):
    """What the fake execution raises on ``Crash``."""


class PersistenceCrashed(Exception):
    """What the fake persistence raises on ``Crash``."""


class Inbox:
    """What a fake received, as ``(epoch, message)``; appended from the fake's thread."""

    def __init__(self) -> None:
        self.entries: list[tuple[int, Any]] = []

    def add(self, epoch: int, message: Any) -> None:
        self.entries.append((epoch, message))  # list.append is atomic in CPython

    def of(self, kind: type, epoch: int | None = None) -> list[Any]:
        return [
            m
            for e, m in list(self.entries)
            if isinstance(m, kind) and (epoch is None or e == epoch)
        ]


class FakeExecution(SupervisedActor):
    def __init__(self, inbox: Inbox, risk: str = "risk") -> None:
        super().__init__()
        self.inbox, self.risk = inbox, risk

    def on_start(self) -> None:
        self.inbox.add(self.epoch, "started")
        with suppress(ChildUnavailable):  # risk not running: it learns of us on restart
            self.send(self.risk, ExecutionReady())

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Crash):
            raise ExecutionCrashed
        self.inbox.add(self.epoch, message)
        return None


class PersistenceMode:
    """How the fake persistence answers: ``"ack"`` (Recorded), ``"fail"`` or ``"silent"``."""

    def __init__(self) -> None:
        self.answer = "ack"


class FakePersistence(SupervisedActor):
    def __init__(self, inbox: Inbox, mode: PersistenceMode) -> None:
        super().__init__()
        self.inbox, self.mode = inbox, mode

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, Crash):
            raise PersistenceCrashed
        self.inbox.add(self.epoch, message)
        if isinstance(message, Record) and self.message_sender is not None:
            if self.mode.answer == "ack":
                self.send(self.message_sender, Recorded(message.request_id))
            elif self.mode.answer == "fail":
                self.send(self.message_sender, RecordFailed(message.request_id, "disk full"))
        return None


class FakeStrategy(SupervisedActor):
    """Journals what risk tells the strategy (``Holdings``)."""

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    def on_receive(self, message: Any) -> Any:
        self.inbox.add(self.epoch, message)
        return None


def complement(
    basket_id: str,
    ticker: str = "KX-A",
    yes: Decimal = Decimal("0.40"),
    no: Decimal = Decimal("0.55"),
    count: Decimal = Decimal(10),
) -> Basket:
    """The two-leg complement on ``ticker`` (leg 0 YES, leg 1 NO), its own single event."""
    return Basket(
        basket_id,
        Event.single(ticker),
        (
            Leg(ticker, Side.YES, Action.BUY, yes, count),
            Leg(ticker, Side.NO, Action.BUY, no, count),
        ),
    )


def reservation(
    basket_id: str,
    ticker: str = "KX-A",
    yes: Decimal = Decimal("0.40"),
    no: Decimal = Decimal("0.55"),
    count: Decimal = Decimal(10),
    *,
    owner_epoch: int | None = None,
    state: ReservationState = ReservationState.HELD,
) -> Reservation:
    """The reservation risk makes of ``complement(...)`` without completion (its amount
    is both legs' ``buy_cost``), owned by ``owner_epoch``, in ``state``."""
    made = reservation_for(
        complement(basket_id, ticker, yes, no, count), NO_COMPLETION, FeeModel().schedule
    )
    return attrs.evolve(made, owner_epoch=owner_epoch, state=state)


def exit_basket(
    basket_id: str, ticker: str, side: Side, *, price: Decimal, count: Decimal, event: Event
) -> Basket:
    """An exit: sell ``count`` of ``side`` of ``ticker`` at ``price``."""
    return Basket(
        basket_id, event, (Leg(ticker, side, Action.SELL, price, count),), purpose=Purpose.EXIT
    )


def fill(
    reservation_id: str,
    side: Side,
    count: Decimal,
    price: Decimal,
    *,
    ticker: str = "KX-A",
    action: Action = Action.BUY,
    fee: Decimal = Decimal(0),
    fill_id: str | None = None,
    leg: int | None = None,
    role: OrderRole = OrderRole.ENTRY,
    attempt: int = 0,
) -> Fill:
    """A fill of the order of (reservation, leg, role, attempt); the leg defaults to the
    complement's (0 for YES, 1 for NO)."""
    index = leg if leg is not None else (0 if side is Side.YES else 1)
    order_id = leg_client_order_id(reservation_id, index, role, attempt)
    return Fill(
        fill_id or f"t-{reservation_id}-{side.value}-{action.value}-{count}-{price}",
        order_id,
        ticker,
        side,
        action,
        price,
        count,
        fee=fee,
    )


@attrs.define
class RiskHarness:
    tree: SupervisionTree
    clock: ManualClock
    execution: Inbox
    persistence: Inbox
    persistence_mode: PersistenceMode
    strategy: Inbox

    def ask(self, message: Any) -> Any:
        """Deliver ``message`` to risk and wait until it was handled; returns its answer."""
        return self.tree.ask("risk", message, timeout=ASK_TIMEOUT)

    def reserve(self, basket_id: str, **kwargs: Any) -> Reservation | Rejected:
        """Reserve the complement ``basket_id`` (``ticker``, ``yes``, ``no``, ``count``)."""
        return self.reserve_basket(complement(basket_id, **kwargs))

    def reserve_basket(self, basket: Basket) -> Reservation | Rejected:
        answer: Reservation | Rejected = self.ask(Reserve(basket, self.clock.monotonic()))
        return answer

    def reconcile(self, *positions: Any) -> None:
        self.ask(Reconciled(ok=True, positions=positions))

    def recorded_reservations(self) -> list[Reservation]:
        """Every reservation state risk asked persistence to record, in order."""
        return [
            event.reservation
            for record in self.persistence.of(Record)
            for event in record.events
            if isinstance(event, ReservationChanged)
        ]

    def summary(self) -> RiskStatus:
        """Risk's current status (never a stale one: the test waits for a fresh answer)."""
        node = self.tree.snapshot(summary_timeout=ASK_TIMEOUT).find("risk")
        assert not node.summary_stale
        assert isinstance(node.summary, RiskStatus), node.summary
        return node.summary

    def epoch_of(self, name: str) -> int:
        return self.tree.snapshot().find(name).epoch

    def crash_persistence(self) -> int:
        """Crash the running persistence; returns the epoch of its running successor."""
        before = self.epoch_of("persistence")
        self.tree.tell("persistence", Crash())
        eventually(
            lambda: (
                self.tree.snapshot().find("persistence").status == "running"
                and self.epoch_of("persistence") > before
            ),
            what="persistence restarted",
        )
        return self.epoch_of("persistence")

    def execution_epoch(self) -> int:
        return self.tree.snapshot().find("execution").epoch

    def crash_execution(self) -> int:
        """Crash the running execution; returns the epoch of the incarnation after it,
        once that one has started and its ``ExecutionReady`` has been handled by risk."""
        before = self.execution_epoch()
        self.tree.tell("execution", Crash())
        eventually(
            lambda: (
                self.tree.snapshot().find("execution").status == "running"
                and self.execution_epoch() > before
            ),
            what="execution restarted",
        )
        after = self.execution_epoch()
        eventually(lambda: (after, "started") in self.execution.entries)
        self.ask(Recorded("sync"))  # ExecutionReady was queued before this: it is handled
        return after


@contextmanager
def risk_tree(
    limits: RiskLimits = WIDE,
    breaker: BreakerConfig = BREAKER,
    *,
    execution_restart: RestartType = RestartType.PERMANENT,
    with_persistence: bool = True,
    standing_halt: Callable[[], tuple[str, str] | None] | None = None,
    open_reservations: Callable[[], tuple[Reservation, ...]] | None = None,
    recorded_fills: Callable[[], list[tuple[Fill, float]]] | None = None,
    recorded_events: Callable[[], list[Event]] | None = None,
    record_timeout: float | None = None,
    strategy: Strategy = Strategy.ONE_FOR_ONE,
    basket_policy: BasketPolicy = NO_COMPLETION,
    with_strategy: bool = True,
    fees: FeeModel | None = None,
    ledger_fills: FillSource | None = None,
    checkpoint_every: int = 50_000,
) -> Iterator[RiskHarness]:
    """persistence, risk, execution (and a fake strategy) under one root, on a
    ManualClock; stopped at the end.

    ``record_timeout`` is off by default: the tests jump the manual clock by hours
    while the fake persistence's answers are still on their way in real time."""
    clock = ManualClock()
    execution, persistence, mode = Inbox(), Inbox(), PersistenceMode()
    strategy_inbox = Inbox()
    children = [
        ChildSpec(
            name="risk",
            factory=lambda: RiskActor(
                limits,
                breaker,
                basket_policy=basket_policy,
                recorded_events=recorded_events,
                standing_halt=standing_halt,
                open_reservations=open_reservations,
                recorded_fills=recorded_fills,
                record_timeout=record_timeout,
                fees=fees,
                ledger_fills=ledger_fills,
                checkpoint_every=checkpoint_every,
            ),
        ),
        ChildSpec(
            name="execution",
            factory=lambda: FakeExecution(execution),
            restart=execution_restart,
        ),
    ]
    if with_strategy:
        children.append(ChildSpec(name="strategy", factory=lambda: FakeStrategy(strategy_inbox)))
    if with_persistence:
        children.insert(
            0, ChildSpec(name="persistence", factory=lambda: FakePersistence(persistence, mode))
        )
    host = TreeThread(SupervisionTree(tree_spec(*children, strategy=strategy), clock=clock)).start()
    try:
        harness = RiskHarness(host.tree, clock, execution, persistence, mode, strategy_inbox)
        eventually(lambda: (1, "started") in execution.entries)
        harness.ask(Recorded("sync"))  # the first ExecutionReady is behind us
        yield harness
    finally:
        host.stop()


def start_together(count: int, work: Any) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released at the same instant; their results."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=ASK_TIMEOUT)
            results[index] = work(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=ASK_TIMEOUT * 6)
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish"
    assert errors == []
    return results
